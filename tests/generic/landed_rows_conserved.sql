{#
    Every landed row is accounted for: for the staging model under test and its raw table,
        landed rows (counted from the files by the build step, table warehouse_landed_rows, else on the source)
            = staged rows + rejected rows + duplicates removed (usable rows - distinct usable keys),
    and staged rows = distinct usable keys (one row per key). Rejected and usable rows come from the
    table's base model, base_<source_name>__<table_name>. Returns one row (the counts) when either fails.
    A raw table with no landed files (an optional source) counts as 0 landed rows.
#}
{% test landed_rows_conserved(model, source_name, table_name, key_columns, connector_table=none) %}

{#- read from the connector's table when the system is (docs/connectors.md) -#}
{%- set loaded_at = '_loaded_at' -%}
{%- if connector_table and var(source_name ~ '_source_format') == 'fivetran' -%}
    {%- set source_name, table_name = connector_table.split('.') -%}
    {%- set loaded_at = '_fivetran_synced' -%}
{%- endif -%}
{%- if source_name.startswith('fivetran_') -%}
    {%- set loaded_at = '_fivetran_synced' -%}
{%- endif -%}
{%- set landed_relation = source(source_name, table_name) -%}
{%- set base_relation = ref('base_' ~ source_name ~ '__' ~ table_name) -%}

with

landed as (

    {#- counted from the files by the build step itself (cart_recovery/publish.py record_landed_rows), so that
        a file the sources' pattern misses shows as a difference; else counted on the source -#}
    {%- set table_key = source_name ~ '.' ~ table_name %}
    {%- set counted = landed_row_count(table_key) %}
    {% if counted is not none %}
    select {{ counted }} as landed_rows
    {% elif source_name != 'reference' or landing_has_files(source_name, table_name) %}
    {#- every table is required but the optional reference ones (landing_check.py) -#}
    select count(*) as landed_rows from {{ landed_relation }}
    where {{ landed_by_as_of(loaded_at) }}
    {% else %}
    select 0 as landed_rows
    {% endif %}

),

tagged as (

    select
        count(*) as base_rows,
        coalesce(sum(case when reject_reason is not null then 1 else 0 end), 0) as rejected_rows,
        coalesce(sum(case when reject_reason is null then 1 else 0 end), 0) as usable_rows
    from {{ base_relation }}

),

usable_keys as (

    select count(*) as distinct_usable_keys
    from (
        select distinct {{ key_columns | join(', ') }}
        from {{ base_relation }}
        where reject_reason is null
    ) as distinct_keys

),

staged as (

    select count(*) as staged_rows from {{ model }}

),

counts as (

    select
        landed.landed_rows,
        tagged.base_rows,
        tagged.rejected_rows,
        tagged.usable_rows,
        usable_keys.distinct_usable_keys,
        staged.staged_rows,
        tagged.usable_rows - usable_keys.distinct_usable_keys as duplicates_removed
    from landed
    cross join tagged
    cross join usable_keys
    cross join staged

)

select * from counts
where
    landed_rows <> base_rows
    or landed_rows <> staged_rows + rejected_rows + duplicates_removed
    or staged_rows <> distinct_usable_keys

{% endtest %}


{#
    Incremental loads (docs/incremental.md). The large tables are incremental models: a build reads only
    the landed rows with `_loaded_at` newer than what the table already holds, minus a lookback
    (var incremental_lookback_hours) that catches late-arriving and redelivered files.
#}

{#
    The `_loaded_at` from which this build reads the landing data: the newest `loaded_at` already in the
    model's table (among its rows that match `where`) minus the lookback, as a timestamp literal (a constant, so that DuckDB prunes Parquet row
    groups by it); none on a full build. Reads the table with run_query, so the statement that later writes
    the model never reads its own table (Spark refuses to overwrite a table it reads from).
#}
{% macro incremental_watermark(loaded_at_column='loaded_at', where='true') -%}
    {#- unit tests render models without a relation of their own (`this` is none): never incremental -#}
    {%- if not execute or this is none or not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set newest = run_query(
        'select max(' ~ loaded_at_column ~ ') from ' ~ this ~ ' where ' ~ where
    ).columns[0].values()[0] -%}
    {%- if newest is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set since = newest - modules.datetime.timedelta(hours=var('incremental_lookback_hours')) -%}
    {{ return(timestamp_literal(since)) }}
{%- endmacro %}

{% macro timestamp_literal(value) -%}
    cast('{{ value.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{#
    The rows of a staging model's base relation that an incremental build re-reads: on DuckDB the rows landed
    since the watermark (merged by key with delete+insert); on Spark, which has no merge on Parquet tables,
    every row of each event date that received a row since the watermark (whole date partitions, replaced
    with insert_overwrite). `true` on a full build.
#}
{% macro incremental_landing_filter(base_relation, date_expression, watermark) -%}
    {{ return(adapter.dispatch('incremental_landing_filter', 'cart_recovery')(base_relation, date_expression, watermark)) }}
{%- endmacro %}

{% macro default__incremental_landing_filter(base_relation, date_expression, watermark) -%}
    {%- if watermark is none -%}
        true
    {%- else -%}
        {#- a row without a landing time is re-read by every build rather than lost -#}
        (_loaded_at > {{ watermark }} or _loaded_at is null)
    {%- endif -%}
{%- endmacro %}

{% macro spark__incremental_landing_filter(base_relation, date_expression, watermark) -%}
    {%- if watermark is none -%}
        true
    {%- else -%}
        {{ date_expression }} in (
            select distinct {{ date_expression }} from {{ base_relation }}
            where reject_reason is null and (_loaded_at > {{ watermark }} or _loaded_at is null)
        )
    {%- endif -%}
{%- endmacro %}

{#
    The definition vars a cart's outcome depends on, as one text: a build whose text differs from the previous
    build's recomputes every cart (int_carts__to_recompute).
#}
{% macro cart_definitions() -%}
    {%- set names = [
        'reporting_currency', 'reporting_timezone', 'fx_max_staleness_days', 'abandonment_window_minutes',
        'recovery_window_days', 'attribution_window_hours', 'as_of', 'shop_source_format', 'messaging_source_format',
    ] -%}
    {%- set parts = [] -%}
    {%- for name in names -%}
        {%- do parts.append(name ~ '=' ~ var(name)) -%}
    {%- endfor -%}
    {{ return(parts | join(';')) }}
{%- endmacro %}

{#
    The previous build's row of `builds`, the caller's `ref('int_warehouse__builds')` (as_of, loaded_through,
    cart_definitions), or none when there is none: the first build, a full refresh, or a relation that does not
    exist yet.
#}
{% macro previous_build(builds) -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if adapter.get_relation(builds.database, builds.schema, builds.identifier) is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set query -%}
        select as_of, loaded_through, cart_definitions from {{ builds }}
        where invocation_id <> '{{ invocation_id }}'
        order by build_started_at desc
        limit 1
    {%- endset -%}
    {%- set rows = run_query(query).rows -%}
    {{ return(rows[0] if rows | length > 0 else none) }}
{%- endmacro %}

{#
    `column in (the carts this build recomputes)` in an incremental per-cart model, `true` on a full build.
    The caller passes `ref('int_carts__to_recompute')` as `scope`, so the edge is in the model file and the model
    always runs after it, incremental or not.
#}
{% macro in_cart_scope(scope, column='cart_token') -%}
    {%- if this is not none and is_incremental() -%}
        {{ column }} in (select cart_token from {{ scope }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

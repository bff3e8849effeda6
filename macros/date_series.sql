{#
    One row per calendar day from start_date to end_date (inclusive), column `date_day`.
    Use as a whole select: `{{ date_series('first_day', 'last_day', 'bounds') }}` reads the two columns from
    relation `bounds`.
#}
{% macro date_series(start_date, end_date, relation) -%}
    {{ return(adapter.dispatch('date_series', 'cart_recovery')(start_date, end_date, relation)) }}
{%- endmacro %}

{% macro default__date_series(start_date, end_date, relation) -%}
    select cast(unnest(generate_series(
        cast({{ start_date }} as timestamp),
        cast({{ end_date }} as timestamp),
        interval 1 day
    )) as date) as date_day
    from {{ relation }}
{%- endmacro %}

{# Spark / Databricks: sequence of dates, one row each. An empty range gives no rows, as on DuckDB. #}
{% macro spark__date_series(start_date, end_date, relation) -%}
    select explode(sequence(
        cast({{ start_date }} as date),
        cast({{ end_date }} as date),
        interval 1 day
    )) as date_day
    from {{ relation }}
    where cast({{ start_date }} as date) <= cast({{ end_date }} as date)
{%- endmacro %}

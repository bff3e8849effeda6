{#
    Spark / Databricks version of dbt's cross-database datediff (found first through the `dispatch` search order
    in dbt_project.yml), with DuckDB's date_diff meaning: the number of `datepart` boundaries crossed from
    `first_date` to `second_date` (10:00:59 -> 10:01:00 is 1 minute). dbt-spark's own rounds the elapsed
    seconds up instead.
#}
{% macro spark__datediff(first_date, second_date, datepart) -%}
    timestampdiff(
        {{ datepart }},
        date_trunc('{{ datepart }}', {{ first_date }}),
        date_trunc('{{ datepart }}', {{ second_date }})
    )
{%- endmacro %}

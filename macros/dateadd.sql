{#
    Spark / Databricks version of dbt's cross-database dateadd (found first through the `dispatch` search order in
    dbt_project.yml). dbt-spark's own goes through Unix seconds and drops fractional seconds; timestampadd keeps
    them, like DuckDB's `+ interval`. A date argument gives a timestamp at its midnight plus the interval.
#}
{% macro spark__dateadd(datepart, interval, from_date_or_timestamp) -%}
    timestampadd({{ datepart }}, {{ interval }}, {{ from_date_or_timestamp }})
{%- endmacro %}

{#
    Spark / Databricks version of dbt's escape_single_quotes (found first through the `dispatch` search order in
    dbt_project.yml). Spark string literals read a backslash as an escape character, so a backslash is doubled
    as well as a quote escaped: the literal then holds exactly the text, as on DuckDB (unit-test fixtures with
    `\"`, seed values with an apostrophe).
#}
{% macro spark__escape_single_quotes(expression) -%}
    {{- expression | replace('\\', '\\\\') | replace("'", "\\'") -}}
{%- endmacro %}

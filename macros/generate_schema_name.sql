{#
    A folder's custom schema (dbt_project.yml: staging, intermediate, reference; a snapshot's `schema`) is used as
    is, not prefixed with the target's schema as dbt does by default: on DuckDB `staging`, not `main_staging`; on
    Spark, where a schema is a database, `staging` too. Nodes without one stay in the target's (public) schema.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}

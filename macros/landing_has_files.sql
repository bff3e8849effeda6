{#
    True when at least one Parquet file is landed for an optional raw table
    ($CART_RECOVERY_RAW_DIR/<system>/<table>/, at any depth, any case of `.parquet`, as the sources read). Used to guard optional sources such as
    reference.fx_rates, which may be absent. Returns false while parsing (no connection yet).
#}
{% macro landing_has_files(system, table) -%}
    {{ return(adapter.dispatch('landing_has_files', 'cart_recovery')(system, table)) }}
{%- endmacro %}

{% macro default__landing_has_files(system, table) -%}
    {% if not execute %}
        {{ return(false) }}
    {% endif %}
    {% set pattern = var('raw_dir', env_var('CART_RECOVERY_RAW_DIR', 'data/raw')) ~ '/' ~ system ~ '/' ~ table
        ~ '/**/*.[pP][aA][rR][qQ][uU][eE][tT]' %}
    {% set result = run_query("select count(*) from glob('" ~ pattern | replace("'", "''") ~ "')") %}
    {{ return(result.columns[0].values()[0] > 0) }}
{%- endmacro %}

{#
    Spark / Databricks: a path that matches no file is an error on Spark, so list every landed Parquet file
    (`<raw dir>/<system>/<table>/*.parquet`: names only, the binaryFile reader skips the content when it is not
    selected) and look for the table's directory.
#}
{% macro spark__landing_has_files(system, table) -%}
    {% if not execute %}
        {{ return(false) }}
    {% endif %}
    {% set raw_dir = var('raw_dir', env_var('CART_RECOVERY_RAW_DIR', 'data/raw')) %}
    {% set result = run_query(
        "select count(*) from binaryFile.`" ~ raw_dir ~ "/*/*/*.parquet` where path like '%/"
        ~ system ~ "/" ~ table ~ "/%'"
    ) %}
    {{ return(result.columns[0].values()[0] > 0) }}
{%- endmacro %}


{#- The build step's count of landed rows for "<system>.<table>", or none when it did not count that table. -#}
{% macro landed_row_count(table_key) %}
    {%- if not execute or target.type != 'duckdb' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set relation = adapter.get_relation(target.database, target.schema, 'warehouse_landed_rows') -%}
    {%- if relation is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set rows = run_query(
        "select landed_rows from " ~ relation ~ " where table_key = '" ~ table_key | replace("'", "''") ~ "'"
    ).rows -%}
    {{ return(rows[0][0] if rows | length == 1 else none) }}
{% endmacro %}

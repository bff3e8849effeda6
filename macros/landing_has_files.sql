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

{#
    True when at least one Parquet file is landed for an optional raw table
    ($CART_RECOVERY_RAW_DIR/<system>/<table>/*.parquet). Used to guard optional sources such as
    reference.fx_rates, which may be absent. Returns false while parsing (no connection yet).
#}
{% macro landing_has_files(system, table) -%}
    {{ return(adapter.dispatch('landing_has_files', 'cart_recovery')(system, table)) }}
{%- endmacro %}

{% macro default__landing_has_files(system, table) -%}
    {% if not execute %}
        {{ return(false) }}
    {% endif %}
    {% set pattern = var('raw_dir', env_var('CART_RECOVERY_RAW_DIR', 'data/raw')) ~ '/' ~ system ~ '/' ~ table ~ '/*.parquet' %}
    {% set result = run_query("select count(*) from glob('" ~ pattern | replace("'", "''") ~ "')") %}
    {{ return(result.columns[0].values()[0] > 0) }}
{%- endmacro %}

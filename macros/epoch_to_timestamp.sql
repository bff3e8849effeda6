{# Unix seconds -> UTC timestamp (without time zone). #}
{% macro epoch_to_timestamp(column) -%}
    {{ return(adapter.dispatch('epoch_to_timestamp', 'cart_recovery')(column)) }}
{%- endmacro %}

{% macro default__epoch_to_timestamp(column) -%}
    timezone('UTC', to_timestamp(cast({{ column }} as bigint)))
{%- endmacro %}

{# Spark / Databricks (session time zone UTC): seconds since the epoch to a timestamp. #}
{% macro spark__epoch_to_timestamp(column) -%}
    timestamp_seconds(cast({{ column }} as bigint))
{%- endmacro %}

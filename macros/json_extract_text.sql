{# Text value of a top-level key of a JSON text column; null when the key is missing or the text is not JSON. #}
{% macro json_extract_text(column, key) -%}
    {{ return(adapter.dispatch('json_extract_text', 'cart_recovery')(column, key)) }}
{%- endmacro %}

{% macro default__json_extract_text(column, key) -%}
    case
        when json_valid({{ column }})
            then json_extract_string({{ column }}, '$.{{ key }}')
    end
{%- endmacro %}

{# Spark / Databricks: get_json_object yields null for a missing key and for text that is not JSON. #}
{% macro spark__json_extract_text(column, key) -%}
    get_json_object({{ column }}, '$.{{ key }}')
{%- endmacro %}

{#
    ISO-8601 text with a UTC offset -> UTC timestamp (without time zone).
    Text without an offset (or unparseable text) yields null, so that a later check can reject the row
    instead of silently reading it in the session time zone.
#}
{% macro to_utc_timestamp(column) -%}
    {{ return(adapter.dispatch('to_utc_timestamp', 'cart_recovery')(column)) }}
{%- endmacro %}

{% macro default__to_utc_timestamp(column) -%}
    case
        when regexp_full_match(
            {{ column }},
            '\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)'
        )
            then timezone('UTC', try_cast({{ column }} as timestamptz))
    end
{%- endmacro %}

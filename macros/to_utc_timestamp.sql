{#
    ISO-8601 text with a UTC offset -> UTC timestamp (without time zone).
    Valid only as `YYYY-MM-DDTHH:MM:SS[.fff](+HH:MM|-HH:MM|Z)` (docs/definitions.md "Rows") that also parses to a
    real instant; anything else (no offset, a space instead of `T`, `2026-13-45T25:61:00+00:00`, blank) yields
    null, so that the row is rejected instead of being read in the session time zone.
#}
{% macro to_utc_timestamp(column) -%}
    {{ return(adapter.dispatch('to_utc_timestamp', 'cart_recovery')(column)) }}
{%- endmacro %}

{% macro default__to_utc_timestamp(column) -%}
    case
        when regexp_matches(
            {{ column }},
            '^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$'
        )
            then timezone('UTC', try_cast({{ column }} as timestamptz))
    end
{%- endmacro %}

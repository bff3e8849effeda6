{#
    ISO-8601 text with a UTC offset -> UTC timestamp (without time zone).
    Valid only as `YYYY-MM-DDTHH:MM:SS[.fff](+HH:MM|-HH:MM|Z)` (docs/definitions.md "Rows") that also parses to a
    real instant; anything else (no offset, a space instead of `T`, `2026-13-45T25:61:00+00:00`, blank) yields
    null, so that the row is rejected instead of being read in the session time zone.
#}
{% macro to_utc_timestamp(column) -%}
    {{ return(adapter.dispatch('to_utc_timestamp', 'cart_recovery')(column)) }}
{%- endmacro %}

{#
    The anchored pattern both engines test first. Hours 00-23, minutes and seconds 00-59 and offsets within
    +-18:00: DuckDB alone would also accept `24:00:00` and `+25:00`, Spark not, and neither is a real instant.
    Character classes rather than `\d`, which Spark's string literals would unescape.
#}
{% macro iso8601_with_offset_pattern() -%}
    ^[0-9]{4}-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]+)?([+-]((0[0-9]|1[0-7]):[0-5][0-9]|18:00)|Z)$
{%- endmacro %}

{% macro default__to_utc_timestamp(column) -%}
    case
        when regexp_matches({{ column }}, '{{ iso8601_with_offset_pattern() }}')
            then timezone('UTC', try_cast({{ column }} as timestamptz))
    end
{%- endmacro %}

{#
    Spark / Databricks: the same anchored pattern, then try_cast to a timestamp; the offset makes the instant
    independent of the session time zone, which is UTC for display.
#}
{% macro spark__to_utc_timestamp(column) -%}
    case
        when {{ column }} rlike '{{ iso8601_with_offset_pattern() }}'
            then try_cast({{ column }} as timestamp)
    end
{%- endmacro %}

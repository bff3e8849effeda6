{#
    Time-zone conversions for reporting (cohort dates are local dates in var `reporting_timezone`).
    Timestamps in the warehouse are UTC without a time zone; these macros take and return timestamps without
    a time zone, so the result never depends on the session time zone.
#}

{# UTC timestamp -> wall-clock timestamp in `timezone` (default: var reporting_timezone). #}
{% macro utc_to_local_timestamp(column, timezone=none) -%}
    {{ return(adapter.dispatch('utc_to_local_timestamp', 'cart_recovery')(
        column, timezone or var('reporting_timezone')
    )) }}
{%- endmacro %}

{# Spark / Databricks semantics: from_utc_timestamp shifts a UTC wall clock to the zone's wall clock. #}
{% macro default__utc_to_local_timestamp(column, timezone) -%}
    from_utc_timestamp({{ column }}, '{{ timezone }}')
{%- endmacro %}

{#
    DuckDB: timezone('UTC', ts) reads the naive timestamp as UTC (-> timestamptz); timezone(tz, timestamptz)
    gives the wall clock in tz. Both steps are explicit, so the session TimeZone plays no part.
#}
{% macro duckdb__utc_to_local_timestamp(column, timezone) -%}
    timezone('{{ timezone }}', timezone('UTC', {{ column }}))
{%- endmacro %}

{# Wall-clock timestamp in `timezone` (default: var reporting_timezone) -> UTC timestamp. #}
{% macro local_to_utc_timestamp(column, timezone=none) -%}
    {{ return(adapter.dispatch('local_to_utc_timestamp', 'cart_recovery')(
        column, timezone or var('reporting_timezone')
    )) }}
{%- endmacro %}

{% macro default__local_to_utc_timestamp(column, timezone) -%}
    to_utc_timestamp({{ column }}, '{{ timezone }}')
{%- endmacro %}

{% macro duckdb__local_to_utc_timestamp(column, timezone) -%}
    timezone('UTC', timezone('{{ timezone }}', {{ column }}))
{%- endmacro %}

{# UTC timestamp -> local calendar date in `timezone` (default: var reporting_timezone). #}
{% macro utc_to_local_date(column, timezone=none) -%}
    cast({{ utc_to_local_timestamp(column, timezone) }} as date)
{%- endmacro %}

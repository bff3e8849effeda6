{#
    Why a landed row cannot be used, or null when it can: the FIRST rule it breaks, in the order of
    docs/definitions.md "Rows":
      null_key          any key column is null;
      deleted_in_source the connector marks the row deleted in its system (`deleted_column`, connectors only);
      invalid_timestamp a required timestamp is not ISO-8601 with an offset or not a real instant (its parsed
                        column, from `to_utc_timestamp`, is null, so parsing and rejecting never disagree); a
                        nullable one (orders.cancelled_at) only when present;
      implausible_time  a parsed time before var earliest_plausible_time, or later than the row's own
                        `_loaded_at` by more than var clock_tolerance_minutes, or a `_loaded_at` later than the
                        build's start by more than that tolerance: a clock is wrong, and such a row must never
                        move as-of or an incremental watermark;
      unknown_currency  the upper-cased, trimmed code is missing (null) or not in the `currencies` seed:
                        `known_currency_column` (the seed's code from the base model's left join on
                        `currency_column`) found no match;
      invalid_amount    money that is negative, has more than two decimals or does not fit DECIMAL(18,2)
                        (`amount_columns`), or minor units that are negative (`minor_unit_columns`);
      negative_quantity the quantity is below zero (cart events and order lines only);
      unknown_status    a status outside the vocabulary the warehouse reads (`statuses`: column -> accepted
                        values; connectors only, whose systems know more states than the native contract).
    Every base model calls this one macro, so the rules live in one place. `timestamps` and
    `nullable_timestamps` map each raw column to its parsed UTC column in the base model.
#}
{% macro reject_reason(
    key_columns,
    timestamps={},
    nullable_timestamps={},
    currency_column=none,
    known_currency_column=none,
    amount_columns=[],
    minor_unit_columns=[],
    quantity_column=none,
    loaded_at_column='_loaded_at',
    deleted_column=none,
    statuses={}
) -%}
    {%- if currency_column is not none and known_currency_column is none -%}
        {{ exceptions.raise_compiler_error("reject_reason: currency_column needs known_currency_column") }}
    {%- endif -%}
    {%- set tolerance = var('clock_tolerance_minutes') -%}
    {%- set build_clock = dbt.dateadd('minute', tolerance, timestamp_literal(run_started_at)) -%}
    {%- set earliest = "cast('" ~ var('earliest_plausible_time') ~ "' as " ~ dbt.type_timestamp() ~ ")" -%}
    {%- set latest = dbt.dateadd('minute', tolerance, loaded_at_column) -%}
    case
        when
            {% for column in key_columns -%}
                {{ column }} is null{% if not loop.last %} or {% endif %}
            {%- endfor %}
            then 'null_key'
        {%- if deleted_column is not none %}
        when {{ deleted_column }}
            then 'deleted_in_source'
        {%- endif %}
        {%- for raw, parsed in timestamps.items() %}
        when {{ parsed }} is null
            then 'invalid_timestamp'
        {%- endfor %}
        {%- for raw, parsed in nullable_timestamps.items() %}
        when {{ raw }} is not null and {{ parsed }} is null
            then 'invalid_timestamp'
        {%- endfor %}
        when {{ loaded_at_column }} > {{ build_clock }}
            then 'implausible_time'
        {%- for parsed in (timestamps.values() | list) + (nullable_timestamps.values() | list) %}
        when {{ parsed }} < {{ earliest }} or {{ parsed }} > {{ latest }}
            then 'implausible_time'
        {%- endfor %}
        {%- if currency_column is not none %}
        when {{ known_currency_column }} is null
            then 'unknown_currency'
        {%- endif %}
        {%- for column in amount_columns %}
        when
            {{ column }} < 0
            or {{ column }} <> round({{ column }}, 2)
            or {{ column }} is not null and try_cast({{ column }} as decimal(18, 2)) is null
            then 'invalid_amount'
        {%- endfor %}
        {%- for column in minor_unit_columns %}
        when {{ column }} < 0
            then 'invalid_amount'
        {%- endfor %}
        {%- if quantity_column is not none %}
        when {{ quantity_column }} < 0
            then 'negative_quantity'
        {%- endif %}
        {%- for column, accepted in statuses.items() %}
        when {{ column }} is null or {{ column }} not in ('{{ accepted | join("', '") }}')
            then 'unknown_status'
        {%- endfor %}
    end
{%- endmacro %}

{#
    The key of a landed row as text, its columns joined with '|' (a null part is empty), e.g. `1001|3` for
    order line 3 of order 1001. Identifies a rejected row in its source system.
#}
{% macro raw_key(key_columns) -%}
    {%- set parts = [] -%}
    {%- for column in key_columns -%}
        {%- do parts.append("coalesce(cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), '')") -%}
        {%- if not loop.last -%}{%- do parts.append("'|'") -%}{%- endif -%}
    {%- endfor -%}
    {%- if parts | length == 1 -%}
        {{ parts[0] }}
    {%- else -%}
        {{ dbt.concat(parts) }}
    {%- endif -%}
{%- endmacro %}

{#
    Why a landed row cannot be used, or null when it can: the FIRST rule it breaks, in the order of
    docs/definitions.md "Rows" (and SPEC §3 "Settled details"):
      null_key          any key column is null;
      invalid_timestamp a required timestamp text is not ISO-8601 with an offset or not a real instant (the
                        test is `to_utc_timestamp`, so parsing and rejecting can never disagree); a nullable one
                        (orders.cancelled_at) only when present;
      unknown_currency  the upper-cased, trimmed code is missing (null) or not in the `currencies` seed:
                        `known_currency_column` (the seed's code from the base model's left join on
                        `currency_column`) found no match;
      negative_quantity the quantity is below zero (cart events and order lines only).
    Every base model calls this one macro, so the rules live in one place.
#}
{% macro reject_reason(
    key_columns,
    timestamp_columns=[],
    nullable_timestamp_columns=[],
    currency_column=none,
    known_currency_column=none,
    quantity_column=none
) -%}
    {%- if currency_column is not none and known_currency_column is none -%}
        {{ exceptions.raise_compiler_error("reject_reason: currency_column needs known_currency_column") }}
    {%- endif -%}
    case
        when
            {% for column in key_columns -%}
                {{ column }} is null{% if not loop.last %} or {% endif %}
            {%- endfor %}
            then 'null_key'
        {%- for column in timestamp_columns %}
        when {{ to_utc_timestamp(column) }} is null
            then 'invalid_timestamp'
        {%- endfor %}
        {%- for column in nullable_timestamp_columns %}
        when {{ column }} is not null and {{ to_utc_timestamp(column) }} is null
            then 'invalid_timestamp'
        {%- endfor %}
        {%- if currency_column is not none %}
        when {{ known_currency_column }} is null
            then 'unknown_currency'
        {%- endif %}
        {%- if quantity_column is not none %}
        when {{ quantity_column }} < 0
            then 'negative_quantity'
        {%- endif %}
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

{#
    The parts every base model writes the same way (docs/definitions.md "Rows"); the per-table parts (which
    columns are parsed, the keys, the reject rules) are their arguments.
#}

{#
    The import CTE of a native base model: every landed row of the source table (only those landed by a pinned
    as_of) and where it sits (landed_file_columns). `relation` is the caller's `source(system, table)`.
#}
{% macro landed_rows(relation, system, table) -%}
    select
        *,
        {{ landed_file_columns(relation, system, table) }}
    from {{ relation }}
    where {{ landed_by_as_of() }}
{%- endmacro %}

{#
    The left join of a base model's `parsed` CTE to its `currencies` CTE (the `currencies` seed): the upper-cased,
    trimmed code finds its seed row, so `currencies.currency` is null for an unknown code (reject_reason's
    unknown_currency).
#}
{% macro known_currency_join(currency_column) -%}
    left outer join currencies
        on upper(trim({{ currency_column }})) = currencies.currency
{%- endmacro %}

{#
    The `tagged` CTE of a base model: every parsed row with its `raw_key`, the landed row as JSON (`raw_row`, when
    `raw_columns` are given; a connector adapter's rows carry theirs from connector_rows) and its
    `reject_reason`, the SQL of the caller's reject_reason(...) call.
#}
{% macro tagged_rows(raw_key_columns, reject_reason_sql, raw_columns=none, relation='parsed') -%}
    select
        *,
        {{ raw_key(raw_key_columns) }} as raw_key,
        {%- if raw_columns %}
        {{ row_to_json(raw_columns) }} as raw_row,
        {%- endif %}
        {{ reject_reason_sql }} as reject_reason
    from {{ relation }}
{%- endmacro %}

{#
    The given columns of a row as one JSON object in text form, keys in the given order; used to keep a
    rejected row exactly as it landed (rejected_records.raw_row). Column names are quoted (connector tables
    have columns such as `authorization`). Adapter-dispatched.
#}
{% macro row_to_json(columns) -%}
    {{ return(adapter.dispatch('row_to_json', 'cart_recovery')(columns)) }}
{%- endmacro %}

{#
    Portable fallback: string concatenation, every non-null value as a JSON string (its text cast), null as
    JSON null. Backslashes and double quotes are escaped.
#}
{% macro default__row_to_json(columns) -%}
    {%- set parts = ["'{'"] -%}
    {%- for column in columns -%}
        {%- set text = "cast(" ~ adapter.quote(column) ~ " as " ~ dbt.type_string() ~ ")" -%}
        {%- set escaped = "replace(replace(" ~ text ~ ", '\\', '\\\\'), '\"', '\\\"')" -%}
        {%- do parts.append("'" ~ ("," if not loop.first else "") ~ "\"" ~ column ~ "\":'") -%}
        {%- do parts.append("coalesce(" ~ dbt.concat(["'\"'", escaped, "'\"'"]) ~ ", 'null')") -%}
    {%- endfor -%}
    {%- do parts.append("'}'") -%}
    {{ dbt.concat(parts) }}
{%- endmacro %}

{# DuckDB: json_object keeps the value types (numbers, booleans, null) and escapes strings. #}
{% macro duckdb__row_to_json(columns) -%}
    cast(json_object(
        {%- for column in columns %}
        '{{ column }}', {{ adapter.quote(column) }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    ) as {{ dbt.type_string() }})
{%- endmacro %}

{#
    Spark / Databricks: to_json keeps the value types like DuckDB's json_object (nulls kept). Timestamps are
    written with all six fractional digits and a marker (U+E000), then the marker and trailing zeros are cut,
    so that they read like DuckDB's (`2026-07-01 10:00:00`, `2026-07-01 08:00:00.25`).
#}
{% macro spark__row_to_json(columns) -%}
    {%- set marker = '\ue000' -%}
    regexp_replace(
        to_json(
            named_struct(
                {%- for column in columns %}
                '{{ column }}', {{ adapter.quote(column) }}{% if not loop.last %},{% endif %}
                {%- endfor %}
            ),
            map(
                'ignoreNullFields', 'false',
                'timestampFormat', "yyyy-MM-dd HH:mm:ss.SSSSSS'{{ marker }}'",
                'timestampNTZFormat', "yyyy-MM-dd HH:mm:ss.SSSSSS'{{ marker }}'"
            )
        ),
        '[.]?0*{{ marker }}',
        ''
    )
{%- endmacro %}

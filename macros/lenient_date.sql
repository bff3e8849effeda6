{#
    The UTC calendar date a raw text timestamp names, read leniently (with or without an offset), else the
    date the row landed. Used only to place raw rows, including rejected ones, on a reconciliation day.
#}
{% macro lenient_date(text_column, loaded_at_column) -%}
    {{ return(adapter.dispatch('lenient_date', 'cart_recovery')(text_column, loaded_at_column)) }}
{%- endmacro %}

{% macro default__lenient_date(text_column, loaded_at_column) -%}
    coalesce(
        cast(timezone('UTC', try_cast({{ text_column }} as timestamptz)) as date),
        cast({{ loaded_at_column }} as date)
    )
{%- endmacro %}

{#
    Spark / Databricks: a cast reads the text with or without an offset (without one in the session time zone,
    UTC, as DuckDB's session TimeZone); the date of a timestamp is its UTC date.
#}
{% macro spark__lenient_date(text_column, loaded_at_column) -%}
    coalesce(
        cast(try_cast({{ text_column }} as timestamp) as date),
        cast({{ loaded_at_column }} as date)
    )
{%- endmacro %}

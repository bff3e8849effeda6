{#
    Where each landed row sits, as two ordinary columns of a source's import CTE: `landed_file_name` (the part
    file's name, e.g. `part-00012.parquet`) and `landed_file_row_number` (its row number in that file, from 0).
    Use in the select list next to `*`: `select *, {{ landed_file_columns(source(...)) }} from {{ source(...) }}`.
    Both engines read them from the Parquet reader's hidden per-file columns, so they are identical on both.
    A unit-test fixture stands in for the source as a CTE and carries `filename` and `file_row_number` as plain
    columns (DuckDB's names). Adapter-dispatched.
#}
{% macro landed_file_columns(relation) -%}
    {{ return(adapter.dispatch('landed_file_columns', 'cart_recovery')(relation)) }}
{%- endmacro %}

{# DuckDB: read_parquet's virtual columns `filename` (full path) and `file_row_number`. #}
{% macro default__landed_file_columns(relation) -%}
    parse_filename(filename) as landed_file_name,
    file_row_number as landed_file_row_number
{%- endmacro %}

{# Spark 4 / Databricks: the hidden `_metadata` column of file sources (row_index from 0, like DuckDB). #}
{% macro spark__landed_file_columns(relation) -%}
    {%- if relation.is_cte -%}
        element_at(split(filename, '/'), -1) as landed_file_name,
        file_row_number as landed_file_row_number
    {%- else -%}
        _metadata.file_name as landed_file_name,
        _metadata.row_index as landed_file_row_number
    {%- endif -%}
{%- endmacro %}

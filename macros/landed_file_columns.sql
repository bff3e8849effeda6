{#
    Where each landed row sits, as two ordinary columns of a source's import CTE: `landed_file_name` (the part
    file's path under the table's folder, e.g. `part-00012.parquet` or `dt=2026-11-18/part-0.parquet`) and
    `landed_file_row_number` (its row number in that file, from 0). Use in the select list next to `*`:
    `select *, {{ landed_file_columns(source(s, t), s, t) }} from {{ source(s, t) }}`.
    Both engines read them from the Parquet reader's hidden per-file columns, so they are identical on both.
    A unit-test fixture stands in for the source as a CTE and carries `filename` and `file_row_number` as plain
    columns (DuckDB's names). Adapter-dispatched.
#}
{% macro landed_file_columns(relation, system, table) -%}
    {{ return(adapter.dispatch('landed_file_columns', 'cart_recovery')(relation, system, table)) }}
{%- endmacro %}

{# The part of a file path under <system>/<table>/ (the whole path when it holds no such folder). #}
{% macro path_under_table(path_column, system, table) -%}
    coalesce(nullif(regexp_extract({{ path_column }}, '.*/{{ system }}/{{ table }}/(.*)$', 1), ''), {{ path_column }})
{%- endmacro %}

{# DuckDB: read_parquet's virtual columns `filename` (full path) and `file_row_number`. #}
{% macro default__landed_file_columns(relation, system, table) -%}
    {{ path_under_table('filename', system, table) }} as landed_file_name,
    file_row_number as landed_file_row_number
{%- endmacro %}

{# Spark 4 / Databricks: the hidden `_metadata` column of file sources (row_index from 0, like DuckDB). #}
{% macro spark__landed_file_columns(relation, system, table) -%}
    {%- if relation.is_cte -%}
        {{ path_under_table('filename', system, table) }} as landed_file_name,
        file_row_number as landed_file_row_number
    {%- else -%}
        {{ path_under_table('_metadata.file_path', system, table) }} as landed_file_name,
        _metadata.row_index as landed_file_row_number
    {%- endif -%}
{%- endmacro %}

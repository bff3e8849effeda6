{#
    Where a landed row sits: `<system>/<table>/<part file name>#<row number in that file>` (row numbers from 0),
    e.g. `shop/orders/part-00012.parquet#41`. Unique per landed row and stable while the files are not
    rewritten; the key of the base models. Reads the `filename` and `file_row_number` columns that the sources'
    external_location adds (read_parquet(..., filename=true, file_row_number=true)). Adapter-dispatched.
#}
{% macro landed_row_id(system, table, relation_alias=none) -%}
    {{ return(adapter.dispatch('landed_row_id', 'cart_recovery')(system, table, relation_alias)) }}
{%- endmacro %}

{% macro default__landed_row_id(system, table, relation_alias=none) -%}
    {%- set prefix = relation_alias ~ '.' if relation_alias else '' -%}
    {{ dbt.concat([
        "'" ~ system ~ "/" ~ table ~ "/'",
        "parse_filename(" ~ prefix ~ "filename)",
        "'#'",
        "cast(" ~ prefix ~ "file_row_number as " ~ dbt.type_string() ~ ")",
    ]) }}
{%- endmacro %}

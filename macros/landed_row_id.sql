{#
    Where a landed row sits: `<system>/<table>/<part file name>#<row number in that file>` (row numbers from 0),
    e.g. `shop/orders/part-00012.parquet#41`. Unique per landed row and stable while the files are not
    rewritten; the key of the base models. Reads the `landed_file_name` and `landed_file_row_number` columns that
    the base models' import CTE adds (macro landed_file_columns), so it is the same text on every engine.
#}
{% macro landed_row_id(system, table, relation_alias=none) -%}
    {%- set prefix = relation_alias ~ '.' if relation_alias else '' -%}
    {{ dbt.concat([
        "'" ~ system ~ "/" ~ table ~ "/'",
        prefix ~ "landed_file_name",
        "'#'",
        "cast(" ~ prefix ~ "landed_file_row_number as " ~ dbt.type_string() ~ ")",
    ]) }}
{%- endmacro %}

{#
    The landed rows a build reads: all of them, or, when var as_of pins the build to a past time, only the rows
    landed by then (`_loaded_at` at or before as_of), so that the marts equal a build run at that time on what had
    landed. A `where` condition for a base model's import CTE (and the conservation test's count of the source).
#}
{% macro landed_by_as_of(loaded_at_column='_loaded_at') -%}
    {%- if var('as_of') is none -%}
        true
    {%- else -%}
        ({{ loaded_at_column }} is null or {{ loaded_at_column }} <= cast('{{ var("as_of") }}' as {{ dbt.type_timestamp() }}))
    {%- endif -%}
{%- endmacro %}

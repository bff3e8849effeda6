{#
    A data-quality finding, not an error (configure it with severity warn): usable landed rows that share a key
    and the columns the dedupe orders by (e.g. `_loaded_at`) but differ in content. Deduplication still keeps one
    of them, the same one in every build (the highest landed_row_id), but which version is true is the loader's
    to answer. Returns each such key with the number of different versions.
#}
{% test conflicting_duplicates(model, base_model, key_columns, tie_columns=['_loaded_at']) %}

{%- set group_columns = key_columns + tie_columns %}

with

usable as (

    select
        {{ group_columns | join(', ') }},
        raw_row
    from {{ base_model }}
    where reject_reason is null

),

tied as (

    select {{ group_columns | join(', ') }}
    from usable
    group by {{ group_columns | join(', ') }}
    having count(*) > 1

),

conflicting as (

    select
        {% for column in group_columns -%}
            usable.{{ column }},
        {% endfor -%}
        count(distinct usable.raw_row) as versions
    from usable
    inner join tied
        on
            {% for column in group_columns -%}
                usable.{{ column }} = tied.{{ column }}{% if not loop.last %} and {% endif %}
            {%- endfor %}
    group by {% for column in group_columns %}usable.{{ column }}{% if not loop.last %}, {% endif %}{% endfor %}
    having count(distinct usable.raw_row) > 1

)

select * from conflicting

{% endtest %}

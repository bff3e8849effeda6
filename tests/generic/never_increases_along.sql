{#
    Model-level test for a funnel: along `columns` (ordered from the top of the funnel down) no stage holds
    more than the stage before it. Fails on every row where one does.
#}
{% test never_increases_along(model, columns) %}

    select *
    from {{ model }}
    where
        {% for column in columns[1:] -%}
            {{ column }} > {{ columns[loop.index0] }}{% if not loop.last %} or {% endif %}
        {% endfor %}

{% endtest %}

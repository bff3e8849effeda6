{#
    The column has a value exactly on the rows where `condition` holds: fails on every row where the
    condition holds and the column is null, or it does not hold and the column is set.
#}
{% test present_exactly_when(model, column_name, condition) %}

    select *
    from {{ model }}
    where
        ({{ condition }}) and {{ column_name }} is null
        or not ({{ condition }}) and {{ column_name }} is not null

{% endtest %}

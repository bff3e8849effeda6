{#
    The column equals numerator ÷ denominator (within 1e-9), and is null when the denominator is 0 or null.
    Fails on every row where it does not.
#}
{% test is_ratio_of(model, column_name, numerator, denominator) %}

    select *
    from {{ model }}
    where
        case
            when coalesce({{ denominator }}, 0) = 0 then {{ column_name }} is not null
            else
                {{ column_name }} is null
                or abs({{ column_name }} - cast({{ numerator }} as double) / {{ denominator }})
                > 1e-9
        end

{% endtest %}

{#
    Nothing staged vanishes on the way to the marts: every row of the staging model under test reaches the
    downstream model that consumes it, matched on `column_name` = `consumer_column`. Unlike `relationships`,
    a null value is not skipped: a row that cannot be matched is a row lost. Returns the unmatched values with
    their row counts. Rows that cannot be used belong in rejected_records (a reject rule in the base model).
#}
{% test used_downstream(model, column_name, consumer, consumer_column) %}

with

staged as (

    select {{ column_name }} as used_key from {{ model }}

),

consumed as (

    select distinct {{ consumer_column }} as used_key from {{ consumer }}

),

unused as (

    select
        staged.used_key,
        count(*) as unused_rows
    from staged
    left outer join consumed on staged.used_key = consumed.used_key
    where consumed.used_key is null
    group by staged.used_key

)

select * from unused

{% endtest %}

{#
    fulfillment_delayed candidates, one row per order, with clock start, clearing time and amount at risk:
    rule in docs/definitions.md "Exceptions", columns in _exceptions__models.yml.
#}
with

orders as (

    select * from {{ ref('int_orders__with_payments') }}

),

candidates as (

    select
        'fulfillment_delayed' as exception_type,
        'order' as entity_type,
        cast(order_id as {{ dbt.type_string() }}) as entity_id,
        created_at as clock_start_at,
        first_fulfilled_at as cleared_at,
        total_price_reporting as amount_at_risk,
        {{ dbt.concat(["'paid '", "cast(first_paid_at as " ~ dbt.type_string() ~ ")", "', '", "source_name"]) }}
            as details
    from orders
    where is_live and is_paid

)

select * from candidates

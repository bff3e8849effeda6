{#
    fulfillment_delayed (shop): a live, paid order (a successful capture or sale recorded by the shop) without a
    successful fulfillment within fulfillment_sla_hours of creation. Clock: order creation. Clears: the first
    successful fulfillment.
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

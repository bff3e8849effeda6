{#
    refund_exceeds_capture candidates, one row per order, with clock start, clearing time and amount at risk:
    rule in docs/definitions.md "Exceptions", columns in _exceptions__models.yml.
#}
with

orders as (

    select * from {{ ref('int_orders__with_payments') }}

),

charges as (

    select * from {{ ref('int_payments__charges_linked') }}
    where is_linked

),

by_order as (

    select
        order_id,
        sum(case when is_successful_capture then amount_captured else 0 end) as captured_amount,
        sum(refunded_amount) as refunded_amount,
        sum(case when is_successful_capture then amount_captured_reporting else 0 end) as captured_reporting,
        sum(refunded_amount_reporting) as refunded_reporting
    from charges
    group by order_id

),

candidates as (

    select
        'refund_exceeds_capture' as exception_type,
        'order' as entity_type,
        cast(orders.order_id as {{ dbt.type_string() }}) as entity_id,
        orders.created_at as clock_start_at,
        cast(null as {{ dbt.type_timestamp() }}) as cleared_at,
        cast(by_order.refunded_reporting - by_order.captured_reporting as decimal(18, 2)) as amount_at_risk,
        {{ dbt.concat(["'refunded '", "cast(by_order.refunded_amount as " ~ dbt.type_string() ~ ")",
            "' vs captured '", "cast(by_order.captured_amount as " ~ dbt.type_string() ~ ")"]) }} as details
    from orders
    inner join by_order on orders.order_id = by_order.order_id
    where by_order.refunded_amount > by_order.captured_amount

)

select * from candidates

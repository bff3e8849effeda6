{#
    duplicate_capture candidates, one row per order, with clock start, clearing time and amount at risk:
    rule in docs/definitions.md "Exceptions", columns in _exceptions__models.yml.
#}
with

orders as (

    select * from {{ ref('int_orders__with_payments') }}

),

charges as (

    select * from {{ ref('int_payments__charges_linked') }}
    where is_linked and is_successful_capture

),

captures as (

    select
        order_id,
        count(*) as capture_count,
        sum(amount_captured) as captured_amount
    from charges
    group by order_id

),

candidates as (

    select
        'duplicate_capture' as exception_type,
        'order' as entity_type,
        cast(orders.order_id as {{ dbt.type_string() }}) as entity_id,
        orders.created_at as clock_start_at,
        cast(null as {{ dbt.type_timestamp() }}) as cleared_at,
        cast(orders.captured_amount_reporting - orders.total_price_reporting as decimal(18, 2))
            as amount_at_risk,
        {{ dbt.concat(["cast(captures.capture_count as " ~ dbt.type_string() ~ ")", "' captures totalling '",
            "cast(captures.captured_amount as " ~ dbt.type_string() ~ ")", "' for a total of '",
            "cast(orders.total_price as " ~ dbt.type_string() ~ ")", "' '", "orders.currency"]) }} as details
    from orders
    inner join captures on orders.order_id = captures.order_id
    where
        orders.is_live
        and captures.capture_count >= 2
        and captures.captured_amount > orders.total_price

)

select * from candidates

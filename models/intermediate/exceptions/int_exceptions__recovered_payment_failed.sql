{#
    recovered_payment_failed candidates, one row per order, with clock start, clearing time and amount at risk:
    rule in docs/definitions.md "Exceptions", columns in _exceptions__models.yml.
#}
with

recovered as (

    select
        cart_token,
        recovered_order_id as order_id
    from {{ ref('int_carts__recovery') }}
    where recovered_order_id is not null

),

orders as (

    select * from {{ ref('int_orders__with_payments') }}

),

candidates as (

    select
        'recovered_payment_failed' as exception_type,
        'order' as entity_type,
        cast(orders.order_id as {{ dbt.type_string() }}) as entity_id,
        orders.created_at as clock_start_at,
        orders.first_succeeded_charge_at as cleared_at,
        orders.total_price_reporting as amount_at_risk,
        {{ dbt.concat(["cast(orders.stripe_charge_count as " ~ dbt.type_string() ~ ")",
            "' payment attempt(s) on the order of cart '", "recovered.cart_token"]) }} as details
    from recovered
    inner join orders on recovered.order_id = orders.order_id
    where orders.stripe_charge_count >= 1

)

select * from candidates

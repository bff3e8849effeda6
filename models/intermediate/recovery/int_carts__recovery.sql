{#
    One row per abandoned cart with the order that recovered it and the revenue Stripe captured on it
    (docs/definitions.md "Carts"; _recovery__models.yml).
#}
with

abandoned as (

    select
        cart_token,
        abandoned_at
    from {{ ref('int_carts__abandonment') }}
    where is_abandoned

),

orders as (

    select
        order_id,
        cart_token,
        created_at,
        source_name
    from {{ ref('stg_shop__orders') }}
    where
        cart_token is not null
        and cancelled_at is null
        and not is_test

),

payments as (

    select
        order_id,
        captured_charge_count,
        net_paid_amount_reporting
    from {{ ref('int_payments__by_order') }}

),

as_of as (

    select as_of from {{ ref('int_warehouse__as_of') }}

),

recovering_orders as (

    select
        abandoned.cart_token,
        orders.order_id,
        orders.created_at,
        orders.source_name
    from abandoned
    inner join orders
        on
            abandoned.cart_token = orders.cart_token
            and abandoned.abandoned_at < orders.created_at
            and orders.created_at
            <= {{ dbt.dateadd('day', var('recovery_window_days'), 'abandoned.abandoned_at') }}
    cross join as_of
    where orders.created_at <= as_of.as_of
    qualify row_number() over (
        partition by abandoned.cart_token
        order by orders.created_at, orders.order_id
    ) = 1

),

recovery as (

    select
        abandoned.cart_token,
        abandoned.abandoned_at,
        recovering_orders.order_id as recovered_order_id,
        recovering_orders.created_at as recovered_at,
        recovering_orders.source_name as recovered_order_source_name,
        recovering_orders.order_id is not null as is_recovered,
        coalesce(payments.captured_charge_count, 0) > 0 as is_recovered_and_paid,
        case
            when recovering_orders.order_id is not null
                then coalesce(payments.net_paid_amount_reporting, 0)
        end as recovered_revenue
    from abandoned
    left outer join recovering_orders on abandoned.cart_token = recovering_orders.cart_token
    left outer join payments on recovering_orders.order_id = payments.order_id

)

select * from recovery

{#
    One row per storefront order with its shop and Stripe payments, for the order marts and the exception
    rules: columns in _finance__models.yml.
#}
with

orders as (

    select * from {{ ref('stg_shop__orders') }}

),

transactions as (

    select * from {{ ref('stg_shop__transactions') }}

),

fulfillments as (

    select * from {{ ref('stg_shop__fulfillments') }}

),

order_lines as (

    select * from {{ ref('stg_shop__order_lines') }}

),

stripe_payments as (

    select * from {{ ref('int_payments__by_order') }}

),

fx as (

    select
        rate_date,
        currency,
        rate_to_reporting
    from {{ ref('int_fx__rates_to_reporting') }}

),

shop_payments as (

    select
        order_id,
        min(created_at) as first_paid_at
    from transactions
    where kind in ('capture', 'sale') and status = 'success'
    group by order_id

),

shop_fulfillments as (

    select
        order_id,
        min(created_at) as first_fulfilled_at
    from fulfillments
    where status = 'success'
    group by order_id

),

lines as (

    select
        order_id,
        count(*) as line_count,
        sum(quantity) as item_quantity
    from order_lines
    group by order_id

),

final as (

    select
        orders.order_id,
        orders.cart_token,
        orders.customer_id,
        orders.customer_key,
        orders.source_name,
        orders.financial_status,
        orders.is_test,
        orders.cancelled_at is not null as is_cancelled,
        not orders.is_test and orders.cancelled_at is null as is_live,
        orders.created_at,
        orders.updated_at,
        orders.cancelled_at,
        orders.currency,
        orders.total_price,
        '{{ var("reporting_currency") }}' as reporting_currency,
        fx.rate_to_reporting,
        {{ to_reporting_currency('orders.total_price', 'fx.rate_to_reporting') }} as total_price_reporting,
        cast(coalesce(lines.line_count, 0) as {{ dbt.type_bigint() }}) as line_count,
        cast(coalesce(lines.item_quantity, 0) as {{ dbt.type_bigint() }}) as item_quantity,
        shop_payments.first_paid_at,
        shop_payments.first_paid_at is not null as is_paid,
        shop_fulfillments.first_fulfilled_at,
        cast(coalesce(stripe_payments.charge_count, 0) as {{ dbt.type_bigint() }}) as stripe_charge_count,
        cast(coalesce(stripe_payments.succeeded_charge_count, 0) as {{ dbt.type_bigint() }})
            as succeeded_charge_count,
        cast(coalesce(stripe_payments.captured_charge_count, 0) as {{ dbt.type_bigint() }})
            as captured_charge_count,
        cast(coalesce(stripe_payments.captured_amount_reporting, 0) as decimal(18, 2))
            as captured_amount_reporting,
        cast(coalesce(stripe_payments.refunded_amount_reporting, 0) as decimal(18, 2))
            as refunded_amount_reporting,
        cast(coalesce(stripe_payments.net_paid_amount_reporting, 0) as decimal(18, 2))
            as net_paid_amount_reporting,
        stripe_payments.first_succeeded_charge_at
    from orders
    left outer join shop_payments on orders.order_id = shop_payments.order_id
    left outer join shop_fulfillments on orders.order_id = shop_fulfillments.order_id
    left outer join lines on orders.order_id = lines.order_id
    left outer join stripe_payments on orders.order_id = stripe_payments.order_id
    left outer join fx
        on
            orders.currency = fx.currency
            and cast(orders.created_at as date) = fx.rate_date

)

select * from final

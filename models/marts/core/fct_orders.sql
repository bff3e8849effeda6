{#
    Public order mart, one row per storefront order (int_orders__with_payments as published): columns in
    _core__models.yml.
-#}
with

orders as (

    select * from {{ ref('int_orders__with_payments') }}

),

final as (

    select
        order_id,
        cart_token,
        customer_id,
        customer_key,
        source_name,
        financial_status,
        is_test,
        is_cancelled,
        is_live,
        created_at,
        updated_at,
        cancelled_at,
        currency,
        total_price,
        reporting_currency,
        rate_to_reporting,
        total_price_reporting,
        line_count,
        item_quantity,
        first_paid_at,
        is_paid,
        first_fulfilled_at,
        stripe_charge_count,
        succeeded_charge_count,
        captured_charge_count,
        captured_amount_reporting,
        refunded_amount_reporting,
        net_paid_amount_reporting,
        first_succeeded_charge_at
    from orders

)

select * from final

{#
    Public payment mart, one row per Stripe charge (int_payments__charges_linked as published): columns in
    _core__models.yml.
-#}
with

charges as (

    select * from {{ ref('int_payments__charges_linked') }}

),

final as (

    select
        charge_id,
        payment_intent_id,
        order_id,
        link_method,
        is_linked,
        metadata_cart_token as cart_token,
        created_at,
        status,
        is_captured,
        is_successful_capture,
        failure_code,
        is_livemode,
        currency,
        amount,
        amount_captured,
        amount_refunded,
        cast(refund_count as {{ dbt.type_bigint() }}) as refund_count,
        cast(refunded_amount as decimal(18, 2)) as refunded_amount,
        cast(amount_captured - refunded_amount as decimal(18, 2)) as net_amount,
        fx_rate_date,
        '{{ var("reporting_currency") }}' as reporting_currency,
        rate_to_reporting,
        amount_reporting,
        amount_captured_reporting,
        refunded_amount_reporting,
        cast(amount_captured_reporting - refunded_amount_reporting as decimal(18, 2)) as net_amount_reporting
    from charges

)

select * from final

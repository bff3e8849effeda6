{#
    Stripe charges, captures and refunds per linked order (reporting currency): columns in _finance__models.yml.
#}
with

charges as (

    select * from {{ ref('int_payments__charges_linked') }}
    where is_linked

),

by_order as (

    select
        order_id,
        count(*) as charge_count,
        sum(case when status = 'succeeded' then 1 else 0 end) as succeeded_charge_count,
        sum(case when is_successful_capture then 1 else 0 end) as captured_charge_count,
        sum(case when is_successful_capture then amount_captured_reporting else 0 end)
            as captured_amount_reporting,
        sum(refunded_amount_reporting) as refunded_amount_reporting,
        min(case when status = 'succeeded' then created_at end) as first_succeeded_charge_at
    from charges
    group by order_id

),

netted as (

    select
        *,
        captured_amount_reporting - refunded_amount_reporting as net_paid_amount_reporting
    from by_order

)

select * from netted

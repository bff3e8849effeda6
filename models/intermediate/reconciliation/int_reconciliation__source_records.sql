{#
    What the source systems delivered, one row per source record and measure (rejected records included):
    storefront orders, the storefront's successful captures/sales, Stripe's succeeded charges and refunds.
#}
{%- set major = "case currencies.minor_unit_digits when 0 then 1.00 when 1 then 0.10 when 2 then 0.01 end" -%}

with

orders as (

    {{ reconciliation_records(
        ref('base_shop__orders'), ref('currencies'), 'shop', 'orders',
        key_sql='raw.order_id',
        date_sql=lenient_date('raw.created_at', 'raw._loaded_at'),
        amount_sql='raw.total_price',
        currency_sql='currency',
    ) }}

),

successful_captures as (

    {{ reconciliation_records(
        ref('base_shop__transactions'), ref('currencies'), 'shop', 'successful_captures',
        key_sql='raw.transaction_id',
        date_sql=lenient_date('raw.created_at', 'raw._loaded_at'),
        amount_sql='raw.amount',
        currency_sql='currency',
        where_sql="lower(trim(raw.kind)) in ('capture', 'sale') and lower(trim(raw.status)) = 'success'",
    ) }}

),

succeeded_charges as (

    {{ reconciliation_records(
        ref('base_stripe__charges'), ref('currencies'), 'stripe', 'succeeded_charges',
        key_sql='raw.id',
        date_sql='cast(' ~ epoch_to_timestamp('raw.created') ~ ' as date)',
        amount_sql='raw.amount_captured * ' ~ major,
        currency_sql='currency',
        where_sql="lower(trim(raw.status)) = 'succeeded'",
    ) }}

),

succeeded_refunds as (

    {{ reconciliation_records(
        ref('base_stripe__refunds'), ref('currencies'), 'stripe', 'succeeded_refunds',
        key_sql='raw.id',
        date_sql='cast(' ~ epoch_to_timestamp('raw.created') ~ ' as date)',
        amount_sql='raw.amount * ' ~ major,
        currency_sql='currency',
        where_sql="lower(trim(raw.status)) = 'succeeded'",
    ) }}

),

{{ reconciliation_amounts(
    ['orders', 'successful_captures', 'succeeded_charges', 'succeeded_refunds'], ref('int_fx__rates_to_reporting'),
) }}

select * from records

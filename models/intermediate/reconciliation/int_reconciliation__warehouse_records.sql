{#
    Warehouse side of the landing measures, one row per record: docs/definitions.md "Landing measures";
    columns in _reconciliation__models.yml.
#}
with

orders as (

    select
        'shop' as source_system,
        'orders' as measure,
        cast(order_id as {{ dbt.type_string() }}) as record_key,
        cast(created_at as date) as recon_date,
        currency,
        total_price as amount
    from {{ ref('int_orders__with_payments') }}

),

successful_captures as (

    select
        'shop' as source_system,
        'successful_captures' as measure,
        cast(transaction_id as {{ dbt.type_string() }}) as record_key,
        cast(created_at as date) as recon_date,
        currency,
        amount
    from {{ ref('stg_shop__transactions') }}
    where kind in ('capture', 'sale') and status = 'success'

),

succeeded_charges as (

    select
        'stripe' as source_system,
        'succeeded_charges' as measure,
        charge_id as record_key,
        cast(created_at as date) as recon_date,
        currency,
        amount_captured as amount
    from {{ ref('int_payments__charges_linked') }}
    where status = 'succeeded'

),

succeeded_refunds as (

    select
        'stripe' as source_system,
        'succeeded_refunds' as measure,
        refund_id as record_key,
        cast(created_at as date) as recon_date,
        currency,
        amount
    from {{ ref('stg_stripe__refunds') }}
    where status = 'succeeded'

),

{{ reconciliation_amounts(
    ['orders', 'successful_captures', 'succeeded_charges', 'succeeded_refunds'], ref('int_fx__rates_to_reporting'),
) }}

select * from records

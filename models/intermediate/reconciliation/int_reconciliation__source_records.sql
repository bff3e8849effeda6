{#
    What the source systems delivered, one row per source record and measure (rejected records included): the
    staged source records of the storefront and of Stripe, with their amounts in the reporting currency.
#}
with

shop as (

    select
        source_system,
        measure,
        record_key,
        recon_date,
        currency,
        amount,
        is_rejected
    from {{ ref('stg_shop__source_records') }}

),

stripe as (

    select
        source_system,
        measure,
        record_key,
        recon_date,
        currency,
        amount,
        is_rejected
    from {{ ref('stg_stripe__source_records') }}

),

{{ reconciliation_amounts(['shop', 'stripe'], ref('int_fx__rates_to_reporting')) }}

select * from records

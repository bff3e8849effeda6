{#
    Source side of the landing measures, one row per source record and measure: docs/definitions.md
    "Landing measures"; columns in _reconciliation__models.yml.
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

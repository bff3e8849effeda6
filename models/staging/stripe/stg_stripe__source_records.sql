{#
    What Stripe delivered, one row per source record and measure: columns in _stripe__models.yml;
    what counts as a record and its day in docs/definitions.md "Landing measures".
#}
with

succeeded_charges as (

    {{ reconciliation_records(
        ref('base_stripe__charges'), ref('currencies'), 'stripe', 'succeeded_charges',
        key_sql='raw.id',
        date_sql='cast(' ~ epoch_to_timestamp('raw.created') ~ ' as date)',
        amount_sql=minor_to_major_units('raw.amount_captured', 'currencies.minor_unit_digits'),
        currency_sql='currency',
        where_sql="lower(trim(raw.status)) = 'succeeded'",
    ) }}

),

succeeded_refunds as (

    {{ reconciliation_records(
        ref('base_stripe__refunds'), ref('currencies'), 'stripe', 'succeeded_refunds',
        key_sql='raw.id',
        date_sql='cast(' ~ epoch_to_timestamp('raw.created') ~ ' as date)',
        amount_sql=minor_to_major_units('raw.amount', 'currencies.minor_unit_digits'),
        currency_sql='currency',
        where_sql="lower(trim(raw.status)) = 'succeeded'",
    ) }}

),

unioned as (

    select * from succeeded_charges
    union all
    select * from succeeded_refunds

),

records as (

    select
        {{ dbt.concat(["measure", "':'", "record_key"]) }} as source_record_id,
        source_system,
        measure,
        record_key,
        recon_date,
        currency,
        amount,
        is_rejected
    from unioned

)

select * from records

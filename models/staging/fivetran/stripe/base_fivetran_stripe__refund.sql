{#
    Every landed row of Fivetran's Stripe `refund` table in the columns of base_stripe__refunds
    (docs/connectors.md). base_stripe__refunds selects from it when stripe_source_format is fivetran.
#}
with

source as (

    {{ connector_rows(source('fivetran_stripe', 'refund'), 'refund', 'stripe', [
        'id', 'charge_id', 'amount', 'currency', 'status', 'reason', 'created', '_fivetran_synced',
    ]) }}

),

currencies as (

    select * from {{ ref('currencies') }}

),

parsed as (

    select
        {{ landed_row_id('stripe', 'refund', 'source') }} as landed_row_id,
        source.id,
        source.charge_id as charge,
        cast(source.amount as {{ dbt.type_bigint() }}) as amount,
        source.currency,
        source.status,
        source.reason,
        {{ timestamp_to_epoch(connector_timestamp('source.created')) }} as created,
        {{ connector_timestamp('source.created') }} as created_at_utc,
        cast(source._fivetran_synced as {{ dbt.type_timestamp() }}) as _loaded_at,
        currencies.currency as currency_code,
        currencies.minor_unit_digits,
        source.raw_row
    from source
    {{ known_currency_join('source.currency') }}

),

tagged as (

    {{ tagged_rows(
        raw_key_columns=['id'],
        reject_reason_sql=reject_reason(
            key_columns=['id'],
            timestamps={'created': 'created_at_utc'},
            minor_unit_columns=['amount'],
            currency_column='currency',
            known_currency_column='currency_code'
        )
    ) }}

)

select * from tagged

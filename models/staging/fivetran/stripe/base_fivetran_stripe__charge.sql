{#
    Every landed row of Fivetran's Stripe `charge` table in the columns of base_stripe__charges
    (docs/connectors.md): `created` (a timestamp, naive = UTC) also as Unix seconds, `amount_captured` = amount
    when captured (the connector has no partial-capture amount). base_stripe__charges selects from it when
    stripe_source_format is fivetran.
#}
with

source as (

    {{ connector_rows(source('fivetran_stripe', 'charge'), 'charge', 'stripe', [
        'id', 'payment_intent_id', 'amount', 'amount_refunded', 'currency', 'status', 'captured', 'created',
        'failure_code', 'metadata', 'livemode', '_fivetran_synced',
    ]) }}

),

currencies as (

    select * from {{ ref('currencies') }}

),

parsed as (

    select
        {{ landed_row_id('stripe', 'charge', 'source') }} as landed_row_id,
        source.id,
        source.payment_intent_id as payment_intent,
        cast(source.amount as {{ dbt.type_bigint() }}) as amount,
        case when source.captured then cast(source.amount as {{ dbt.type_bigint() }}) else 0 end as amount_captured,
        cast(source.amount_refunded as {{ dbt.type_bigint() }}) as amount_refunded,
        source.currency,
        source.status,
        source.captured,
        {{ timestamp_to_epoch(connector_timestamp('source.created')) }} as created,
        {{ connector_timestamp('source.created') }} as created_at_utc,
        source.failure_code,
        source.metadata,
        source.livemode,
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
            minor_unit_columns=['amount', 'amount_captured', 'amount_refunded'],
            currency_column='currency',
            known_currency_column='currency_code'
        )
    ) }}

)

select * from tagged

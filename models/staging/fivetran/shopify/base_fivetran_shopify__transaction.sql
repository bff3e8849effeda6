{#
    Every landed row of Fivetran's Shopify `transaction` table in the columns of base_shop__transactions
    (docs/connectors.md): `authorization` (the Stripe charge id for the stripe gateway) is the gateway
    reference; kind and status lower-cased, a kind the warehouse does not read is rejected as unknown_status.
    base_shop__transactions selects from it when shop_source_format is fivetran.
#}
with

source as (

    {{ connector_rows(source('fivetran_shopify', 'transaction'), 'transaction', 'shopify', [
        'id', 'order_id', 'kind', 'status', 'amount', 'currency', 'gateway', 'authorization', 'created_at', 'test',
        '_fivetran_synced',
    ]) }}

),

currencies as (

    select * from {{ ref('currencies') }}

),

parsed as (

    select
        {{ landed_row_id('shopify', 'transaction', 'source') }} as landed_row_id,
        cast(source.id as {{ dbt.type_bigint() }}) as transaction_id,
        cast(source.order_id as {{ dbt.type_bigint() }}) as order_id,
        lower(trim(source.kind)) as kind,
        lower(trim(source.status)) as status,
        {{ connector_money('source.amount', 'currencies.minor_unit_digits') }} as amount,
        source.currency,
        case
            when lower(trim(source.gateway)) in ('stripe', 'paypal', 'manual', 'gift_card')
                then lower(trim(source.gateway))
            else 'other'
        end as gateway,
        source.{{ adapter.quote('authorization') }} as gateway_reference,
        {{ utc_iso_text(connector_timestamp('source.created_at')) }} as created_at,
        cast(source._fivetran_synced as {{ dbt.type_timestamp() }}) as _loaded_at,
        {{ connector_timestamp('source.created_at') }} as created_at_utc,
        currencies.currency as currency_code,
        source.raw_row
    from source
    {{ known_currency_join('source.currency') }}

),

tagged as (

    {{ tagged_rows(
        raw_key_columns=['transaction_id'],
        reject_reason_sql=reject_reason(
            key_columns=['transaction_id'],
            timestamps={'created_at': 'created_at_utc'},
            amount_columns=['amount'],
            currency_column='currency',
            known_currency_column='currency_code',
            statuses={'kind': shopify_transaction_kinds()}
        )
    ) }}

)

select * from tagged

{#
    Every landed row of Fivetran's Shopify `abandoned_checkout` table (docs/connectors.md "Checkout grain"): the
    checkout's key (its cart_token, else its token), times read as UTC, the float total rounded to the currency's
    minor units, the email hashed (never stored). stg_fivetran_shopify__checkouts keeps the usable rows,
    rejected_records the others.
#}
with

source as (

    {{ connector_rows(source('fivetran_shopify', 'abandoned_checkout'), 'abandoned_checkout', 'shopify', [
        'id', 'token', 'cart_token', 'customer_id', 'created_at', 'updated_at', 'closed_at', 'currency',
        'total_price', 'source_name', '_fivetran_deleted', '_fivetran_synced',
    ]) }}

),

currencies as (

    select * from {{ ref('currencies') }}

),

parsed as (

    select
        {{ landed_row_id('shopify', 'abandoned_checkout', 'source') }} as landed_row_id,
        cast(source.id as {{ dbt.type_bigint() }}) as checkout_id,
        coalesce(source.cart_token, source.token) as cart_token,
        cast(source.customer_id as {{ dbt.type_bigint() }}) as customer_id,
        {{ email_to_customer_key('source.email') }} as customer_key,
        {{ connector_timestamp('source.created_at') }} as created_at_utc,
        {{ connector_timestamp('source.updated_at') }} as updated_at_utc,
        {{ connector_timestamp('source.closed_at') }} as closed_at_utc,
        source.updated_at as updated_at_landed,
        source.closed_at as closed_at_landed,
        {{ connector_money('source.total_price', 'currencies.minor_unit_digits') }} as total_price,
        source.currency,
        currencies.currency as currency_code,
        cast(source._fivetran_synced as {{ dbt.type_timestamp() }}) as _loaded_at,
        source._fivetran_deleted as is_deleted_in_source,
        source.raw_row
    from source
    {{ known_currency_join('source.currency') }}

),

tagged as (

    {{ tagged_rows(
        raw_key_columns=['checkout_id'],
        reject_reason_sql=reject_reason(
            key_columns=['checkout_id', 'cart_token'],
            deleted_column='is_deleted_in_source',
            timestamps={'created_at': 'created_at_utc'},
            nullable_timestamps={'updated_at_landed': 'updated_at_utc', 'closed_at_landed': 'closed_at_utc'},
            amount_columns=['total_price'],
            currency_column='currency',
            known_currency_column='currency_code'
        )
    ) }}

)

select * from tagged

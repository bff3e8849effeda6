{#
    Every landed row of Fivetran's Shopify `order` table in the columns of base_shop__orders (docs/connectors.md):
    typed or naive times read as UTC and carried as ISO-8601 text too, float totals rounded to the currency's
    minor units, Shopify's sales channels mapped to the native ones, `raw_row` the connector row as JSON.
    base_shop__orders selects from it when var shop_source_format is fivetran.
#}
with

source as (

    {{ connector_rows(source('fivetran_shopify', 'order'), 'order', 'shopify', [
        'id', 'cart_token', 'checkout_token', 'customer_id', 'created_at', 'updated_at', 'cancelled_at',
        'financial_status', 'total_price', 'currency', 'source_name', 'test', '_fivetran_deleted', '_fivetran_synced',
    ]) }}

),

currencies as (

    select * from {{ ref('currencies') }}

),

parsed as (

    select
        {{ landed_row_id('shopify', 'order', 'source') }} as landed_row_id,
        cast(source.id as {{ dbt.type_bigint() }}) as order_id,
        coalesce(source.cart_token, source.checkout_token) as cart_token,
        cast(source.customer_id as {{ dbt.type_bigint() }}) as customer_id,
        {{ email_to_customer_key('source.email') }} as customer_key,
        {{ connector_timestamp('source.created_at') }} as created_at_utc,
        {{ connector_timestamp('source.updated_at') }} as updated_at_utc,
        {{ connector_timestamp('source.cancelled_at') }} as cancelled_at_utc,
        lower(trim(source.financial_status)) as financial_status,
        {{ connector_money('source.total_price', 'currencies.minor_unit_digits') }} as total_price,
        source.currency,
        {{ shopify_source_name('source.source_name') }} as source_name,
        source.test,
        cast(source._fivetran_synced as {{ dbt.type_timestamp() }}) as _loaded_at,
        source._fivetran_deleted as is_deleted_in_source,
        source.cancelled_at as cancelled_at_landed,
        currencies.currency as currency_code,
        source.raw_row
    from source
    {{ known_currency_join('source.currency') }}

),

tagged as (

    select
        landed_row_id,
        order_id,
        cart_token,
        customer_id,
        customer_key,
        {{ utc_iso_text('created_at_utc') }} as created_at,
        {{ utc_iso_text('updated_at_utc') }} as updated_at,
        {{ utc_iso_text('cancelled_at_utc') }} as cancelled_at,
        financial_status,
        total_price,
        currency,
        source_name,
        test,
        _loaded_at,
        created_at_utc,
        updated_at_utc,
        cancelled_at_utc,
        currency_code,
        {{ raw_key(['order_id']) }} as raw_key,
        raw_row,
        {{ reject_reason(
            key_columns=['order_id'],
            deleted_column='is_deleted_in_source',
            timestamps={'created_at': 'created_at_utc', 'updated_at': 'updated_at_utc'},
            nullable_timestamps={'cancelled_at_landed': 'cancelled_at_utc'},
            amount_columns=['total_price'],
            currency_column='currency',
            known_currency_column='currency_code',
            statuses={'financial_status': shopify_financial_statuses()},
        ) }} as reject_reason
    from parsed

)

select * from tagged

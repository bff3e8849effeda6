{#
    Every landed row of shop.orders, none filtered or deduplicated: the raw columns, the parsed values
    staging needs and `reject_reason` (macro reject_reason). The only model that reads the source;
    stg_shop__orders keeps the usable rows, rejected_records the others.
    `email` is replaced by its hash (`customer_key`) at this first read: the raw email never enters the
    warehouse, not even as part of a rejected row.
#}
with

{% if var('shop_source_format') == 'fivetran' %}

tagged as (

    {# the connector's rows, already in these columns (docs/connectors.md) #}
    select * from {{ ref('base_fivetran_shopify__order') }}

)

{% else %}

source as (

    {{ landed_rows(source('shop', 'orders'), 'shop', 'orders') }}

),

currencies as (

    select * from {{ ref('currencies') }}

),

parsed as (

    select
        {{ landed_row_id('shop', 'orders', 'source') }} as landed_row_id,
        source.order_id,
        source.cart_token,
        source.customer_id,
        {{ email_to_customer_key('source.email') }} as customer_key,
        source.created_at,
        source.updated_at,
        source.cancelled_at,
        source.financial_status,
        source.total_price,
        source.currency,
        source.source_name,
        source.test,
        source._loaded_at,
        {{ to_utc_timestamp('source.created_at') }} as created_at_utc,
        {{ to_utc_timestamp('source.updated_at') }} as updated_at_utc,
        {{ to_utc_timestamp('source.cancelled_at') }} as cancelled_at_utc,
        currencies.currency as currency_code
    from source
    {{ known_currency_join('source.currency') }}

),

tagged as (

    {{ tagged_rows(
        raw_key_columns=['order_id'],
        raw_columns=[
            'order_id',
            'cart_token',
            'customer_id',
            'customer_key',
            'created_at',
            'updated_at',
            'cancelled_at',
            'financial_status',
            'total_price',
            'currency',
            'source_name',
            'test',
            '_loaded_at'
        ],
        reject_reason_sql=reject_reason(
            key_columns=['order_id'],
            timestamps={'created_at': 'created_at_utc', 'updated_at': 'updated_at_utc'},
            nullable_timestamps={'cancelled_at': 'cancelled_at_utc'},
            amount_columns=['total_price'],
            currency_column='currency',
            known_currency_column='currency_code'
        )
    ) }}

)

{% endif %}

select * from tagged

{#
    Every landed row of shop.fulfillments, none filtered or deduplicated: the raw columns, the parsed values
    staging needs and `reject_reason` (macro reject_reason). The only model that reads the source;
    stg_shop__fulfillments keeps the usable rows, rejected_records the others.
#}
with

{% if var('shop_source_format') == 'fivetran' %}

tagged as (

    {# the connector's rows, already in these columns (docs/connectors.md) #}
    select * from {{ ref('base_fivetran_shopify__fulfillment') }}

)

{% else %}

source as (

    {{ landed_rows(source('shop', 'fulfillments'), 'shop', 'fulfillments') }}

),

parsed as (

    select
        {{ landed_row_id('shop', 'fulfillments') }} as landed_row_id,
        fulfillment_id,
        order_id,
        status,
        created_at,
        _loaded_at,
        {{ to_utc_timestamp('created_at') }} as created_at_utc
    from source

),

tagged as (

    {{ tagged_rows(
        raw_key_columns=['fulfillment_id'],
        raw_columns=[
            'fulfillment_id',
            'order_id',
            'status',
            'created_at',
            '_loaded_at'
        ],
        reject_reason_sql=reject_reason(
            key_columns=['fulfillment_id'],
            timestamps={'created_at': 'created_at_utc'}
        )
    ) }}

)

{% endif %}

select * from tagged

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

    select
        *,
        {{ landed_file_columns(source('shop', 'fulfillments'), 'shop', 'fulfillments') }}
    from {{ source('shop', 'fulfillments') }}
    where {{ landed_by_as_of() }}

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

    select
        *,
        {{ raw_key(['fulfillment_id']) }} as raw_key,
        {{ row_to_json([
            'fulfillment_id',
            'order_id',
            'status',
            'created_at',
            '_loaded_at'
        ]) }} as raw_row,
        {{ reject_reason(
            key_columns=['fulfillment_id'],
            timestamps={'created_at': 'created_at_utc'}
        ) }} as reject_reason
    from parsed

)

{% endif %}

select * from tagged

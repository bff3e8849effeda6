{#
    Every landed row of shop.order_lines, none filtered or deduplicated: the raw columns, the parsed values
    staging needs and `reject_reason` (macro reject_reason). The only model that reads the source;
    stg_shop__order_lines keeps the usable rows, rejected_records the others.
#}
with

{% if var('shop_source_format') == 'fivetran' %}

tagged as (

    {# the connector's rows, already in these columns (docs/connectors.md) #}
    select * from {{ ref('base_fivetran_shopify__order_line') }}

)

{% else %}

source as (

    select
        *,
        {{ landed_file_columns(source('shop', 'order_lines'), 'shop', 'order_lines') }}
    from {{ source('shop', 'order_lines') }}
    where {{ landed_by_as_of() }}

),

parsed as (

    select
        {{ landed_row_id('shop', 'order_lines') }} as landed_row_id,
        order_id,
        line_number,
        sku,
        quantity,
        unit_price,
        _loaded_at
    from source

),

tagged as (

    select
        *,
        {{ raw_key(['order_id', 'line_number']) }} as raw_key,
        {{ row_to_json([
            'order_id',
            'line_number',
            'sku',
            'quantity',
            'unit_price',
            '_loaded_at'
        ]) }} as raw_row,
        {{ reject_reason(
            key_columns=['order_id', 'line_number'],
            amount_columns=['unit_price'],
            quantity_column='quantity'
        ) }} as reject_reason
    from parsed

)

{% endif %}

select * from tagged

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

    {{ landed_rows(source('shop', 'order_lines'), 'shop', 'order_lines') }}

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

    {{ tagged_rows(
        raw_key_columns=['order_id', 'line_number'],
        raw_columns=[
            'order_id',
            'line_number',
            'sku',
            'quantity',
            'unit_price',
            '_loaded_at'
        ],
        reject_reason_sql=reject_reason(
            key_columns=['order_id', 'line_number'],
            amount_columns=['unit_price'],
            quantity_column='quantity'
        )
    ) }}

)

{% endif %}

select * from tagged

{#
    Every landed row of Fivetran's Shopify `order_line` table in the columns of base_shop__order_lines
    (docs/connectors.md): line_number = index + 1, the float price rounded to the order currency's minor units
    (2 digits when the order is unknown). base_shop__order_lines selects from it when shop_source_format is
    fivetran.
#}
with

source as (

    {{ connector_rows(source('fivetran_shopify', 'order_line'), 'order_line', 'shopify', [
        'id', 'order_id', 'index', 'sku', 'quantity', 'price', '_fivetran_synced',
    ]) }}

),

order_currencies as (

    {# the digits of each order's currency, for rounding its lines' prices #}
    select
        orders.order_id,
        max(currencies.minor_unit_digits) as minor_unit_digits
    from {{ ref('base_fivetran_shopify__order') }} as orders
    inner join {{ ref('currencies') }} as currencies on orders.currency_code = currencies.currency
    group by orders.order_id

),

parsed as (

    select
        {{ landed_row_id('shopify', 'order_line', 'source') }} as landed_row_id,
        cast(source.order_id as {{ dbt.type_bigint() }}) as order_id,
        cast(source.index as {{ dbt.type_int() }}) + 1 as line_number,
        source.sku,
        cast(source.quantity as {{ dbt.type_int() }}) as quantity,
        {{ connector_money('source.price', 'order_currencies.minor_unit_digits') }} as unit_price,
        cast(source._fivetran_synced as {{ dbt.type_timestamp() }}) as _loaded_at,
        source.raw_row
    from source
    left outer join order_currencies on cast(source.order_id as {{ dbt.type_bigint() }}) = order_currencies.order_id

),

tagged as (

    {{ tagged_rows(
        raw_key_columns=['order_id', 'line_number'],
        reject_reason_sql=reject_reason(
            key_columns=['order_id', 'line_number'],
            amount_columns=['unit_price'],
            quantity_column='quantity'
        )
    ) }}

)

select * from tagged

{#
    Shopify product variants with their current price (docs/connectors.md), one row per SKU: the newest sync of
    the newest variant carrying it, the float price rounded to the shop currency's minor units. The snapshot
    snap_fivetran_shopify__product_variants keeps their history. Variants without a SKU are not priced.
#}
with

variants as (

    select * from {{ source('fivetran_shopify', 'product_variant') }}
    where sku is not null

),

currency as (

    select minor_unit_digits from {{ ref('currencies') }}
    where currency = '{{ var("shopify_shop_currency") }}'

),

priced as (

    select
        variants.sku,
        cast({{ connector_money('variants.price', 'currency.minor_unit_digits') }} as decimal(18, 2)) as price,
        {{ connector_timestamp('variants.created_at') }} as created_at,
        {{ connector_timestamp('variants.updated_at') }} as updated_at,
        cast(variants._fivetran_synced as {{ dbt.type_timestamp() }}) as loaded_at
    from variants
    cross join currency
    qualify row_number() over (
        partition by variants.sku
        order by variants._fivetran_synced desc, variants.updated_at desc, variants.id desc
    ) = 1

)

select * from priced

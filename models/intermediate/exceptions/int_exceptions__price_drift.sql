{#
    price_drift (shop): a recovered order with a line whose cart price (the unit price the order line carries
    from the cart) differs from the catalog price of that SKU and currency at order time (the latest
    valid_from at or before the order's creation). Clock: order creation. Never clears by itself.
#}
with

recovered as (

    select recovered_order_id as order_id from {{ ref('int_carts__recovery') }}
    where recovered_order_id is not null

),

orders as (

    select * from {{ ref('int_orders__joined') }}

),

order_lines as (

    select * from {{ ref('stg_shop__order_lines') }}

),

catalog as (

    select * from {{ ref('stg_shop__product_prices') }}

),

priced_lines as (

    select
        order_lines.order_id,
        order_lines.line_number,
        order_lines.sku,
        order_lines.quantity,
        order_lines.unit_price as cart_price,
        catalog.price as catalog_price,
        orders.rate_to_reporting
    from recovered
    inner join orders on recovered.order_id = orders.order_id
    inner join order_lines on recovered.order_id = order_lines.order_id
    inner join catalog
        on
            order_lines.sku = catalog.sku
            and orders.currency = catalog.currency
            and orders.created_at >= catalog.valid_from_at
    qualify row_number() over (
        partition by order_lines.order_id, order_lines.line_number
        order by catalog.valid_from_at desc
    ) = 1

),

drifted as (

    select
        order_id,
        count(*) as drifted_lines,
        min(sku) as first_sku,
        sum(abs(cart_price - catalog_price) * quantity * rate_to_reporting) as drift_reporting
    from priced_lines
    where cart_price <> catalog_price
    group by order_id

),

candidates as (

    select
        'price_drift' as exception_type,
        'order' as entity_type,
        cast(drifted.order_id as {{ dbt.type_string() }}) as entity_id,
        orders.created_at as clock_start_at,
        cast(null as {{ dbt.type_timestamp() }}) as cleared_at,
        cast(drifted.drift_reporting as decimal(18, 2)) as amount_at_risk,
        {{ dbt.concat(["cast(drifted.drifted_lines as " ~ dbt.type_string() ~ ")",
            "' line(s) off the catalog price, first '", "drifted.first_sku"]) }} as details
    from drifted
    inner join orders on drifted.order_id = orders.order_id

)

select * from candidates

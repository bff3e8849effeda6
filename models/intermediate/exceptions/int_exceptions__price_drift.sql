{#
    price_drift candidates, one row per order, with clock start, clearing time and amount at risk:
    rule in docs/definitions.md "Exceptions", columns in _exceptions__models.yml.
#}
with

recovered as (

    select
        cart_token,
        abandoned_at,
        recovered_order_id as order_id
    from {{ ref('int_carts__recovery') }}
    where recovered_order_id is not null

),

orders as (

    select
        order_id,
        created_at
    from {{ ref('int_orders__with_payments') }}

),

order_lines as (

    select * from {{ ref('stg_shop__order_lines') }}

),

cart_events as (

    select * from {{ ref('stg_shop__cart_events') }}
    where event_name = 'product_added_to_cart'

),

catalog as (

    select * from {{ ref('stg_shop__product_prices') }}

),

fx as (

    select * from {{ ref('int_fx__rates_to_reporting') }}

),

ordered_skus as (

    select
        recovered.order_id,
        recovered.cart_token,
        recovered.abandoned_at,
        orders.created_at,
        order_lines.sku,
        sum(order_lines.quantity) as quantity
    from recovered
    inner join orders on recovered.order_id = orders.order_id
    inner join order_lines on recovered.order_id = order_lines.order_id
    group by
        recovered.order_id,
        recovered.cart_token,
        recovered.abandoned_at,
        orders.created_at,
        order_lines.sku

),

cart_prices as (

    {# the SKU's last add to the cart before the cart was abandoned: the price the shopper saw #}
    select
        ordered_skus.order_id,
        ordered_skus.created_at,
        ordered_skus.sku,
        ordered_skus.quantity,
        cart_events.unit_price as cart_price,
        cart_events.currency
    from ordered_skus
    inner join cart_events
        on
            ordered_skus.cart_token = cart_events.cart_token
            and ordered_skus.sku = cart_events.sku
            and ordered_skus.abandoned_at >= cart_events.occurred_at
    qualify row_number() over (
        partition by ordered_skus.order_id, ordered_skus.sku
        order by cart_events.occurred_at desc, cart_events.event_id desc
    ) = 1

),

priced as (

    select
        cart_prices.*,
        catalog.price as catalog_price
    from cart_prices
    inner join catalog
        on
            cart_prices.sku = catalog.sku
            and cart_prices.currency = catalog.currency
            and cart_prices.created_at >= catalog.valid_from_at
    qualify row_number() over (
        partition by cart_prices.order_id, cart_prices.sku
        order by catalog.valid_from_at desc
    ) = 1

),

drifted as (

    select
        priced.order_id,
        priced.created_at,
        count(*) as drifted_skus,
        min(priced.sku) as first_sku,
        sum(abs(priced.cart_price - priced.catalog_price) * priced.quantity * fx.rate_to_reporting)
            as drift_reporting
    from priced
    left outer join fx
        on
            priced.currency = fx.currency
            and cast(priced.created_at as date) = fx.rate_date
    where priced.cart_price <> priced.catalog_price
    group by priced.order_id, priced.created_at

),

candidates as (

    select
        'price_drift' as exception_type,
        'order' as entity_type,
        cast(order_id as {{ dbt.type_string() }}) as entity_id,
        created_at as clock_start_at,
        cast(null as {{ dbt.type_timestamp() }}) as cleared_at,
        cast(drift_reporting as decimal(18, 2)) as amount_at_risk,
        {{ dbt.concat(["cast(drifted_skus as " ~ dbt.type_string() ~ ")",
            "' SKU(s) off the catalog price since the cart, first '", "first_sku"]) }} as details
    from drifted

)

select * from candidates

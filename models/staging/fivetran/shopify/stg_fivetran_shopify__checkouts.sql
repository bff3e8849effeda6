{#
    Checkouts at checkout grain (docs/connectors.md): the usable rows of base_fivetran_shopify__abandoned_checkout,
    one per checkout id (the newest `_loaded_at`, then the newest update, then the highest landed_row_id).
    base_shop__cart_events derives the checkout events from them.
#}
with

base as (

    select * from {{ ref('base_fivetran_shopify__abandoned_checkout') }}
    where reject_reason is null

),

deduplicated as (

    select
        checkout_id,
        cart_token,
        customer_id,
        customer_key,
        created_at_utc as created_at,
        updated_at_utc as updated_at,
        closed_at_utc as closed_at,
        cast(total_price as decimal(18, 2)) as total_price,
        currency_code as currency,
        _loaded_at as loaded_at,
        landed_row_id
    from base
    qualify row_number() over (
        partition by checkout_id
        order by _loaded_at desc, updated_at_utc desc, landed_row_id desc
    ) = 1

)

select * from deduplicated

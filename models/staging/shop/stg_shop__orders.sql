{#
    Usable storefront orders (newest version), one row per order_id: columns in _shop__models.yml;
    usable rows and deduplication in docs/definitions.md "Rows".
-#}
with

base as (

    select * from {{ ref('base_shop__orders') }}
    where reject_reason is null

),

renamed as (

    select
        cast(order_id as {{ dbt.type_bigint() }}) as order_id,
        cast(cart_token as {{ dbt.type_string() }}) as cart_token,
        cast(customer_id as {{ dbt.type_bigint() }}) as customer_id,
        customer_key,
        created_at_utc as created_at,
        updated_at_utc as updated_at,
        cancelled_at_utc as cancelled_at,
        lower(trim(financial_status)) as financial_status,
        cast(total_price as decimal(18, 2)) as total_price,
        currency_code as currency,
        lower(trim(source_name)) as source_name,
        coalesce(cast(test as boolean), false) as is_test,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at,
        landed_row_id
    from base

),

deduplicated as (

    {# an order is re-landed whenever it changes: docs/definitions.md "Deduplication" #}
    select * from renamed
    qualify row_number() over (
        partition by order_id
        order by updated_at desc, loaded_at desc, landed_row_id desc
    ) = 1

)

select * from deduplicated

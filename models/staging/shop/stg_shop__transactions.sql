{#
    Usable storefront transactions, one row per transaction_id: columns in _shop__models.yml;
    usable rows and deduplication in docs/definitions.md "Rows".
-#}
with

base as (

    select * from {{ ref('base_shop__transactions') }}
    where reject_reason is null

),

renamed as (

    select
        cast(transaction_id as {{ dbt.type_bigint() }}) as transaction_id,
        cast(order_id as {{ dbt.type_bigint() }}) as order_id,
        lower(trim(kind)) as kind,
        lower(trim(status)) as status,
        cast(amount as decimal(18, 2)) as amount,
        currency_code as currency,
        lower(trim(gateway)) as gateway,
        cast(gateway_reference as {{ dbt.type_string() }}) as gateway_reference,
        created_at_utc as created_at,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at,
        landed_row_id
    from base

),

deduplicated as (

    select * from renamed
    qualify row_number() over (partition by transaction_id order by loaded_at desc, landed_row_id desc) = 1

)

select * from deduplicated

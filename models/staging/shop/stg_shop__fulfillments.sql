{#
    Usable storefront fulfillments, one row per fulfillment_id: columns in _shop__models.yml;
    usable rows and deduplication in docs/definitions.md "Rows".
-#}
with

base as (

    select * from {{ ref('base_shop__fulfillments') }}
    where reject_reason is null

),

renamed as (

    select
        cast(fulfillment_id as {{ dbt.type_bigint() }}) as fulfillment_id,
        cast(order_id as {{ dbt.type_bigint() }}) as order_id,
        lower(trim(status)) as status,
        created_at_utc as created_at,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at,
        landed_row_id
    from base

),

deduplicated as (

    select * from renamed
    qualify row_number() over (partition by fulfillment_id order by loaded_at desc, landed_row_id desc) = 1

)

select * from deduplicated

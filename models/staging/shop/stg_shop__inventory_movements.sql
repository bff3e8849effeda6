{#
    Usable inventory movements, one row per movement_id: columns in _shop__models.yml;
    usable rows and deduplication in docs/definitions.md "Rows".
-#}
with

base as (

    select * from {{ ref('base_shop__inventory_movements') }}
    where reject_reason is null

),

renamed as (

    select
        cast(movement_id as {{ dbt.type_bigint() }}) as movement_id,
        cast(sku as {{ dbt.type_string() }}) as sku,
        cast(quantity_delta as {{ dbt.type_int() }}) as quantity_delta,
        lower(trim(reason)) as reason,
        cast(order_id as {{ dbt.type_bigint() }}) as order_id,
        occurred_at_utc as occurred_at,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at,
        landed_row_id
    from base

),

deduplicated as (

    select * from renamed
    qualify row_number() over (partition by movement_id order by loaded_at desc, landed_row_id desc) = 1

)

select * from deduplicated

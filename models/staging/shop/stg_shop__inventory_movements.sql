with

source as (

    select * from {{ source('shop', 'inventory_movements') }}

),

renamed as (

    select
        cast(movement_id as {{ dbt.type_bigint() }}) as movement_id,
        cast(sku as {{ dbt.type_string() }}) as sku,
        cast(quantity_delta as {{ dbt.type_int() }}) as quantity_delta,
        lower(trim(reason)) as reason,
        cast(order_id as {{ dbt.type_bigint() }}) as order_id,
        {{ to_utc_timestamp('occurred_at') }} as occurred_at,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
    from source
    {# Rows without a key cannot be used; a later issue routes them to rejected_records. #}
    where movement_id is not null

),

deduplicated as (

    select * from renamed
    qualify row_number() over (partition by movement_id order by loaded_at desc) = 1

)

select * from deduplicated

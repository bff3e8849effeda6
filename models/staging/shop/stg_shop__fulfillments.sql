with

source as (

    select * from {{ source('shop', 'fulfillments') }}

),

renamed as (

    select
        cast(fulfillment_id as {{ dbt.type_bigint() }}) as fulfillment_id,
        cast(order_id as {{ dbt.type_bigint() }}) as order_id,
        lower(trim(status)) as status,
        {{ to_utc_timestamp('created_at') }} as created_at,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
    from source
    {# Rows without a key cannot be used; a later issue routes them to rejected_records. #}
    where fulfillment_id is not null

),

deduplicated as (

    select * from renamed
    qualify row_number() over (partition by fulfillment_id order by loaded_at desc) = 1

)

select * from deduplicated

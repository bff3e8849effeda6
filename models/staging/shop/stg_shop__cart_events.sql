with

source as (

    select * from {{ source('shop', 'cart_events') }}

),

renamed as (

    select
        cast(event_id as {{ dbt.type_string() }}) as event_id,
        cast(cart_token as {{ dbt.type_string() }}) as cart_token,
        lower(trim(event_name)) as event_name,
        {{ to_utc_timestamp('occurred_at') }} as occurred_at,
        cast(customer_id as {{ dbt.type_bigint() }}) as customer_id,
        {{ email_to_customer_key('email') }} as customer_key,
        cast(sku as {{ dbt.type_string() }}) as sku,
        cast(quantity as {{ dbt.type_int() }}) as quantity,
        cast(unit_price as decimal(18, 2)) as unit_price,
        upper(trim(currency)) as currency,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
    from source
    {# Rows without a key cannot be used; a later issue routes them to rejected_records. #}
    where event_id is not null

),

deduplicated as (

    select * from renamed
    qualify row_number() over (partition by event_id order by loaded_at desc) = 1

)

select * from deduplicated

with

source as (

    select * from {{ source('messaging', 'events') }}

),

renamed as (

    select
        cast(event_id as {{ dbt.type_string() }}) as event_id,
        cast(metric as {{ dbt.type_string() }}) as metric,
        case
            when metric like '% Email' then 'email'
            when metric like '% SMS' then 'sms'
        end as channel,
        {{ email_to_customer_key('profile_email') }} as customer_key,
        cast(cart_token as {{ dbt.type_string() }}) as cart_token,
        cast(flow_name as {{ dbt.type_string() }}) as flow_name,
        cast(message_id as {{ dbt.type_string() }}) as message_id,
        {{ to_utc_timestamp('datetime') }} as occurred_at,
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

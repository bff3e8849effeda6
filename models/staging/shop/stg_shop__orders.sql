with

source as (

    select * from {{ source('shop', 'orders') }}

),

renamed as (

    select
        cast(order_id as {{ dbt.type_bigint() }}) as order_id,
        cast(cart_token as {{ dbt.type_string() }}) as cart_token,
        cast(customer_id as {{ dbt.type_bigint() }}) as customer_id,
        {{ email_to_customer_key('email') }} as customer_key,
        {{ to_utc_timestamp('created_at') }} as created_at,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        {{ to_utc_timestamp('cancelled_at') }} as cancelled_at,
        lower(trim(financial_status)) as financial_status,
        cast(total_price as decimal(18, 2)) as total_price,
        upper(trim(currency)) as currency,
        lower(trim(source_name)) as source_name,
        coalesce(cast(test as boolean), false) as is_test,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
    from source
    {# Rows without a key cannot be used; a later issue routes them to rejected_records. #}
    where order_id is not null

),

deduplicated as (

    {# An order is re-landed whenever it changes: the newest update wins, then the newest load. #}
    select * from renamed
    qualify row_number() over (
        partition by order_id
        order by updated_at desc nulls last, loaded_at desc
    ) = 1

)

select * from deduplicated

with

source as (

    select * from {{ source('stripe', 'refunds') }}

),

renamed as (

    select
        cast(id as {{ dbt.type_string() }}) as refund_id,
        cast(charge as {{ dbt.type_string() }}) as charge_id,
        {{ minor_to_major_units('source.amount', 'source.currency') }} as amount,
        upper(trim(currency)) as currency,
        lower(trim(status)) as status,
        cast(reason as {{ dbt.type_string() }}) as reason,
        {{ epoch_to_timestamp('created') }} as created_at,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
    from source
    {# Rows without a key cannot be used; a later issue routes them to rejected_records. #}
    where id is not null

),

deduplicated as (

    select * from renamed
    qualify row_number() over (partition by refund_id order by loaded_at desc) = 1

)

select * from deduplicated

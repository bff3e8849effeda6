with

source as (

    select * from {{ source('stripe', 'charges') }}

),

renamed as (

    select
        cast(id as {{ dbt.type_string() }}) as charge_id,
        cast(payment_intent as {{ dbt.type_string() }}) as payment_intent_id,
        {{ minor_to_major_units('source.amount', 'source.currency') }} as amount,
        {{ minor_to_major_units('source.amount_captured', 'source.currency') }} as amount_captured,
        {{ minor_to_major_units('source.amount_refunded', 'source.currency') }} as amount_refunded,
        upper(trim(currency)) as currency,
        lower(trim(status)) as status,
        coalesce(cast(captured as boolean), false) as is_captured,
        {{ epoch_to_timestamp('created') }} as created_at,
        cast(failure_code as {{ dbt.type_string() }}) as failure_code,
        cast(metadata as {{ dbt.type_string() }}) as metadata,
        {{ json_extract_text('metadata', 'order_id') }} as metadata_order_id,
        {{ json_extract_text('metadata', 'cart_token') }} as metadata_cart_token,
        coalesce(cast(livemode as boolean), false) as is_livemode,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
    from source
    {# Rows without a key cannot be used; a later issue routes them to rejected_records. #}
    where id is not null

),

deduplicated as (

    select * from renamed
    qualify row_number() over (partition by charge_id order by loaded_at desc) = 1

)

select * from deduplicated

with

base as (

    select * from {{ ref('base_stripe__charges') }}
    where reject_reason is null

),

renamed as (

    select
        cast(id as {{ dbt.type_string() }}) as charge_id,
        cast(payment_intent as {{ dbt.type_string() }}) as payment_intent_id,
        {{ minor_to_major_units('amount', 'minor_unit_digits') }} as amount,
        {{ minor_to_major_units('amount_captured', 'minor_unit_digits') }} as amount_captured,
        {{ minor_to_major_units('amount_refunded', 'minor_unit_digits') }} as amount_refunded,
        currency_code as currency,
        lower(trim(status)) as status,
        coalesce(cast(captured as boolean), false) as is_captured,
        {{ epoch_to_timestamp('created') }} as created_at,
        cast(failure_code as {{ dbt.type_string() }}) as failure_code,
        cast(metadata as {{ dbt.type_string() }}) as metadata,
        {{ json_extract_text('metadata', 'order_id') }} as metadata_order_id,
        {{ json_extract_text('metadata', 'cart_token') }} as metadata_cart_token,
        coalesce(cast(livemode as boolean), false) as is_livemode,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
    from base

),

deduplicated as (

    select * from renamed
    qualify row_number() over (partition by charge_id order by loaded_at desc) = 1

)

select * from deduplicated

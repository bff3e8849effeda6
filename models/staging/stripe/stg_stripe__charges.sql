{#
    Usable Stripe charges, one row per charge_id: columns in _stripe__models.yml;
    usable rows and deduplication in docs/definitions.md "Rows", incremental loads in docs/incremental.md.
#}
{%- set watermark = incremental_watermark() %}
{%- set event_date = 'cast(created_at_utc as date)' %}

with

base as (

    select * from {{ ref('base_stripe__charges') }}
    where
        reject_reason is null
        and {{ incremental_landing_filter(ref('base_stripe__charges'), event_date, watermark) }}

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
        created_at_utc as created_at,
        {{ event_date }} as event_date,
        cast(failure_code as {{ dbt.type_string() }}) as failure_code,
        cast(metadata as {{ dbt.type_string() }}) as metadata,
        {#- the first of var stripe_order_id_metadata_keys that holds a value (docs/connectors.md) #}
        coalesce(
            {%- for key in var('stripe_order_id_metadata_keys') %}
            {{ json_extract_text('metadata', key) }}{% if not loop.last %},{% endif %}
            {%- endfor %}
            {%- if var('stripe_order_id_metadata_keys') | length == 1 %}, null{% endif %}
        ) as metadata_order_id,
        {{ json_extract_text('metadata', 'cart_token') }} as metadata_cart_token,
        coalesce(cast(livemode as boolean), false) as is_livemode,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at,
        landed_row_id
    from base

),

deduplicated as (

    select * from renamed
    qualify row_number() over (partition by charge_id order by loaded_at desc, landed_row_id desc) = 1

)

select * from deduplicated

{#
    Usable storefront cart events, one row per event_id: columns in _shop__models.yml;
    usable rows and deduplication in docs/definitions.md "Rows", incremental loads in docs/incremental.md.
#}
{%- set watermark = incremental_watermark() %}

with

base as (

    select * from {{ ref('base_shop__cart_events') }}
    where
        reject_reason is null
        and {{ incremental_landing_filter(ref('base_shop__cart_events'), 'cast(occurred_at_utc as date)', watermark) }}

),

renamed as (

    select
        cast(event_id as {{ dbt.type_string() }}) as event_id,
        cast(cart_token as {{ dbt.type_string() }}) as cart_token,
        lower(trim(event_name)) as event_name,
        occurred_at_utc as occurred_at,
        cast(occurred_at_utc as date) as event_date,
        cast(customer_id as {{ dbt.type_bigint() }}) as customer_id,
        customer_key,
        cast(sku as {{ dbt.type_string() }}) as sku,
        cast(quantity as {{ dbt.type_int() }}) as quantity,
        cast(unit_price as decimal(18, 2)) as unit_price,
        currency_code as currency,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at,
        landed_row_id
    from base

),

deduplicated as (

    select * from renamed
    qualify row_number() over (partition by event_id order by loaded_at desc, landed_row_id desc) = 1

)

select * from deduplicated

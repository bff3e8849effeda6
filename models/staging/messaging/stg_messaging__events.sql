{#
    Usable messaging events, one row per event_id: columns in _messaging__models.yml;
    usable rows and deduplication in docs/definitions.md "Rows", incremental loads in docs/incremental.md.
#}
{%- set watermark = incremental_watermark() %}

with

base as (

    select * from {{ ref('base_messaging__events') }}
    where
        reject_reason is null
        and {{ incremental_landing_filter(ref('base_messaging__events'), 'cast(datetime_utc as date)', watermark) }}

),

renamed as (

    select
        cast(event_id as {{ dbt.type_string() }}) as event_id,
        cast(metric as {{ dbt.type_string() }}) as metric,
        case
            when metric like '% Email' then 'email'
            when metric like '% SMS' then 'sms'
        end as channel,
        customer_key,
        cast(cart_token as {{ dbt.type_string() }}) as cart_token,
        cast(flow_name as {{ dbt.type_string() }}) as flow_name,
        cast(message_id as {{ dbt.type_string() }}) as message_id,
        datetime_utc as occurred_at,
        cast(datetime_utc as date) as event_date,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at,
        landed_row_id
    from base

),

deduplicated as (

    select * from renamed
    qualify row_number() over (partition by event_id order by loaded_at desc, landed_row_id desc) = 1

)

select * from deduplicated

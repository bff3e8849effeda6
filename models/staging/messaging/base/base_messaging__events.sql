{#
    Every landed row of messaging.events, none filtered or deduplicated: the raw columns, the parsed values
    staging needs and `reject_reason` (macro reject_reason). The only model that reads the source;
    stg_messaging__events keeps the usable rows, rejected_records the others.
    `profile_email` is replaced by its hash (`customer_key`) at this first read: the raw email never enters the
    warehouse, not even as part of a rejected row.
#}
with

{% if var('messaging_source_format') == 'fivetran' %}

tagged as (

    {# the connector's rows, already in these columns (docs/connectors.md) #}
    select * from {{ ref('base_fivetran_klaviyo__event') }}

)

{% else %}

source as (

    {{ landed_rows(source('messaging', 'events'), 'messaging', 'events') }}

),

parsed as (

    select
        {{ landed_row_id('messaging', 'events') }} as landed_row_id,
        event_id,
        metric,
        {{ email_to_customer_key('profile_email') }} as customer_key,
        cart_token,
        flow_name,
        message_id,
        datetime,
        _loaded_at,
        {{ to_utc_timestamp('datetime') }} as datetime_utc
    from source

),

tagged as (

    {{ tagged_rows(
        raw_key_columns=['event_id'],
        raw_columns=[
            'event_id',
            'metric',
            'customer_key',
            'cart_token',
            'flow_name',
            'message_id',
            'datetime',
            '_loaded_at'
        ],
        reject_reason_sql=reject_reason(
            key_columns=['event_id'],
            timestamps={'datetime': 'datetime_utc'}
        )
    ) }}

)

{% endif %}

select * from tagged

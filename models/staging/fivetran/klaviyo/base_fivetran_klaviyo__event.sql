{#
    Every landed row of Fivetran's Klaviyo `event` table in the columns of base_messaging__events
    (docs/connectors.md): `type` is the metric, the profile's email (hashed) the customer key, the flow's name
    (else the campaign's) the flow, `message_id` = profile + flow message (else campaign), so that a click finds
    the send to the same person; no cart token (attribution by person). base_messaging__events selects from it
    when messaging_source_format is fivetran.
#}
{#- the event's time: `timestamp`, else `datetime` (older connections), typed or text -#}
{%- set event_time = 'coalesce(cast(source.' ~ adapter.quote('timestamp') ~ ' as ' ~ dbt.type_string()
    ~ '), cast(source.datetime as ' ~ dbt.type_string() ~ '))' %}

with

source as (

    {{ connector_rows(source('fivetran_klaviyo', 'event'), 'event', 'klaviyo', [
        'id', 'type', 'person_id', 'flow_id', 'flow_message_id', 'campaign_id', 'timestamp', 'datetime',
        '_fivetran_deleted', '_fivetran_synced',
    ]) }}

),

people as (

    {{ latest_connector_rows(source('fivetran_klaviyo', 'person'), ['id'], ['id', 'email']) }}

),

flows as (

    {{ latest_connector_rows(source('fivetran_klaviyo', 'flow'), ['id'], ['id', 'name']) }}

),

campaigns as (

    {{ latest_connector_rows(source('fivetran_klaviyo', 'campaign'), ['id'], ['id', 'name']) }}

),

parsed as (

    select
        {{ landed_row_id('klaviyo', 'event', 'source') }} as landed_row_id,
        source.id as event_id,
        source.type as metric,
        {{ email_to_customer_key('people.email') }} as customer_key,
        cast(null as {{ dbt.type_string() }}) as cart_token,
        coalesce(flows.name, campaigns.name) as flow_name,
        {{ dbt.concat(["source.person_id", "':'", "coalesce(source.flow_message_id, source.campaign_id)"]) }}
            as message_id,
        {{ utc_iso_text(connector_timestamp(event_time)) }} as datetime,
        cast(source._fivetran_synced as {{ dbt.type_timestamp() }}) as _loaded_at,
        {{ connector_timestamp(event_time) }} as datetime_utc,
        source._fivetran_deleted as is_deleted_in_source,
        source.raw_row
    from source
    left outer join people on source.person_id = people.id
    left outer join flows on source.flow_id = flows.id
    left outer join campaigns on source.campaign_id = campaigns.id

),

tagged as (

    {{ tagged_rows(
        raw_key_columns=['event_id'],
        reject_reason_sql=reject_reason(
            key_columns=['event_id'],
            deleted_column='is_deleted_in_source',
            timestamps={'datetime': 'datetime_utc'},
            statuses={'metric': klaviyo_metrics()}
        )
    ) }}

)

select * from tagged

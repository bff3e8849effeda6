{#
    One row per recovery message that reached an abandoned cart, with its first click (docs/definitions.md "Carts",
    "Attributed by person"; _recovery__models.yml), for the carts of int_carts__to_recompute only.
#}
{%- set by_person = var('messaging_source_format') == 'fivetran' %}
{#- one send may reach several carts of one person: the touch is the pair #}
{%- set touch_id = dbt.concat(["sends.event_id", "':'", "abandoned.cart_token"]) if by_person else 'sends.event_id' %}
{%- set click_after_send = 'clicks.clicked_at >= reached.sent_at' if by_person else 'true' %}

with

abandoned as (

    select
        abandonment.cart_token,
        abandonment.abandoned_at{% if by_person %},
        activity.customer_key{% endif %}
    from {{ ref('int_carts__abandonment') }} as abandonment
    inner join {{ ref('int_carts__to_recompute') }} as in_scope on abandonment.cart_token = in_scope.cart_token
    {%- if by_person %}
    inner join {{ ref('int_carts__activity') }} as activity on abandonment.cart_token = activity.cart_token
    {%- endif %}
    where abandonment.is_abandoned

),

messaging_events as (

    select * from {{ ref('stg_messaging__events') }}

),

as_of as (

    select as_of from {{ ref('int_warehouse__as_of') }}

),

sends as (

    select
        event_id,
        cart_token,
        customer_key,
        message_id,
        channel,
        flow_name,
        occurred_at as sent_at
    from messaging_events
    where
        metric in ('Received Email', 'Received SMS')
        and {{ 'customer_key' if by_person else 'cart_token' }} is not null

),

clicks as (

    select
        messaging_events.message_id,
        messaging_events.occurred_at as clicked_at
    from messaging_events
    cross join as_of
    where
        messaging_events.metric in ('Clicked Email', 'Clicked SMS')
        and messaging_events.message_id is not null
        and messaging_events.occurred_at <= as_of.as_of

),

reached as (

    select
        {{ touch_id }} as touch_id,
        abandoned.cart_token,
        sends.message_id,
        sends.channel,
        sends.flow_name,
        sends.sent_at,
        abandoned.abandoned_at
    from sends
    inner join abandoned
        on
        {%- if by_person %}
            sends.customer_key = abandoned.customer_key
            and sends.sent_at > abandoned.abandoned_at
            and sends.sent_at
            <= {{ dbt.dateadd('hour', var('attribution_window_hours'), 'abandoned.abandoned_at') }}
        {%- else %}
            sends.cart_token = abandoned.cart_token
            and sends.sent_at > abandoned.abandoned_at
        {%- endif %}
    cross join as_of
    where sends.sent_at <= as_of.as_of

),

first_clicks as (

    select
        reached.touch_id,
        reached.cart_token,
        min(clicks.clicked_at) as clicked_at
    from reached
    inner join clicks
        on
            reached.message_id = clicks.message_id
            and {{ click_after_send }}
    group by reached.touch_id, reached.cart_token

),

touches as (

    select
        reached.touch_id,
        reached.cart_token,
        reached.message_id,
        reached.channel,
        reached.flow_name,
        reached.sent_at,
        first_clicks.clicked_at,
        reached.abandoned_at
    from reached
    left outer join first_clicks
        on reached.touch_id = first_clicks.touch_id and reached.cart_token = first_clicks.cart_token

)

select * from touches

{#
    Message touches: one row per recovery message (`Received Email` / `Received SMS`) that carries the token
    of an abandoned cart and was sent strictly after abandoned_at (a message sent before it, e.g. a browse
    abandonment email, never counts), with its first click, found by message_id. Only for the carts this
    build computes (int_carts__in_scope: every cart on a full build).
#}
with

abandoned as (

    select
        abandonment.cart_token,
        abandonment.abandoned_at
    from {{ ref('int_carts__abandonment') }} as abandonment
    inner join {{ ref('int_carts__in_scope') }} as in_scope on abandonment.cart_token = in_scope.cart_token
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
        message_id,
        channel,
        flow_name,
        occurred_at as sent_at
    from messaging_events
    where metric in ('Received Email', 'Received SMS') and cart_token is not null

),

first_clicks as (

    select
        messaging_events.message_id,
        min(messaging_events.occurred_at) as clicked_at
    from messaging_events
    cross join as_of
    where
        messaging_events.metric in ('Clicked Email', 'Clicked SMS')
        and messaging_events.message_id is not null
        and messaging_events.occurred_at <= as_of.as_of
    group by messaging_events.message_id

),

touches as (

    select
        sends.event_id as touch_id,
        sends.cart_token,
        sends.message_id,
        sends.channel,
        sends.flow_name,
        sends.sent_at,
        first_clicks.clicked_at,
        abandoned.abandoned_at
    from sends
    inner join abandoned
        on
            sends.cart_token = abandoned.cart_token
            and sends.sent_at > abandoned.abandoned_at
    cross join as_of
    left outer join first_clicks on sends.message_id = first_clicks.message_id
    where sends.sent_at <= as_of.as_of

)

select * from touches

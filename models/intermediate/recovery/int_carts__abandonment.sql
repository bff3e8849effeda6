{#
    One row per cart: when it was abandoned (docs/definitions.md "Carts"; _recovery__models.yml).
    Incremental per cart on DuckDB (dbt_project.yml; docs/incremental.md).
#}
with

activity as (

    select
        cart_token,
        contact_submitted_at,
        completed_at
    from {{ ref('int_carts__activity') }}
    where {{ in_cart_scope(ref('int_carts__to_recompute')) }}

),

cart_events as (

    select
        event_id,
        cart_token,
        occurred_at
    from {{ ref('stg_shop__cart_events') }}
    where {{ in_cart_scope(ref('int_carts__to_recompute')) }}

),

as_of as (

    select as_of from {{ ref('int_warehouse__as_of') }}

),

events_after_contact as (

    select
        cart_events.cart_token,
        cart_events.occurred_at,
        lead(cart_events.occurred_at) over (
            partition by cart_events.cart_token
            order by cart_events.occurred_at, cart_events.event_id
        ) as next_event_at
    from cart_events
    inner join activity
        on
            cart_events.cart_token = activity.cart_token
            and cart_events.occurred_at >= activity.contact_submitted_at
    cross join as_of
    where cart_events.occurred_at <= as_of.as_of

),

first_silence as (

    {# A silence of exactly the window counts; the last event's silence runs to as-of. #}
    select
        events_after_contact.cart_token,
        min(events_after_contact.occurred_at) as silence_started_at
    from events_after_contact
    cross join as_of
    where
        {{ dbt.dateadd('minute', var('abandonment_window_minutes'), 'events_after_contact.occurred_at') }}
        <= coalesce(events_after_contact.next_event_at, as_of.as_of)
    group by events_after_contact.cart_token

),

completions as (

    select
        activity.cart_token,
        activity.contact_submitted_at,
        case when activity.completed_at <= as_of.as_of then activity.completed_at end as completed_at
    from activity
    cross join as_of

),

judged as (

    select
        completions.cart_token,
        first_silence.silence_started_at,
        completions.completed_at,
        completions.contact_submitted_at is not null as has_contact_info,
        first_silence.silence_started_at is not null
        and (completions.completed_at is null or completions.completed_at > first_silence.silence_started_at)
            as is_abandoned
    from completions
    left outer join first_silence on completions.cart_token = first_silence.cart_token

),

abandonment as (

    select
        cart_token,
        has_contact_info,
        is_abandoned,
        case
            when is_abandoned
                then {{ dbt.dateadd('minute', var('abandonment_window_minutes'), 'silence_started_at') }}
        end as abandoned_at,
        case when is_abandoned then silence_started_at end as last_activity_before_abandonment_at,
        not is_abandoned and completed_at is not null as is_converted,
        has_contact_info and not is_abandoned and completed_at is null as is_not_yet_abandoned
    from judged

)

select * from abandonment

{#
    One row per cart with everything the recovery marts report, its outcome and cohort (docs/definitions.md
    "Carts"; _recovery__models.yml). Incremental per cart on DuckDB (dbt_project.yml; docs/incremental.md).
#}
{#- The cohort's local day ends at the next local midnight, as a UTC instant (25 or 23 hours on DST days). #}
{%- set next_local_day = dbt.dateadd('day', 1, 'cohort_date') %}
{%- set next_local_midnight = 'cast(' ~ next_local_day ~ ' as ' ~ dbt.type_timestamp() ~ ')' %}
{%- set cohort_ends_at = local_to_utc_timestamp(next_local_midnight) %}
{%- set seconds_to_recovery = dbt.datediff('abandoned_at', 'recovered_at', 'second') %}

with

activity as (

    select * from {{ ref('int_carts__activity') }}
    where {{ in_cart_scope(ref('int_carts__to_recompute')) }}

),

abandonment as (

    select * from {{ ref('int_carts__abandonment') }}

),

recovery as (

    select * from {{ ref('int_carts__recovery') }}

),

attribution as (

    select * from {{ ref('int_carts__attribution') }}

),

as_of as (

    select as_of from {{ ref('int_warehouse__as_of') }}

),

flows as (

    {# the flow a recovery message belongs to, for the funnel's breakdown by flow #}
    select
        message_id,
        min(flow_name) as flow_name
    from {{ ref('stg_messaging__events') }}
    where metric in ('Received Email', 'Received SMS')
    group by message_id

),

joined as (

    select
        activity.cart_token,
        activity.customer_key,
        activity.currency,
        activity.reporting_currency,
        activity.cart_value_reporting_unrounded,
        cast(activity.cart_value_reporting_unrounded as decimal(18, 2)) as cart_value,
        activity.first_added_at,
        activity.reached_checkout_at,
        activity.checkout_started_at,
        activity.contact_submitted_at,
        activity.completed_at,
        activity.last_activity_at,
        activity.has_reached_checkout,
        activity.has_contact_info,
        abandonment.is_converted,
        abandonment.is_not_yet_abandoned,
        abandonment.is_abandoned,
        abandonment.abandoned_at,
        coalesce(attribution.messages_sent, 0) as messages_sent,
        coalesce(attribution.messages_clicked, 0) as messages_clicked,
        attribution.first_message_sent_at,
        attribution.first_message_channel,
        attribution.first_message_clicked_at,
        attribution.deciding_message_id,
        attribution.deciding_message_channel,
        flows.flow_name as deciding_message_flow,
        attribution.deciding_message_sent_at,
        attribution.deciding_message_clicked_at,
        coalesce(recovery.is_recovered, false) as is_recovered,
        recovery.recovered_order_id,
        recovery.recovered_at,
        recovery.recovered_order_source_name,
        coalesce(recovery.is_recovered_and_paid, false) as is_recovered_and_paid,
        recovery.recovered_revenue,
        attribution.recovery_type,
        attribution.attributed_channel,
        case
            when abandonment.is_abandoned then coalesce(attribution.deciding_message_channel, 'none')
            else 'not_abandoned'
        end as funnel_channel,
        case
            when abandonment.is_abandoned then {{ utc_to_local_date('abandonment.abandoned_at') }}
            {# at checkout grain there is no add to cart: the checkout's first event #}
            else {{ utc_to_local_date('coalesce(activity.first_added_at, activity.first_activity_at)') }}
        end as cohort_date,
        as_of.as_of,
        '{{ cart_grain() }}' as cart_grain
    from activity
    inner join abandonment on activity.cart_token = abandonment.cart_token
    left outer join recovery on activity.cart_token = recovery.cart_token
    left outer join attribution on activity.cart_token = attribution.cart_token
    left outer join flows on attribution.deciding_message_id = flows.message_id
    cross join as_of

),

cohorts as (

    select
        *,
        {# The cohort's last recovery window closes recovery_window_days after its local day ends. #}
        {{ dbt.dateadd('day', var('recovery_window_days'), cohort_ends_at) }} as cohort_matures_at
    from joined

),

outcomes as (

    select
        cart_token,
        cart_grain,
        customer_key,
        currency,
        reporting_currency,
        cart_value_reporting_unrounded,
        cart_value,
        first_added_at,
        reached_checkout_at,
        checkout_started_at,
        contact_submitted_at,
        completed_at,
        last_activity_at,
        has_reached_checkout,
        has_contact_info,
        is_converted,
        is_not_yet_abandoned,
        is_abandoned,
        abandoned_at,
        cohort_date,
        cohort_matures_at,
        cohort_matures_at > as_of as is_provisional,
        case
            when is_abandoned and recovery_type = 'attributed' then 'recovered_attributed'
            when is_abandoned and recovery_type = 'organic' then 'recovered_organic'
            when is_abandoned then 'not_recovered'
            when is_converted then 'converted'
            when is_not_yet_abandoned then 'not_yet_abandoned'
            when has_reached_checkout then 'no_contact'
            else 'browsing'
        end as cart_outcome,
        messages_sent,
        messages_clicked,
        messages_sent > 0 as is_contacted,
        messages_clicked > 0 as is_clicked,
        first_message_sent_at,
        first_message_channel,
        first_message_clicked_at,
        deciding_message_id,
        deciding_message_channel,
        deciding_message_flow,
        deciding_message_sent_at,
        deciding_message_clicked_at,
        funnel_channel,
        is_recovered,
        recovered_order_id,
        recovered_at,
        recovery_type,
        attributed_channel,
        cast({{ seconds_to_recovery }} as double) / 3600 as hours_to_recovery,
        recovered_order_source_name,
        is_recovered_and_paid,
        recovered_revenue
    from cohorts

)

select * from outcomes

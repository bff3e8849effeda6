{#
    One row per cart that reached checkout (_recovery__models.yml; docs/definitions.md "Carts").
    Incremental per cart on DuckDB (dbt_project.yml; docs/incremental.md).
#}
with

outcomes as (

    select * from {{ ref('int_carts__outcomes') }}
    where has_reached_checkout and {{ in_cart_scope(ref('int_carts__to_recompute')) }}

),

cart_recovery as (

    select
        cart_token,
        cart_grain,
        customer_key,
        currency,
        reporting_currency,
        cart_value,
        first_added_at,
        checkout_started_at,
        contact_submitted_at,
        completed_at,
        last_activity_at,
        has_contact_info,
        is_converted,
        is_abandoned,
        abandoned_at,
        cohort_date,
        is_provisional,
        cart_outcome,
        cast(messages_sent as {{ dbt.type_bigint() }}) as messages_sent,
        is_contacted,
        first_message_sent_at,
        first_message_channel,
        first_message_clicked_at,
        is_clicked,
        funnel_channel,
        is_recovered,
        recovered_order_id,
        recovered_at,
        recovered_order_source_name,
        recovery_type,
        attributed_channel,
        deciding_message_flow,
        hours_to_recovery,
        is_recovered_and_paid,
        cast(recovered_revenue as decimal(18, 2)) as recovered_revenue
    from outcomes

)

select * from cart_recovery

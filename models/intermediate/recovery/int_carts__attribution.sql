{#
    One row per abandoned cart: the recovery messages in play and the attribution (docs/definitions.md "Carts";
    _recovery__models.yml), for the carts of int_carts__to_recompute only.
#}
with

recovery as (

    select
        recovery.cart_token,
        recovery.recovered_at,
        recovery.is_recovered
    from {{ ref('int_carts__recovery') }} as recovery
    inner join {{ ref('int_carts__to_recompute') }} as in_scope on recovery.cart_token = in_scope.cart_token

),

touches as (

    select
        touch_id,
        cart_token,
        message_id,
        channel,
        sent_at,
        clicked_at
    from {{ ref('int_carts__message_touches') }}

),

touches_in_play as (

    select
        touches.cart_token,
        touches.touch_id,
        touches.message_id,
        touches.channel,
        touches.sent_at,
        touches.clicked_at,
        row_number() over (
            partition by touches.cart_token
            order by touches.sent_at, touches.touch_id
        ) as send_order,
        row_number() over (
            partition by touches.cart_token
            order by touches.sent_at desc, touches.touch_id desc
        ) as send_order_desc
    from touches
    inner join recovery on touches.cart_token = recovery.cart_token
    where recovery.recovered_at is null or touches.sent_at < recovery.recovered_at

),

touch_summary as (

    select
        cart_token,
        count(*) as messages_sent,
        count(clicked_at) as messages_clicked,
        min(sent_at) as first_message_sent_at,
        min(clicked_at) as first_message_clicked_at,
        max(case when send_order = 1 then channel end) as first_message_channel,
        max(case when send_order_desc = 1 then message_id end) as deciding_message_id,
        max(case when send_order_desc = 1 then channel end) as deciding_message_channel,
        max(case when send_order_desc = 1 then sent_at end) as deciding_message_sent_at,
        max(case when send_order_desc = 1 then clicked_at end) as deciding_message_clicked_at
    from touches_in_play
    group by cart_token

),

decided as (

    select
        recovery.cart_token,
        recovery.recovered_at,
        recovery.is_recovered,
        touch_summary.first_message_sent_at,
        touch_summary.first_message_channel,
        touch_summary.first_message_clicked_at,
        touch_summary.deciding_message_id,
        touch_summary.deciding_message_channel,
        touch_summary.deciding_message_sent_at,
        touch_summary.deciding_message_clicked_at,
        coalesce(touch_summary.messages_sent, 0) as messages_sent,
        coalesce(touch_summary.messages_clicked, 0) as messages_clicked,
        coalesce(touch_summary.deciding_message_clicked_at, touch_summary.deciding_message_sent_at)
            as attribution_anchor_at
    from recovery
    left outer join touch_summary on recovery.cart_token = touch_summary.cart_token

),

attribution as (

    select
        cart_token,
        messages_sent,
        messages_clicked,
        first_message_sent_at,
        first_message_channel,
        first_message_clicked_at,
        deciding_message_id,
        deciding_message_channel,
        deciding_message_sent_at,
        deciding_message_clicked_at,
        attribution_anchor_at,
        case
            when not is_recovered then 'not_recovered'
            when
                recovered_at
                <= {{ dbt.dateadd('hour', var('attribution_window_hours'), 'attribution_anchor_at') }}
                then 'attributed'
            else 'organic'
        end as recovery_type,
        case
            when
                is_recovered
                and recovered_at
                <= {{ dbt.dateadd('hour', var('attribution_window_hours'), 'attribution_anchor_at') }}
                then deciding_message_channel
        end as attributed_channel
    from decided

)

select * from attribution

{#
    One row per cart: its milestones, value and currency (docs/definitions.md "Carts"; _recovery__models.yml;
    checkout grain: docs/connectors.md). Incremental per cart on DuckDB (dbt_project.yml; docs/incremental.md).
#}
{%- if cart_grain() == 'checkout' %}
{%- set opening_event = 'checkout_started' %}
{%- set value_signs = {'checkout_started': 1} %}
{%- else %}
{%- set opening_event = 'product_added_to_cart' %}
{%- set value_signs = {'product_added_to_cart': 1, 'product_removed_from_cart': -1} %}
{%- endif %}
{%- set value_events = "('" ~ (value_signs.keys() | join("', '")) ~ "')" %}
with

cart_events as (

    select * from {{ ref('stg_shop__cart_events') }}
    where {{ in_cart_scope(ref('int_carts__to_recompute')) }}

),

fx as (

    select
        rate_date,
        currency,
        rate_to_reporting
    from {{ ref('int_fx__rates_to_reporting') }}

),

carts as (

    select distinct cart_token from cart_events
    where event_name = '{{ opening_event }}' and cart_token is not null

),

events as (

    select cart_events.*
    from cart_events
    inner join carts on cart_events.cart_token = carts.cart_token

),

line_values as (

    {#
        quantity × unit_price is exact in cents; cast to decimal(18,2), its product with the rate fits in 38
        digits on every engine (Spark would otherwise cut the scale).
    #}
    select
        events.cart_token,
        case events.event_name
            {%- for event_name, sign in value_signs.items() %}
            when '{{ event_name }}' then {{ sign }}
            {%- endfor %}
        end * cast(events.quantity * events.unit_price as decimal(18, 2)) * fx.rate_to_reporting
            as line_value_reporting
    from events
    left outer join fx
        on
            events.currency = fx.currency
            and cast(events.occurred_at as date) = fx.rate_date
    where events.event_name in {{ value_events }}

),

cart_values as (

    select
        cart_token,
        cast(sum(line_value_reporting) as decimal(38, 10)) as cart_value_reporting_unrounded,
        {# A line without a rate makes the value unknown (null), never silently lower. #}
        count(*) - count(line_value_reporting) as lines_without_rate
    from line_values
    group by cart_token

),

first_event as (

    {# The cart's currency is that of its first added line (at checkout grain: of the checkout). #}
    select
        cart_token,
        currency
    from events
    where event_name = '{{ opening_event }}'
    qualify row_number() over (partition by cart_token order by occurred_at, event_id) = 1

),

first_customer as (

    {# The cart's customer: the earliest of its events that carries an email (hashed). #}
    select
        cart_token,
        customer_key,
        customer_id
    from events
    where customer_key is not null
    qualify row_number() over (partition by cart_token order by occurred_at, event_id) = 1

),

milestones as (

    select
        cart_token,
        min(case when event_name = 'product_added_to_cart' then occurred_at end) as first_added_at,
        min(case when event_name = 'checkout_started' then occurred_at end) as checkout_started_at,
        min(case when event_name = 'checkout_contact_info_submitted' then occurred_at end)
            as contact_submitted_at,
        min(case when event_name = 'checkout_shipping_info_submitted' then occurred_at end)
            as shipping_submitted_at,
        min(case when event_name = 'payment_info_submitted' then occurred_at end) as payment_submitted_at,
        min(case when event_name = 'checkout_completed' then occurred_at end) as completed_at,
        min(case
            when event_name <> 'product_added_to_cart' and event_name <> 'product_removed_from_cart'
                then occurred_at
        end) as reached_checkout_at,
        min(occurred_at) as first_activity_at,
        max(occurred_at) as last_activity_at,
        count(*) as event_count
    from events
    group by cart_token

),

activity as (

    select
        milestones.cart_token,
        first_customer.customer_key,
        first_customer.customer_id,
        first_event.currency,
        '{{ var("reporting_currency") }}' as reporting_currency,
        milestones.first_added_at,
        milestones.first_activity_at,
        milestones.reached_checkout_at,
        milestones.checkout_started_at,
        milestones.contact_submitted_at,
        milestones.shipping_submitted_at,
        milestones.payment_submitted_at,
        milestones.completed_at,
        milestones.last_activity_at,
        milestones.event_count,
        case
            when cart_values.lines_without_rate = 0 then cart_values.cart_value_reporting_unrounded
        end as cart_value_reporting_unrounded,
        milestones.reached_checkout_at is not null as has_reached_checkout,
        milestones.contact_submitted_at is not null as has_contact_info
    from milestones
    inner join cart_values on milestones.cart_token = cart_values.cart_token
    left outer join first_event on milestones.cart_token = first_event.cart_token
    left outer join first_customer on milestones.cart_token = first_customer.cart_token

)

select * from activity

{#
    recovery_stalled candidates, one row per abandoned cart, with clock start, clearing time and amount at risk:
    rule in docs/definitions.md "Exceptions", columns in _exceptions__models.yml.
#}
{#- a message reaches the cart by its token, or by person from Klaviyo's connector (docs/connectors.md) #}
{%- if var('messaging_source_format') == 'fivetran' %}
{%- set reaches_the_cart = "activity.customer_key = messages.customer_key and messages.occurred_at <= "
    ~ dbt.dateadd('hour', var('attribution_window_hours'), 'abandoned.abandoned_at') %}
{%- else %}
{%- set reaches_the_cart = 'abandoned.cart_token = messages.cart_token' %}
{%- endif %}

with

abandoned as (

    select
        cart_token,
        abandoned_at
    from {{ ref('int_carts__abandonment') }}
    where is_abandoned

),

recovery as (

    select
        cart_token,
        recovered_at
    from {{ ref('int_carts__recovery') }}

),

activity as (

    select
        cart_token,
        customer_key,
        cart_value_reporting_unrounded
    from {{ ref('int_carts__activity') }}

),

messages as (

    select
        cart_token,
        customer_key,
        occurred_at
    from {{ ref('stg_messaging__events') }}
    where metric in ('Received Email', 'Received SMS')

),

first_message as (

    select
        abandoned.cart_token,
        min(messages.occurred_at) as first_message_at
    from abandoned
    inner join activity on abandoned.cart_token = activity.cart_token
    inner join messages
        on
            {{ reaches_the_cart }}
            and abandoned.abandoned_at < messages.occurred_at
    group by abandoned.cart_token

),

candidates as (

    select
        'recovery_stalled' as exception_type,
        'cart' as entity_type,
        abandoned.cart_token as entity_id,
        abandoned.abandoned_at as clock_start_at,
        {# least() of a value and null is null on some engines: spell the earlier of the two out #}
        case
            when recovery.recovered_at is null then first_message.first_message_at
            when first_message.first_message_at is null then recovery.recovered_at
            when recovery.recovered_at < first_message.first_message_at then recovery.recovered_at
            else first_message.first_message_at
        end as cleared_at,
        cast(activity.cart_value_reporting_unrounded as decimal(18, 2)) as amount_at_risk,
        {{ dbt.concat(["'cart worth '", "cast(cast(activity.cart_value_reporting_unrounded as decimal(18, 2)) as "
            ~ dbt.type_string() ~ ")", "' " ~ var('reporting_currency') ~ "'"]) }} as details
    from abandoned
    inner join activity on abandoned.cart_token = activity.cart_token
    left outer join first_message on abandoned.cart_token = first_message.cart_token
    left outer join recovery on abandoned.cart_token = recovery.cart_token
    where activity.cart_value_reporting_unrounded >= {{ var('high_value_cart_threshold') }}

)

select * from candidates

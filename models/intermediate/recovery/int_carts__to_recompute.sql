{#
    The carts this build computes: every cart on a full build; on an incremental build (DuckDB) those whose outcome
    can differ from the previous build's row of int_warehouse__builds (docs/incremental.md; _recovery__models.yml).
#}
{%- set cart_models = ['int_carts__activity', 'int_carts__abandonment', 'int_carts__outcomes', 'fct_cart_recovery'] %}
{#- Every input is referenced up front, whichever branch renders, so that the DAG always has them. #}
{%- set reference_fx_rates = ref('stg_reference__fx_rates') %}
{%- set messaging_events = ref('stg_messaging__events') %}
{%- set stripe_charges = ref('stg_stripe__charges') %}
{%- set stripe_refunds = ref('stg_stripe__refunds') %}
{%- set shop_orders = ref('stg_shop__orders') %}
{%- set shop_transactions = ref('stg_shop__transactions') %}
{%- set previous = previous_build(ref('int_warehouse__builds')) %}
{#- Every cart when the definition vars changed, as_of is pinned, on Spark (plain tables there), on a full refresh
    or first build, or when a per-cart table is missing. -#}
{%- set ns = namespace(compute_all=(
    target.type == 'spark'
    or flags.FULL_REFRESH
    or previous is none
    or var('as_of') is not none
)) %}
{%- if not ns.compute_all and previous['cart_definitions'] != cart_definitions() %}
    {%- set ns.compute_all = true %}
{%- endif %}
{#- The per-cart tables live in different schemas (intermediate, the public one): look each up where the graph
    puts it. A ref() would make fct_cart_recovery an input of the model that scopes it. -#}
{%- if execute and not ns.compute_all %}
    {%- set cart_nodes = graph.nodes.values() | selectattr('resource_type', 'equalto', 'model')
        | selectattr('name', 'in', cart_models) | list %}
    {%- if cart_nodes | length != cart_models | length %}
        {%- set ns.compute_all = true %}
    {%- endif %}
    {%- for node in cart_nodes %}
        {%- if adapter.get_relation(node.database, node.schema, node.alias) is none %}
            {%- set ns.compute_all = true %}
        {%- endif %}
    {%- endfor %}
{%- endif %}

with

cart_events as (

    select
        cart_token,
        occurred_at,
        loaded_at
    from {{ ref('stg_shop__cart_events') }}
    where cart_token is not null

),

{% if ns.compute_all %}
in_scope as (

    select distinct cart_token from cart_events

)
{% else %}
{%- set since = timestamp_literal(
    previous['loaded_through'] - modules.datetime.timedelta(hours=var('incremental_lookback_hours'))
) %}
{#- a cart with an event since then can still change by time alone (abandoned by silence to as-of, its cohort
    maturing) -#}
{%- set time_sensitive_from = timestamp_literal(
    previous['as_of']
    - modules.datetime.timedelta(days=var('recovery_window_days') + 2, minutes=var('abandonment_window_minutes'))
) %}
new_fx_rates as (

    select cast(min(rate_date) as {{ dbt.type_timestamp() }}) as first_rate_at
    from {{ reference_fx_rates }}
    where loaded_at > {{ since }}

),

event_carts as (

    select cart_events.cart_token
    from cart_events
    cross join new_fx_rates
    where
        cart_events.loaded_at > {{ since }}
        or cart_events.occurred_at >= {{ time_sensitive_from }}
        or cart_events.occurred_at >= new_fx_rates.first_rate_at

),

new_messages as (

    select
        cart_token,
        customer_key,
        message_id
    from {{ messaging_events }}
    where loaded_at > {{ since }}

),

message_carts as (

    {% if var('messaging_source_format') == 'fivetran' -%}
    {# messages reach carts by person (docs/connectors.md): every cart of a person with a new message #}
    select distinct cart_events.cart_token
    from {{ ref('stg_shop__cart_events') }} as cart_events
    inner join new_messages on cart_events.customer_key = new_messages.customer_key
    {%- else -%}
    select cart_token from new_messages
    union all
    select sends.cart_token
    from {{ messaging_events }} as sends
    inner join new_messages on sends.message_id = new_messages.message_id
    {%- endif %}

),

changed_charges as (

    select charge_id from {{ stripe_charges }}
    where loaded_at > {{ since }}
    union all
    select charge_id from {{ stripe_refunds }}
    where loaded_at > {{ since }}

),

changed_orders as (

    select cast(order_id as {{ dbt.type_string() }}) as order_key from {{ shop_orders }}
    where loaded_at > {{ since }}
    union all
    select cast(order_id as {{ dbt.type_string() }}) as order_key from {{ shop_transactions }}
    where loaded_at > {{ since }}
    union all
    select charges.metadata_order_id as order_key
    from {{ stripe_charges }} as charges
    inner join changed_charges on charges.charge_id = changed_charges.charge_id
    union all
    select cast(transactions.order_id as {{ dbt.type_string() }}) as order_key
    from {{ shop_transactions }} as transactions
    inner join changed_charges on transactions.gateway_reference = changed_charges.charge_id

),

order_carts as (

    select orders.cart_token
    from {{ shop_orders }} as orders
    inner join changed_orders
        on cast(orders.order_id as {{ dbt.type_string() }}) = changed_orders.order_key

),

in_scope as (

    select cart_token from event_carts
    union
    select cart_token from message_carts
    where cart_token is not null
    union
    select cart_token from order_carts
    where cart_token is not null

)
{% endif %}

select * from in_scope

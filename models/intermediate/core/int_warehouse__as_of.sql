{#
    The as-of time, one row: columns in _core__models.yml; as-of is defined in docs/definitions.md
    "Definitions as implemented" (and pinned by the var `as_of`, docs/definitions.md "As-of pinned to the past").
#}
with

cart_events as (

    select max(occurred_at) as event_at from {{ ref('stg_shop__cart_events') }}

),

orders as (

    select max(created_at) as event_at from {{ ref('stg_shop__orders') }}
    union all
    select max(updated_at) as event_at from {{ ref('stg_shop__orders') }}
    union all
    select max(cancelled_at) as event_at from {{ ref('stg_shop__orders') }}

),

shop_operations as (

    select max(created_at) as event_at from {{ ref('stg_shop__transactions') }}
    union all
    select max(created_at) as event_at from {{ ref('stg_shop__fulfillments') }}
    union all
    select max(occurred_at) as event_at from {{ ref('stg_shop__inventory_movements') }}
    union all
    select max(valid_from_at) as event_at from {{ ref('stg_shop__product_prices') }}

),

stripe as (

    select max(created_at) as event_at from {{ ref('stg_stripe__charges') }}
    union all
    select max(created_at) as event_at from {{ ref('stg_stripe__refunds') }}

),

messaging as (

    select max(occurred_at) as event_at from {{ ref('stg_messaging__events') }}

),

all_event_times as (

    select event_at from cart_events
    union all
    select event_at from orders
    union all
    select event_at from shop_operations
    union all
    select event_at from stripe
    union all
    select event_at from messaging

),

as_of as (

    select
        1 as as_of_id,
        {% if var('as_of') is not none -%}
            cast('{{ var("as_of") }}' as {{ dbt.type_timestamp() }}) as as_of,
        {%- else -%}
        max(event_at) as as_of,
        {%- endif %}
        max(event_at) as newest_event_at
    from all_event_times

)

select * from as_of

{#
    Every Stripe charge with the order it belongs to: the linking rule and columns in _finance__models.yml
    (the same link decides charge_without_order, docs/definitions.md "Exceptions").
#}
with

charges as (

    select * from {{ ref('stg_stripe__charges') }}

),

orders as (

    select
        order_id,
        created_at
    from {{ ref('stg_shop__orders') }}

),

transactions as (

    select * from {{ ref('stg_shop__transactions') }}

),

refunds as (

    select * from {{ ref('stg_stripe__refunds') }}

),

fx as (

    select
        rate_date,
        currency,
        rate_to_reporting
    from {{ ref('int_fx__rates_to_reporting') }}

),

transaction_links as (

    select
        transactions.gateway_reference as charge_id,
        min(transactions.order_id) as order_id,
        min(transactions.created_at) as linked_at
    from transactions
    inner join orders on transactions.order_id = orders.order_id
    where
        transactions.gateway = 'stripe'
        and transactions.kind in ('authorization', 'capture', 'sale')
        and transactions.gateway_reference is not null
    group by transactions.gateway_reference

),

succeeded_refunds as (

    select
        charge_id,
        count(*) as refund_count,
        sum(amount) as refunded_amount
    from refunds
    where status = 'succeeded'
    group by charge_id

),

linked as (

    select
        charges.charge_id,
        charges.payment_intent_id,
        charges.amount,
        charges.amount_captured,
        charges.amount_refunded,
        charges.currency,
        charges.status,
        charges.is_captured,
        charges.created_at,
        charges.failure_code,
        charges.metadata_order_id,
        charges.metadata_cart_token,
        charges.is_livemode,
        charges.loaded_at,
        coalesce(metadata_orders.order_id, transaction_links.order_id) as order_id,
        case
            when metadata_orders.order_id is not null then 'metadata'
            when transaction_links.order_id is not null then 'gateway_reference'
        end as link_method,
        coalesce(metadata_orders.created_at, link_orders.created_at) as order_created_at,
        {# when the charge became matchable: its order's creation, or the linking shop transaction #}
        case
            when metadata_orders.order_id is not null then metadata_orders.created_at
            else transaction_links.linked_at
        end as linked_at,
        coalesce(succeeded_refunds.refund_count, 0) as refund_count,
        coalesce(succeeded_refunds.refunded_amount, 0) as refunded_amount
    from charges
    left outer join orders as metadata_orders
        on try_cast(charges.metadata_order_id as {{ dbt.type_bigint() }}) = metadata_orders.order_id
    left outer join transaction_links on charges.charge_id = transaction_links.charge_id
    left outer join orders as link_orders on transaction_links.order_id = link_orders.order_id
    left outer join succeeded_refunds on charges.charge_id = succeeded_refunds.charge_id

),

converted as (

    select
        linked.charge_id,
        linked.payment_intent_id,
        linked.amount,
        linked.amount_captured,
        linked.amount_refunded,
        linked.currency,
        linked.status,
        linked.is_captured,
        linked.created_at,
        linked.failure_code,
        linked.metadata_order_id,
        linked.metadata_cart_token,
        linked.is_livemode,
        linked.loaded_at,
        linked.order_id,
        linked.link_method,
        linked.order_created_at,
        linked.linked_at,
        linked.refund_count,
        linked.refunded_amount,
        linked.order_id is not null as is_linked,
        linked.status = 'succeeded' and linked.is_captured as is_successful_capture,
        cast(coalesce(linked.order_created_at, linked.created_at) as date) as fx_rate_date,
        fx.rate_to_reporting,
        {{ to_reporting_currency('linked.amount', 'fx.rate_to_reporting') }} as amount_reporting,
        {{ to_reporting_currency('linked.amount_captured', 'fx.rate_to_reporting') }}
            as amount_captured_reporting,
        {{ to_reporting_currency('linked.refunded_amount', 'fx.rate_to_reporting') }}
            as refunded_amount_reporting
    from linked
    left outer join fx
        on
            linked.currency = fx.currency
            and cast(coalesce(linked.order_created_at, linked.created_at) as date) = fx.rate_date

)

select * from converted

{#
    processor_mismatch candidates, one row per shop transaction, with clock start, clearing time and amount at risk:
    rule in docs/definitions.md "Exceptions", columns in _exceptions__models.yml.
#}
with

transactions as (

    select * from {{ ref('stg_shop__transactions') }}
    where gateway = 'stripe'

),

orders as (

    select
        order_id,
        created_at,
        currency,
        rate_to_reporting
    from {{ ref('int_orders__with_payments') }}

),

charges as (

    select
        charge_id as stripe_id,
        status
    from {{ ref('stg_stripe__charges') }}

),

refunds as (

    select
        refund_id as stripe_id,
        status
    from {{ ref('stg_stripe__refunds') }}

),

stripe_objects as (

    select
        stripe_id,
        status,
        'charge' as object_type
    from charges
    union all
    select
        stripe_id,
        status,
        'refund' as object_type
    from refunds

),

compared as (

    select
        transactions.transaction_id,
        transactions.kind,
        transactions.status as shop_status,
        transactions.amount,
        transactions.currency,
        transactions.gateway_reference,
        stripe_objects.status as stripe_status,
        orders.created_at as order_created_at,
        orders.rate_to_reporting
    from transactions
    inner join orders on transactions.order_id = orders.order_id
    left outer join stripe_objects
        on
            transactions.gateway_reference = stripe_objects.stripe_id
            and stripe_objects.object_type
            = case when transactions.kind = 'refund' then 'refund' else 'charge' end

),

candidates as (

    select
        'processor_mismatch' as exception_type,
        'transaction' as entity_type,
        cast(transaction_id as {{ dbt.type_string() }}) as entity_id,
        order_created_at as clock_start_at,
        cast(null as {{ dbt.type_timestamp() }}) as cleared_at,
        {{ to_reporting_currency('amount', 'rate_to_reporting') }} as amount_at_risk,
        {{ dbt.concat(["'shop '", "kind", "' '", "shop_status", "' vs stripe '",
            "coalesce(stripe_status, 'missing')", "' ('", "coalesce(gateway_reference, 'no reference')", "')'"]) }}
            as details
    from compared
    where
        (shop_status = 'success' and coalesce(stripe_status, 'missing') <> 'succeeded')
        or (shop_status <> 'success' and stripe_status = 'succeeded')

)

select * from candidates

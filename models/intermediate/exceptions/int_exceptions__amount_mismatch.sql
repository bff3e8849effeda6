{#
    amount_mismatch candidates, one row per order, with clock start, clearing time and amount at risk:
    rule in docs/definitions.md "Exceptions", columns in _exceptions__models.yml.
#}
with

orders as (

    select * from {{ ref('int_orders__with_payments') }}

),

charges as (

    select * from {{ ref('int_payments__charges_linked') }}
    where is_linked and is_successful_capture

),

captures as (

    select
        charges.order_id,
        sum(charges.amount_captured) as captured_amount,
        sum(case when charges.currency <> orders.currency then 1 else 0 end) as foreign_currency_captures
    from charges
    inner join orders on charges.order_id = orders.order_id
    group by charges.order_id

),

candidates as (

    select
        'amount_mismatch' as exception_type,
        'order' as entity_type,
        cast(orders.order_id as {{ dbt.type_string() }}) as entity_id,
        orders.created_at as clock_start_at,
        cast(null as {{ dbt.type_timestamp() }}) as cleared_at,
        cast(
            case
                when captures.foreign_currency_captures > 0 then orders.total_price_reporting
                else abs(orders.captured_amount_reporting - orders.total_price_reporting)
            end as decimal(18, 2)
        ) as amount_at_risk,
        {{ dbt.concat(["'captured '", "cast(captures.captured_amount as " ~ dbt.type_string() ~ ")",
            "case when captures.foreign_currency_captures > 0 then ' in another currency' else '' end",
            "' vs total '", "cast(orders.total_price as " ~ dbt.type_string() ~ ")", "' '", "orders.currency"]) }}
            as details
    from orders
    inner join captures on orders.order_id = captures.order_id
    where
        orders.is_live
        and (
            captures.foreign_currency_captures > 0
            or abs(captures.captured_amount - orders.total_price) > 0.01
        )

)

select * from candidates

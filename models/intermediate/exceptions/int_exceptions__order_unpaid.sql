{#
    order_unpaid candidates, one row per order, with clock start, clearing time and amount at risk:
    rule in docs/definitions.md "Exceptions", columns in _exceptions__models.yml.
#}
with

orders as (

    select * from {{ ref('int_orders__with_payments') }}

),

candidates as (

    select
        'order_unpaid' as exception_type,
        'order' as entity_type,
        cast(order_id as {{ dbt.type_string() }}) as entity_id,
        created_at as clock_start_at,
        first_paid_at as cleared_at,
        total_price_reporting as amount_at_risk,
        {{ dbt.concat(["'order total '", "cast(total_price as " ~ dbt.type_string() ~ ")", "' '", "currency",
            "', ' || source_name"]) }} as details
    from orders
    where is_live

)

select * from candidates

{#
    oversell candidates, one row per sale that oversold a SKU, with clock start, clearing time and amount at risk:
    rule in docs/definitions.md "Exceptions", columns in _exceptions__models.yml.
#}
with

movements as (

    select * from {{ ref('stg_shop__inventory_movements') }}

),

running as (

    select
        movement_id,
        sku,
        reason,
        order_id,
        quantity_delta,
        occurred_at,
        sum(quantity_delta) over (
            partition by sku
            order by occurred_at, movement_id
            rows between unbounded preceding and current row
        ) as stock_after
    from movements

),

crossings as (

    select *
    from running
    where reason = 'sale' and stock_after < 0 and stock_after - quantity_delta >= 0

),

recovered_stock as (

    select
        crossings.movement_id,
        min(later.occurred_at) as back_in_stock_at
    from crossings
    inner join running as later
        on
            crossings.sku = later.sku
            and later.stock_after >= 0
            and (
                crossings.occurred_at < later.occurred_at
                or (crossings.occurred_at = later.occurred_at and crossings.movement_id < later.movement_id)
            )
    group by crossings.movement_id

),

sale_price as (

    select
        crossings.movement_id,
        max(order_lines.unit_price * orders.rate_to_reporting) as unit_price_reporting
    from crossings
    inner join {{ ref('stg_shop__order_lines') }} as order_lines
        on crossings.order_id = order_lines.order_id and crossings.sku = order_lines.sku
    inner join {{ ref('int_orders__with_payments') }} as orders on crossings.order_id = orders.order_id
    group by crossings.movement_id

),

candidates as (

    select
        'oversell' as exception_type,
        'inventory_movement' as entity_type,
        cast(crossings.movement_id as {{ dbt.type_string() }}) as entity_id,
        crossings.occurred_at as clock_start_at,
        recovered_stock.back_in_stock_at as cleared_at,
        cast(coalesce(-1 * crossings.stock_after * sale_price.unit_price_reporting, 0) as decimal(18, 2))
            as amount_at_risk,
        {{ dbt.concat(["crossings.sku", "' at '", "cast(crossings.stock_after as " ~ dbt.type_string() ~ ")",
            "' after order '", "coalesce(cast(crossings.order_id as " ~ dbt.type_string() ~ "), 'none')"]) }}
            as details
    from crossings
    left outer join recovered_stock on crossings.movement_id = recovered_stock.movement_id
    left outer join sale_price on crossings.movement_id = sale_price.movement_id

)

select * from candidates

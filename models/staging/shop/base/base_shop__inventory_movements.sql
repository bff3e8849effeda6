{#
    Every landed row of shop.inventory_movements, none filtered or deduplicated: the raw columns, the parsed values
    staging needs and `reject_reason` (macro reject_reason). The only model that reads the source;
    stg_shop__inventory_movements keeps the usable rows, rejected_records the others.
#}
with

{% if var('shop_source_format') == 'fivetran' %}

{#
    The connector lands stock levels, not movements (docs/connectors.md "Inventory from snapshots"): per tracked
    SKU one restock of (available now + everything sold) at its first sale, then one sale per order line of a
    live order, so that the running stock ends at what is available now. A sale's movement_id is its order line's
    id, a restock's the inventory item's id.
#}
quantities as (

    {{ latest_connector_rows(
        source('fivetran_shopify', 'inventory_quantity'),
        key=['inventory_level_id'],
        columns=['inventory_level_id', 'quantity', '_fivetran_synced'],
        where="lower(trim(name)) = 'available'"
    ) }}

),

levels as (

    {{ latest_connector_rows(source('fivetran_shopify', 'inventory_level'), ['id'], ['id', 'inventory_item_id']) }}

),

items as (

    {{ latest_connector_rows(
        source('fivetran_shopify', 'inventory_item'),
        key=['id'],
        columns=['id', 'sku'],
        where='not coalesce(_fivetran_deleted, false) and sku is not null'
    ) }}

),

stock_now as (

    select
        min(items.id) as inventory_item_id,
        items.sku,
        sum(quantities.quantity) as available,
        max(quantities._fivetran_synced) as synced_at
    from items
    inner join levels on items.id = levels.inventory_item_id
    inner join quantities on levels.id = quantities.inventory_level_id
    group by items.sku

),

line_ids as (

    {{ latest_connector_rows(
        source('fivetran_shopify', 'order_line'),
        key=['order_id', 'index'],
        columns=['id', 'order_id', 'index + 1 as line_number']
    ) }}

),

sales as (

    select
        line_ids.id as movement_id,
        order_lines.sku,
        -order_lines.quantity as quantity_delta,
        'sale' as reason,
        order_lines.order_id,
        orders.created_at as occurred_at_utc,
        order_lines.loaded_at as _loaded_at
    from {{ ref('stg_shop__order_lines') }} as order_lines
    inner join {{ ref('stg_shop__orders') }} as orders on order_lines.order_id = orders.order_id
    inner join stock_now on order_lines.sku = stock_now.sku
    inner join line_ids
        on order_lines.order_id = line_ids.order_id and order_lines.line_number = line_ids.line_number
    where not orders.is_test and orders.cancelled_at is null

),

restocks as (

    select
        stock_now.inventory_item_id as movement_id,
        stock_now.sku,
        stock_now.available + coalesce(sum(-sales.quantity_delta), 0) as quantity_delta,
        'restock' as reason,
        cast(null as {{ dbt.type_bigint() }}) as order_id,
        coalesce(min(sales.occurred_at_utc), stock_now.synced_at) as occurred_at_utc,
        stock_now.synced_at as _loaded_at
    from stock_now
    left outer join sales on stock_now.sku = sales.sku
    group by stock_now.inventory_item_id, stock_now.sku, stock_now.available, stock_now.synced_at

),

movements as (

    select * from restocks
    union all
    select * from sales

),

tagged as (

    select
        {{ dbt.concat(["'derived:'", "cast(movement_id as " ~ dbt.type_string() ~ ")"]) }} as landed_row_id,
        cast(movement_id as {{ dbt.type_bigint() }}) as movement_id,
        sku,
        cast(quantity_delta as {{ dbt.type_int() }}) as quantity_delta,
        reason,
        order_id,
        {{ utc_iso_text('occurred_at_utc') }} as occurred_at,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at,
        occurred_at_utc,
        cast(movement_id as {{ dbt.type_string() }}) as raw_key,
        cast(null as {{ dbt.type_string() }}) as raw_row,
        cast(null as {{ dbt.type_string() }}) as reject_reason
    from movements

)

{% else %}

source as (

    {{ landed_rows(source('shop', 'inventory_movements'), 'shop', 'inventory_movements') }}

),

parsed as (

    select
        {{ landed_row_id('shop', 'inventory_movements') }} as landed_row_id,
        movement_id,
        sku,
        quantity_delta,
        reason,
        order_id,
        occurred_at,
        _loaded_at,
        {{ to_utc_timestamp('occurred_at') }} as occurred_at_utc
    from source

),

tagged as (

    {{ tagged_rows(
        raw_key_columns=['movement_id'],
        raw_columns=[
            'movement_id',
            'sku',
            'quantity_delta',
            'reason',
            'order_id',
            'occurred_at',
            '_loaded_at'
        ],
        reject_reason_sql=reject_reason(
            key_columns=['movement_id'],
            timestamps={'occurred_at': 'occurred_at_utc'}
        )
    ) }}

)

{% endif %}

select * from tagged

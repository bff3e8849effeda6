{#
    Every landed row of shop.inventory_movements, none filtered or deduplicated: the raw columns, the parsed values
    staging needs and `reject_reason` (macro reject_reason). The only model that reads the source;
    stg_shop__inventory_movements keeps the usable rows, rejected_records the others.
#}
with

source as (

    select
        *,
        {{ landed_file_columns(source('shop', 'inventory_movements'), 'shop', 'inventory_movements') }}
    from {{ source('shop', 'inventory_movements') }}
    where {{ landed_by_as_of() }}

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

    select
        *,
        {{ raw_key(['movement_id']) }} as raw_key,
        {{ row_to_json([
            'movement_id',
            'sku',
            'quantity_delta',
            'reason',
            'order_id',
            'occurred_at',
            '_loaded_at'
        ]) }} as raw_row,
        {{ reject_reason(
            key_columns=['movement_id'],
            timestamps={'occurred_at': 'occurred_at_utc'}
        ) }} as reject_reason
    from parsed

)

select * from tagged

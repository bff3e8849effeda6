{#
    Usable order lines, one row per (order_id, line_number): columns in _shop__models.yml;
    usable rows and deduplication in docs/definitions.md "Rows".
-#}
with

base as (

    select * from {{ ref('base_shop__order_lines') }}
    where reject_reason is null

),

renamed as (

    select
        {{ dbt.concat([
            'cast(order_id as ' ~ dbt.type_string() ~ ')',
            "'-'",
            'cast(line_number as ' ~ dbt.type_string() ~ ')',
        ]) }} as order_line_id,
        cast(order_id as {{ dbt.type_bigint() }}) as order_id,
        cast(line_number as {{ dbt.type_int() }}) as line_number,
        cast(sku as {{ dbt.type_string() }}) as sku,
        cast(quantity as {{ dbt.type_int() }}) as quantity,
        cast(unit_price as decimal(18, 2)) as unit_price,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at,
        landed_row_id
    from base

),

deduplicated as (

    select * from renamed
    qualify row_number() over (partition by order_line_id order by loaded_at desc, landed_row_id desc) = 1

)

select * from deduplicated

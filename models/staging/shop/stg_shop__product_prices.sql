{#
    Usable catalog prices, one row per (sku, currency, valid_from): columns in _shop__models.yml;
    usable rows and deduplication in docs/definitions.md "Rows".
-#}
with

base as (

    select * from {{ ref('base_shop__product_prices') }}
    where reject_reason is null

),

renamed as (

    select
        cast(sku as {{ dbt.type_string() }}) as sku,
        cast(price as decimal(18, 2)) as price,
        currency_code as currency,
        valid_from_utc as valid_from_at,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at,
        landed_row_id
    from base

),

keyed as (

    {#
        The key (sku, currency, valid_from) after normalisation: the same instant written with another offset
        is the same price row.
    #}
    select
        {{ dbt.concat([
            'sku',
            "'|'",
            'currency',
            "'@'",
            'cast(valid_from_at as ' ~ dbt.type_string() ~ ')',
        ]) }} as product_price_id,
        *
    from renamed

),

deduplicated as (

    select * from keyed
    qualify row_number() over (partition by product_price_id order by loaded_at desc, landed_row_id desc) = 1

)

select * from deduplicated

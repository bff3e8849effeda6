{#
    Every landed row of shop.product_prices, none filtered or deduplicated: the raw columns, the parsed values
    staging needs and `reject_reason` (macro reject_reason). The only model that reads the source;
    stg_shop__product_prices keeps the usable rows, rejected_records the others.
#}
with

source as (

    select
        *,
        {{ landed_file_columns(source('shop', 'product_prices'), 'shop', 'product_prices') }}
    from {{ source('shop', 'product_prices') }}
    where {{ landed_by_as_of() }}

),

currencies as (

    select * from {{ ref('currencies') }}

),

parsed as (

    select
        {{ landed_row_id('shop', 'product_prices', 'source') }} as landed_row_id,
        source.sku,
        source.price,
        source.currency,
        source.valid_from,
        source._loaded_at,
        {{ to_utc_timestamp('source.valid_from') }} as valid_from_utc,
        currencies.currency as currency_code
    from source
    left outer join currencies
        on upper(trim(source.currency)) = currencies.currency

),

tagged as (

    select
        *,
        {{ raw_key(['sku', 'currency', 'valid_from']) }} as raw_key,
        {{ row_to_json([
            'sku',
            'price',
            'currency',
            'valid_from',
            '_loaded_at'
        ]) }} as raw_row,
        {{ reject_reason(
            key_columns=['sku', 'currency', 'valid_from'],
            timestamps={'valid_from': 'valid_from_utc'},
            amount_columns=['price'],
            currency_column='currency',
            known_currency_column='currency_code'
        ) }} as reject_reason
    from parsed

)

select * from tagged

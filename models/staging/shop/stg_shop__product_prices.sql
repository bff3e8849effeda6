with

source as (

    select * from {{ source('shop', 'product_prices') }}

),

renamed as (

    select
        cast(sku as {{ dbt.type_string() }}) as sku,
        cast(price as decimal(18, 2)) as price,
        upper(trim(currency)) as currency,
        {{ to_utc_timestamp('valid_from') }} as valid_from_at,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
    from source

),

keyed as (

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
    {# Rows without a key cannot be used; a later issue routes them to rejected_records. #}
    where
        sku is not null
        and currency is not null
        and valid_from_at is not null

),

deduplicated as (

    select * from keyed
    qualify row_number() over (partition by product_price_id order by loaded_at desc) = 1

)

select * from deduplicated

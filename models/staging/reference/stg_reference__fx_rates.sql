{#
    Usable landed FX rates to USD, one row per (rate_date, currency): columns in _reference__models.yml;
    usable rows and deduplication in docs/definitions.md "Rows".
-#}
with

base as (

    select * from {{ ref('base_reference__fx_rates') }}
    where reject_reason is null

),

renamed as (

    select
        cast(rate_date as date) as rate_date,
        currency_code as currency,
        cast(rate_to_usd as decimal(18, 8)) as rate_to_usd,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at,
        landed_row_id
    from base

),

keyed as (

    select
        {{ dbt.concat([
            'currency',
            "'@'",
            'cast(rate_date as ' ~ dbt.type_string() ~ ')',
        ]) }} as fx_rate_id,
        *
    from renamed

),

deduplicated as (

    select * from keyed
    qualify row_number() over (partition by fx_rate_id order by loaded_at desc, landed_row_id desc) = 1

)

select * from deduplicated

{#
    Every landed row of reference.fx_rates, none filtered or deduplicated: the raw columns, the seed's currency
    code and `reject_reason` (macro reject_reason). The only model that reads the source; stg_reference__fx_rates
    keeps the usable rows, rejected_records the others.
    reference.fx_rates is optional. The source is always referenced (lineage, freshness), but it is only read
    when files are landed; otherwise this is an empty relation of the same shape.
#}
{%- set fx_rates_source = source('reference', 'fx_rates') -%}

with

{% if landing_has_files('reference', 'fx_rates') %}

source as (

    select
        *,
        {{ landed_file_columns(fx_rates_source, 'reference', 'fx_rates') }}
    from {{ fx_rates_source }}
    where {{ landed_by_as_of() }}

),

{% else %}

source as (

    select
        cast(null as date) as rate_date,
        cast(null as {{ dbt.type_string() }}) as currency,
        cast(null as decimal(18, 8)) as rate_to_usd,
        cast(null as {{ dbt.type_timestamp() }}) as _loaded_at,
        cast(null as {{ dbt.type_string() }}) as landed_file_name,
        cast(null as {{ dbt.type_bigint() }}) as landed_file_row_number
    where 1 = 0

),

{% endif %}

currencies as (

    select * from {{ ref('currencies') }}

),

parsed as (

    select
        {{ landed_row_id('reference', 'fx_rates', 'source') }} as landed_row_id,
        source.rate_date,
        cast(source.rate_date as {{ dbt.type_timestamp() }}) as rate_date_at,
        source.currency,
        source.rate_to_usd,
        source._loaded_at,
        currencies.currency as currency_code
    from source
    left outer join currencies
        on upper(trim(source.currency)) = currencies.currency

),

tagged as (

    select
        *,
        {{ raw_key(['rate_date', 'currency']) }} as raw_key,
        {{ row_to_json([
            'rate_date',
            'currency',
            'rate_to_usd',
            '_loaded_at'
        ]) }} as raw_row,
        {{ reject_reason(
            key_columns=['rate_date', 'currency'],
            timestamps={'rate_date': 'rate_date_at'},
            currency_column='currency',
            known_currency_column='currency_code'
        ) }} as reject_reason
    from parsed

)

select * from tagged

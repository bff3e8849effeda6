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

    {{ landed_rows(fx_rates_source, 'reference', 'fx_rates') }}

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
    {{ known_currency_join('source.currency') }}

),

tagged as (

    {{ tagged_rows(
        raw_key_columns=['rate_date', 'currency'],
        raw_columns=[
            'rate_date',
            'currency',
            'rate_to_usd',
            '_loaded_at'
        ],
        reject_reason_sql=reject_reason(
            key_columns=['rate_date', 'currency'],
            timestamps={'rate_date': 'rate_date_at'},
            currency_column='currency',
            known_currency_column='currency_code'
        )
    ) }}

)

select * from tagged

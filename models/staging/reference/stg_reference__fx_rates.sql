{#
    reference.fx_rates is optional. The source is always referenced (lineage, freshness), but it is only
    read when files are landed; otherwise the model is an empty relation of the same shape.
#}
{%- set fx_rates_source = source('reference', 'fx_rates') -%}

with

{% if landing_has_files('reference', 'fx_rates') %}

source as (

    select * from {{ fx_rates_source }}

),

{% else %}

source as (

    select
        cast(null as date) as rate_date,
        cast(null as {{ dbt.type_string() }}) as currency,
        cast(null as decimal(18, 8)) as rate_to_usd,
        cast(null as {{ dbt.type_timestamp() }}) as _loaded_at
    where 1 = 0

),

{% endif %}

renamed as (

    select
        cast(rate_date as date) as rate_date,
        upper(trim(currency)) as currency,
        cast(rate_to_usd as decimal(18, 8)) as rate_to_usd,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
    from source
    {# Rows without a key cannot be used; a later issue routes them to rejected_records. #}
    where
        rate_date is not null
        and currency is not null

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
    qualify row_number() over (partition by fx_rate_id order by loaded_at desc) = 1

)

select * from deduplicated

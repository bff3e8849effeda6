{#
    Daily rate of each currency to the reporting currency: sources, cross rates and carry-forward in
    _finance__models.yml; the vars in docs/operations.md "Parameters".
#}
with

landed_rates as (

    select
        rate_date,
        currency,
        rate_to_usd
    from {{ ref('stg_reference__fx_rates') }}

),

seed_rates as (

    select
        cast(rate_date as date) as rate_date,
        cast(rate_to_usd as decimal(18, 8)) as rate_to_usd,
        upper(currency) as currency
    from {{ ref('fx_rates') }}
    where not exists (select 1 as is_landed from landed_rates)

),

rates as (

    select
        rate_date,
        currency,
        rate_to_usd
    from landed_rates
    union all
    select
        rate_date,
        currency,
        rate_to_usd
    from seed_rates

),

bounds as (

    select
        min(rate_date) as first_day,
        {{ dbt.dateadd('day', var('fx_max_staleness_days'), 'max(rate_date)') }} as last_day
    from rates

),

calendar as (

    {{ date_series('first_day', 'last_day', 'bounds') }}

),

currencies as (

    select distinct currency from rates

),

latest_rate as (

    select
        calendar.date_day,
        currencies.currency,
        rates.rate_date as source_rate_date,
        rates.rate_to_usd
    from calendar
    cross join currencies
    inner join rates
        on
            currencies.currency = rates.currency
            and calendar.date_day >= rates.rate_date
            and rates.rate_date
            >= {{ dbt.dateadd('day', -1 * var('fx_max_staleness_days'), 'calendar.date_day') }}
    qualify row_number() over (
        partition by calendar.date_day, currencies.currency
        order by rates.rate_date desc
    ) = 1

),

reporting_rate as (

    select
        date_day,
        rate_to_usd as reporting_rate_to_usd
    from latest_rate
    where currency = '{{ var("reporting_currency") }}'

),

to_reporting as (

    select
        {{ dbt.concat(["latest_rate.currency", "'@'", "cast(latest_rate.date_day as " ~ dbt.type_string() ~ ")"]) }}
            as fx_rate_id,
        latest_rate.date_day as rate_date,
        latest_rate.currency,
        '{{ var("reporting_currency") }}' as reporting_currency,
        latest_rate.source_rate_date,
        cast(latest_rate.rate_to_usd / reporting_rate.reporting_rate_to_usd as decimal(18, 8))
            as rate_to_reporting
    from latest_rate
    inner join reporting_rate on latest_rate.date_day = reporting_rate.date_day

)

select * from to_reporting

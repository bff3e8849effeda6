{#
    The recovery funnel per cohort_date × channel × cart currency, each cart counted in exactly one row
    (_recovery__models.yml; docs/definitions.md "Carts").
#}
with

outcomes as (

    select * from {{ ref('int_carts__outcomes') }}

),

counted as (

    select
        cohort_date,
        funnel_channel as channel,
        currency,
        reporting_currency,
        cart_grain,
        count(*) as carts,
        sum(case when has_reached_checkout then 1 else 0 end) as checkouts_started,
        sum(case when has_contact_info then 1 else 0 end) as contact_captured,
        sum(case when is_abandoned then 1 else 0 end) as abandoned,
        sum(case when is_contacted then 1 else 0 end) as contacted,
        sum(case when is_clicked then 1 else 0 end) as clicked,
        sum(case when is_recovered then 1 else 0 end) as recovered,
        sum(case when recovery_type = 'attributed' then 1 else 0 end) as recovered_attributed,
        sum(case when recovery_type = 'organic' then 1 else 0 end) as recovered_organic,
        sum(case when is_recovered_and_paid then 1 else 0 end) as recovered_and_paid,
        coalesce(sum(recovered_revenue), 0) as recovered_revenue,
        max(case when is_provisional then 1 else 0 end) as provisional_carts
    from outcomes
    group by cohort_date, funnel_channel, currency, reporting_currency, cart_grain

),

funnel as (

    select
        {{ dbt.concat(["cast(cohort_date as " ~ dbt.type_string() ~ ")", "'/'", "channel", "'/'", "currency"]) }}
            as funnel_row_id,
        cohort_date,
        channel,
        currency,
        reporting_currency,
        cart_grain,
        {# browsing carts are unknown at checkout grain: null, never 0 (docs/connectors.md) #}
        case when cart_grain = 'cart' then cast(carts as {{ dbt.type_bigint() }}) end as carts,
        cast(checkouts_started as {{ dbt.type_bigint() }}) as checkouts_started,
        cast(contact_captured as {{ dbt.type_bigint() }}) as contact_captured,
        cast(abandoned as {{ dbt.type_bigint() }}) as abandoned,
        cast(contacted as {{ dbt.type_bigint() }}) as contacted,
        cast(clicked as {{ dbt.type_bigint() }}) as clicked,
        cast(recovered as {{ dbt.type_bigint() }}) as recovered,
        cast(recovered_attributed as {{ dbt.type_bigint() }}) as recovered_attributed,
        cast(recovered_organic as {{ dbt.type_bigint() }}) as recovered_organic,
        cast(recovered_and_paid as {{ dbt.type_bigint() }}) as recovered_and_paid,
        case
            when abandoned > 0 then cast(recovered as double) / abandoned
        end as recovery_rate,
        cast(recovered_revenue as decimal(18, 2)) as recovered_revenue,
        provisional_carts = 1 as is_provisional
    from counted

)

select * from funnel

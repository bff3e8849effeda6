{#
    fct_recovery_funnel_daily agrees with fct_cart_recovery: per cohort, the funnel's abandoned, contacted,
    clicked, recovered (attributed, organic), recovered-and-paid counts and recovered revenue equal the
    per-cart mart's, recovered = attributed + organic on every row, and a cohort is provisional in both or
    in neither. Returns the cohorts (or rows) that disagree.
#}
with

funnel as (

    select * from {{ ref('fct_recovery_funnel_daily') }}

),

cart_recovery as (

    select * from {{ ref('fct_cart_recovery') }}

),

funnel_by_cohort as (

    select
        cohort_date,
        sum(checkouts_started) as checkouts_started,
        sum(abandoned) as abandoned,
        sum(contacted) as contacted,
        sum(clicked) as clicked,
        sum(recovered) as recovered,
        sum(recovered_attributed) as recovered_attributed,
        sum(recovered_organic) as recovered_organic,
        sum(recovered_and_paid) as recovered_and_paid,
        sum(recovered_revenue) as recovered_revenue,
        max(case when is_provisional then 1 else 0 end) as provisional_rows,
        min(case when is_provisional then 1 else 0 end) as all_provisional
    from funnel
    group by cohort_date

),

carts_by_cohort as (

    select
        cohort_date,
        count(*) as checkouts_started,
        sum(case when is_abandoned then 1 else 0 end) as abandoned,
        sum(case when is_abandoned and is_contacted then 1 else 0 end) as contacted,
        sum(case when is_abandoned and is_clicked then 1 else 0 end) as clicked,
        sum(case when recovery_type in ('attributed', 'organic') then 1 else 0 end) as recovered,
        sum(case when recovery_type = 'attributed' then 1 else 0 end) as recovered_attributed,
        sum(case when recovery_type = 'organic' then 1 else 0 end) as recovered_organic,
        sum(case when is_recovered_and_paid then 1 else 0 end) as recovered_and_paid,
        coalesce(sum(recovered_revenue), 0) as recovered_revenue,
        max(case when is_provisional then 1 else 0 end) as provisional_rows
    from cart_recovery
    group by cohort_date

),

cohort_differences as (

    select funnel_by_cohort.cohort_date
    from funnel_by_cohort
    left outer join carts_by_cohort on funnel_by_cohort.cohort_date = carts_by_cohort.cohort_date
    where
        funnel_by_cohort.checkouts_started <> coalesce(carts_by_cohort.checkouts_started, 0)
        or funnel_by_cohort.abandoned <> coalesce(carts_by_cohort.abandoned, 0)
        or funnel_by_cohort.contacted <> coalesce(carts_by_cohort.contacted, 0)
        or funnel_by_cohort.clicked <> coalesce(carts_by_cohort.clicked, 0)
        or funnel_by_cohort.recovered <> coalesce(carts_by_cohort.recovered, 0)
        or funnel_by_cohort.recovered_attributed <> coalesce(carts_by_cohort.recovered_attributed, 0)
        or funnel_by_cohort.recovered_organic <> coalesce(carts_by_cohort.recovered_organic, 0)
        or funnel_by_cohort.recovered_and_paid <> coalesce(carts_by_cohort.recovered_and_paid, 0)
        or funnel_by_cohort.recovered_revenue <> coalesce(carts_by_cohort.recovered_revenue, 0)
        or funnel_by_cohort.provisional_rows <> funnel_by_cohort.all_provisional
        or carts_by_cohort.provisional_rows is not null
        and funnel_by_cohort.provisional_rows <> carts_by_cohort.provisional_rows

),

row_differences as (

    select cohort_date from funnel
    where recovered <> recovered_attributed + recovered_organic

),

differences as (

    select cohort_date from cohort_differences
    union all
    select cohort_date from row_differences

)

select * from differences

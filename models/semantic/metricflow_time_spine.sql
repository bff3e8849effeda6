{#
    One row per day, the calendar MetricFlow joins metrics to (cumulative metrics, gaps filled with zero). A view:
    nothing is stored, and the range covers every plausible cohort date (earliest_plausible_time onwards).
#}
with bounds as (
    select
        cast('2000-01-01' as date) as first_day,
        cast('2049-12-31' as date) as last_day
),

days as (
    {{ date_series('first_day', 'last_day', 'bounds') }}
)

select * from days

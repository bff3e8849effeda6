{#
    Source systems against the warehouse per day × source system × measure: docs/definitions.md
    "Reconciliation"; columns in _reconciliation__models.yml.
#}
with

source_records as (

    select * from {{ ref('int_reconciliation__source_records') }}

),

warehouse_records as (

    select * from {{ ref('int_reconciliation__warehouse_records') }}

),

pairs as (

    select * from {{ ref('int_reconciliation__stripe_vs_shop') }}

),

source_by_day as (

    select
        recon_date,
        source_system,
        measure,
        count(*) as source_count,
        sum(coalesce(amount_reporting, 0)) as source_amount,
        sum(case when is_rejected then 1 else 0 end) as rejected_count,
        sum(
            case
                when is_rejected
                    then coalesce(amount_reporting, 0)
                else 0
            end
        ) as rejected_amount
    from source_records
    group by recon_date, source_system, measure

),

warehouse_by_day as (

    select
        recon_date,
        source_system,
        measure,
        count(*) as warehouse_count,
        sum(amount_reporting) as warehouse_amount
    from warehouse_records
    group by recon_date, source_system, measure

),

landing as (

    select
        coalesce(source_by_day.recon_date, warehouse_by_day.recon_date) as recon_date,
        coalesce(source_by_day.source_system, warehouse_by_day.source_system) as source_system,
        coalesce(source_by_day.measure, warehouse_by_day.measure) as measure,
        coalesce(source_by_day.source_count, 0) as source_count,
        coalesce(source_by_day.source_amount, 0) as source_amount,
        coalesce(warehouse_by_day.warehouse_count, 0) as warehouse_count,
        coalesce(warehouse_by_day.warehouse_amount, 0) as warehouse_amount,
        coalesce(source_by_day.rejected_count, 0) as rejected_count,
        coalesce(source_by_day.rejected_amount, 0) as rejected_amount
    from source_by_day
    full outer join warehouse_by_day
        on
            source_by_day.recon_date = warehouse_by_day.recon_date
            and source_by_day.source_system = warehouse_by_day.source_system
            and source_by_day.measure = warehouse_by_day.measure

),

alignment as (

    select
        recon_date,
        'shop + stripe' as source_system,
        'stripe_vs_shop_captures' as measure,
        sum(stripe_count) as source_count,
        sum(stripe_amount_reporting) as source_amount,
        sum(shop_count) as warehouse_count,
        sum(shop_amount_reporting) as warehouse_amount,
        sum(case when explained_by is not null then stripe_count - shop_count else 0 end) as exception_count,
        sum(
            case when explained_by is not null then stripe_amount_reporting - shop_amount_reporting else 0 end
        ) as exception_amount
    from pairs
    group by recon_date

),

measures as (

    select
        recon_date,
        source_system,
        {{ dbt.concat(["measure", "'_count'"]) }} as measure,
        'count' as unit,
        source_count as source_value,
        warehouse_count as warehouse_value,
        rejected_count as explained_by_rejected,
        0 as explained_by_exceptions
    from landing
    union all
    select
        recon_date,
        source_system,
        {{ dbt.concat(["measure", "'_amount'"]) }} as measure,
        '{{ var("reporting_currency") }}' as unit,
        source_amount as source_value,
        warehouse_amount as warehouse_value,
        rejected_amount as explained_by_rejected,
        0 as explained_by_exceptions
    from landing
    union all
    select
        recon_date,
        source_system,
        {{ dbt.concat(["measure", "'_count'"]) }} as measure,
        'count' as unit,
        source_count as source_value,
        warehouse_count as warehouse_value,
        0 as explained_by_rejected,
        exception_count as explained_by_exceptions
    from alignment
    union all
    select
        recon_date,
        source_system,
        {{ dbt.concat(["measure", "'_amount'"]) }} as measure,
        '{{ var("reporting_currency") }}' as unit,
        source_amount as source_value,
        warehouse_amount as warehouse_value,
        0 as explained_by_rejected,
        exception_amount as explained_by_exceptions
    from alignment

),

final as (

    select
        {{ dbt.concat(["cast(recon_date as " ~ dbt.type_string() ~ ")", "'|'", "source_system", "'|'", "measure"]) }}
            as reconciliation_id,
        recon_date,
        source_system,
        measure,
        unit,
        cast(source_value as decimal(18, 2)) as source_value,
        cast(warehouse_value as decimal(18, 2)) as warehouse_value,
        cast(source_value - warehouse_value as decimal(18, 2)) as difference,
        cast(explained_by_rejected as decimal(18, 2)) as explained_by_rejected,
        cast(explained_by_exceptions as decimal(18, 2)) as explained_by_exceptions,
        cast(
            source_value - warehouse_value - explained_by_rejected - explained_by_exceptions as decimal(18, 2)
        )
            as unexplained_difference,
        source_value - warehouse_value - explained_by_rejected - explained_by_exceptions = 0 as is_aligned
    from measures

)

select * from final

{#
    What owners did to each exception, one row per exception with any action (docs/workflow.md "Owners' actions"):
    the first acknowledgement, the latest assignment, snooze and resolution; columns in _exceptions__models.yml.
    fct_workflow_exceptions decides whether the resolution stands (docs/definitions.md "Owners' resolutions").
#}
with

actions as (

    select * from {{ ref('stg_workflow__exception_actions') }}

),

ranked as (

    select
        *,
        row_number() over (partition by exception_id, action order by action_id desc) as newest_first,
        row_number() over (partition by exception_id, action order by action_id) as oldest_first
    from actions

),

per_exception as (

    select
        exception_id,
        max(case when action = 'acknowledge' and oldest_first = 1 then acted_at end) as acknowledged_at,
        max(case when action = 'assign' and newest_first = 1 then assignee end) as assignee,
        max(case when action = 'snooze' and newest_first = 1 then snooze_until end) as snoozed_until,
        max(case when action = 'resolve' and newest_first = 1 then acted_at end) as manually_resolved_at,
        max(case when action = 'resolve' and newest_first = 1 then actor end) as resolved_by,
        max(case when action = 'resolve' and newest_first = 1 then reason end) as resolution_reason,
        max(
            case when action = 'resolve' and newest_first = 1 then condition_amount_at_risk end
        ) as resolved_amount_at_risk,
        max(case when action = 'resolve' and newest_first = 1 then condition_details end) as resolved_details
    from ranked
    group by exception_id

)

select * from per_exception

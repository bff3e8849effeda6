{#
    Every owners' action the build step copied from the workflow state database (docs/workflow.md
    "Owners' actions"); the only model that reads the source.
#}
with

source as (

    select * from {{ source('workflow', 'exception_actions') }}

),

actions as (

    select
        action_id,
        exception_id,
        action,
        actor,
        acted_at,
        assignee,
        snooze_until,
        reason,
        comment,
        condition_amount_at_risk,
        condition_details
    from source

)

select * from actions

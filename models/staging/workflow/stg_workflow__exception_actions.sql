{# Owners' actions, one row per action: columns in _workflow__models.yml. #}
with

actions as (

    select * from {{ ref('base_workflow__exception_actions') }}

),

staged as (

    select
        cast(action_id as {{ dbt.type_bigint() }}) as action_id,
        exception_id,
        action,
        trim(actor) as actor,
        cast(acted_at as {{ dbt.type_timestamp() }}) as acted_at,
        trim(assignee) as assignee,
        cast(snooze_until as {{ dbt.type_timestamp() }}) as snooze_until,
        reason,
        comment,
        cast(condition_amount_at_risk as decimal(18, 2)) as condition_amount_at_risk,
        condition_details
    from actions

)

select * from staged

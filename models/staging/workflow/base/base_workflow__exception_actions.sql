{#
    Every owners' action the build step copied from the workflow state database (docs/workflow.md
    "Owners' actions"); the only model that reads the source. A build that did not go through `cart_recovery
    build` (dbt run by hand, the Spark parity build) has no such table: it reads no actions.
#}
{%- set copied = load_relation(source('workflow', 'exception_actions')) if execute else none %}
with

source as (

    {% if copied is not none or not execute -%}
    select * from {{ source('workflow', 'exception_actions') }}
    {%- else -%}
    select * from (
        select
            cast(null as {{ dbt.type_bigint() }}) as action_id,
            cast(null as {{ dbt.type_string() }}) as exception_id,
            cast(null as {{ dbt.type_string() }}) as action,  -- noqa: RF04
            cast(null as {{ dbt.type_string() }}) as actor,
            cast(null as {{ dbt.type_timestamp() }}) as acted_at,
            cast(null as {{ dbt.type_string() }}) as assignee,
            cast(null as {{ dbt.type_timestamp() }}) as snooze_until,
            cast(null as {{ dbt.type_string() }}) as reason,
            cast(null as {{ dbt.type_string() }}) as comment,  -- noqa: RF04
            cast(null as decimal(18, 2)) as condition_amount_at_risk,
            cast(null as {{ dbt.type_string() }}) as condition_details
    ) as no_actions
    where 1 = 0
    {%- endif %}

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

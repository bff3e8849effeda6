{#
    One row per workflow exception instance: when an instance exists and resolves in docs/definitions.md
    "Exceptions" and "Owners' resolutions"; columns in _exceptions__models.yml; owner, route, severity, SLA and
    escalation delay from seeds/exception_rules.csv.
#}
{%- set exception_types = [
    'order_unpaid', 'charge_without_order', 'amount_mismatch', 'duplicate_capture', 'refund_exceeds_capture',
    'processor_mismatch', 'oversell', 'fulfillment_delayed', 'price_drift', 'recovery_stalled',
    'recovered_payment_failed',
] -%}
{%- set sla_vars = {
    'order_unpaid': 'payment_sla_hours',
    'fulfillment_delayed': 'fulfillment_sla_hours',
    'recovery_stalled': 'recovery_sla_hours',
} -%}

with

{% for exception_type in exception_types %}
{{ exception_type }} as (

    select * from {{ ref('int_exceptions__' ~ exception_type) }}

),

{% endfor %}
rules as (

    select * from {{ ref('exception_rules') }}

),

as_of as (

    select as_of from {{ ref('int_warehouse__as_of') }}

),

owner_actions as (

    select * from {{ ref('int_exceptions__owner_actions') }}

),

candidates as (

    {% for exception_type in exception_types %}
    select
        exception_type,
        entity_type,
        entity_id,
        clock_start_at,
        cleared_at,
        amount_at_risk,
        details
    from {{ exception_type }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

governed as (

    select
        candidates.*,
        rules.trigger,
        rules.source_system,
        rules.owner,
        rules.route,
        rules.route_description,
        rules.severity,
        rules.escalate_after_hours,
        rules.expected_outcome,
        rules.clears_by_itself,
        case candidates.exception_type
            {% for exception_type, sla_var in sla_vars.items() %}
            when '{{ exception_type }}' then {{ var(sla_var) }}
            {% endfor %}
            else rules.sla_hours
        end as sla_hours
    from candidates
    inner join rules on candidates.exception_type = rules.exception_type

),

timed as (

    select
        governed.*,
        {{ dbt.dateadd('hour', 'governed.sla_hours', 'governed.clock_start_at') }} as due_at,
        as_of.as_of
    from governed
    cross join as_of

),

escalation as (

    select
        *,
        {{ dbt.dateadd('hour', 'escalate_after_hours', 'due_at') }} as escalates_at
    from timed

),

judged as (

    select
        {{ dbt.hash(dbt.concat(['exception_type', "':'", 'entity_id'])) }} as exception_id,
        exception_type,
        source_system,
        entity_type,
        entity_id,
        trigger,
        clock_start_at as detected_at,
        owner,
        route,
        route_description,
        severity,
        cast(sla_hours as {{ dbt.type_int() }}) as sla_hours,
        due_at,
        cast(escalate_after_hours as {{ dbt.type_int() }}) as escalate_after_hours,
        escalates_at,
        case when cleared_at <= as_of then 'resolved' else 'open' end as status,
        case when cleared_at <= as_of then cleared_at end as resolved_at,
        cast(
            {{ dbt.datediff('due_at', 'case when cleared_at <= as_of then cleared_at else as_of end', 'minute') }}
            / 60.0 as decimal(18, 2)
        ) as hours_past_due,
        cast(coalesce(amount_at_risk, 0) as decimal(18, 2)) as amount_at_risk,
        expected_outcome,
        clears_by_itself,
        details,
        as_of
    from escalation
    where
        due_at <= as_of
        and (cleared_at is null or cleared_at > due_at)

),

acted_on as (

    select
        judged.*,
        owner_actions.acknowledged_at,
        owner_actions.assignee,
        owner_actions.snoozed_until,
        owner_actions.manually_resolved_at,
        owner_actions.resolved_by,
        owner_actions.resolution_reason,
        {# an owner's resolution stands while the condition is the one they resolved #}
        coalesce(
            judged.status = 'open'
            and not judged.clears_by_itself
            and owner_actions.manually_resolved_at is not null
            and judged.amount_at_risk = owner_actions.resolved_amount_at_risk
            and coalesce(judged.details, '') = coalesce(owner_actions.resolved_details, ''),
            false
        ) as is_resolved_by_hand
    from judged
    left outer join owner_actions on judged.exception_id = owner_actions.exception_id

),

instances as (

    select
        exception_id,
        exception_type,
        source_system,
        entity_type,
        entity_id,
        trigger,
        detected_at,
        owner,
        route,
        route_description,
        severity,
        sla_hours,
        due_at,
        escalate_after_hours,
        escalates_at,
        case when is_resolved_by_hand then 'resolved' else status end as status,
        status = 'open' and not is_resolved_by_hand and escalates_at <= as_of as is_escalated,
        case when is_resolved_by_hand then manually_resolved_at else resolved_at end as resolved_at,
        case
            when is_resolved_by_hand
                then cast(
                    {{ dbt.datediff('due_at', 'manually_resolved_at', 'minute') }}
                    / 60.0 as decimal(18, 2)
                )
            else hours_past_due
        end as hours_past_due,
        amount_at_risk,
        expected_outcome,
        clears_by_itself,
        details,
        assignee,
        acknowledged_at,
        snoozed_until,
        case when is_resolved_by_hand then 'manual' when status = 'resolved' then 'auto' end as resolution,
        case when is_resolved_by_hand then resolved_by end as resolved_by,
        case when is_resolved_by_hand then resolution_reason end as resolution_reason,
        as_of
    from acted_on

)

select * from instances

{#
    One row per workflow exception instance: when an instance exists and resolves in docs/definitions.md
    "Exceptions"; columns in _exceptions__models.yml; owner, route, severity, SLA and escalation delay from
    seeds/exception_rules.csv.
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

instances as (

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
        (cleared_at is null or cleared_at > as_of) and escalates_at <= as_of as is_escalated,
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

)

select * from instances

{#
    charge_without_order candidates, one row per charge, with clock start, clearing time and amount at risk:
    rule in docs/definitions.md "Exceptions", columns in _exceptions__models.yml.
#}
with

charges as (

    select * from {{ ref('int_payments__charges_linked') }}

),

candidates as (

    select
        'charge_without_order' as exception_type,
        'charge' as entity_type,
        charge_id as entity_id,
        created_at as clock_start_at,
        linked_at as cleared_at,
        amount_captured_reporting as amount_at_risk,
        {{ dbt.concat(["'charge '", "cast(amount as " ~ dbt.type_string() ~ ")", "' '", "currency",
            "', metadata order_id '", "coalesce(metadata_order_id, 'none')"]) }} as details
    from charges
    where status = 'succeeded'

)

select * from candidates

{#
    charge_without_order (stripe): a succeeded Stripe charge that matches no shop order, neither by
    metadata.order_id nor by a shop transaction's gateway_reference. Clock: charge creation. Clears: when the
    charge became matchable (its order created, or the linking transaction recorded).
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

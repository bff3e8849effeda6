{#
    Stripe captures paired with the storefront's capture/sale transactions and the exception that explains a
    disagreement: docs/definitions.md "Alignment"; columns in _reconciliation__models.yml.
#}
with

shop as (

    select
        transaction_id,
        order_id,
        gateway_reference as charge_id,
        created_at,
        currency,
        amount
    from {{ ref('stg_shop__transactions') }}
    where gateway = 'stripe' and kind in ('capture', 'sale') and status = 'success'

),

stripe as (

    select
        charge_id,
        order_id,
        is_linked,
        created_at,
        currency,
        amount_captured as amount
    from {{ ref('int_payments__charges_linked') }}
    where is_successful_capture

),

fx as (

    select
        rate_date,
        currency,
        rate_to_reporting
    from {{ ref('int_fx__rates_to_reporting') }}

),

processor_mismatches as (

    select entity_id from {{ ref('int_exceptions__processor_mismatch') }}

),

charges_without_order as (

    select entity_id from {{ ref('int_exceptions__charge_without_order') }}
    where cleared_at is null

),

duplicate_captures as (

    select entity_id from {{ ref('int_exceptions__duplicate_capture') }}

),

amount_mismatches as (

    select entity_id from {{ ref('int_exceptions__amount_mismatch') }}

),

pairs as (

    select
        coalesce(stripe.charge_id, shop.charge_id, cast(shop.transaction_id as {{ dbt.type_string() }}))
            as pair_key,
        stripe.charge_id,
        shop.transaction_id,
        coalesce(stripe.order_id, shop.order_id) as order_id,
        stripe.is_linked,
        cast(coalesce(stripe.created_at, shop.created_at) as date) as recon_date,
        shop.currency as shop_currency,
        shop.amount as shop_amount,
        stripe.currency as stripe_currency,
        stripe.amount as stripe_amount
    from stripe
    full outer join shop on stripe.charge_id = shop.charge_id

),

converted as (

    select
        pairs.*,
        case when pairs.transaction_id is not null then 1 else 0 end as shop_count,
        case when pairs.charge_id is not null then 1 else 0 end as stripe_count,
        coalesce({{ to_reporting_currency('pairs.shop_amount', 'shop_fx.rate_to_reporting') }}, 0)
            as shop_amount_reporting,
        coalesce({{ to_reporting_currency('pairs.stripe_amount', 'stripe_fx.rate_to_reporting') }}, 0)
            as stripe_amount_reporting
    from pairs
    left outer join
        fx as shop_fx
        on pairs.shop_currency = shop_fx.currency and pairs.recon_date = shop_fx.rate_date
    left outer join fx as stripe_fx
        on pairs.stripe_currency = stripe_fx.currency and pairs.recon_date = stripe_fx.rate_date

),

explained as (

    select
        converted.*,
        case
            when converted.charge_id is null and processor_mismatches.entity_id is not null
                then 'processor_mismatch'
            when
                converted.transaction_id is null
                and not converted.is_linked
                and charges_without_order.entity_id is not null
                then 'charge_without_order'
            when
                converted.transaction_id is null
                and converted.is_linked
                and duplicate_captures.entity_id is not null
                then 'duplicate_capture'
            when
                converted.charge_id is not null and converted.transaction_id is not null
                and converted.shop_amount_reporting <> converted.stripe_amount_reporting
                and amount_mismatches.entity_id is not null
                then 'amount_mismatch'
        end as explained_by
    from converted
    left outer join processor_mismatches
        on cast(converted.transaction_id as {{ dbt.type_string() }}) = processor_mismatches.entity_id
    left outer join charges_without_order on converted.charge_id = charges_without_order.entity_id
    left outer join duplicate_captures
        on cast(converted.order_id as {{ dbt.type_string() }}) = duplicate_captures.entity_id
    left outer join amount_mismatches
        on cast(converted.order_id as {{ dbt.type_string() }}) = amount_mismatches.entity_id

)

select * from explained

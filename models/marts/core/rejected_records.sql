{#
    Every landed row that cannot be used, one row each, with the rule it broke first: docs/definitions.md
    "Rows"; columns in _rejected_records__models.yml; incremental loads in docs/incremental.md.
#}
{#
    A row rejected as implausible_time can become usable later (a `_loaded_at` ahead of the build's clock is
    plausible once the clock has passed it), so those are never part of the watermark and are judged again in
    every build: the pre-hook drops them and the build adds back the ones that are still implausible.
#}
{{ config(
    materialized=('table' if target.type == 'spark' else 'incremental'),
    unique_key='rejected_record_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    pre_hook="{% if is_incremental() %}delete from {{ this }} where reason = 'implausible_time'{% endif %}",
) }}
{%- set watermark = incremental_watermark(where="reason <> 'implausible_time'") %}
{#- the base models that tag landed rows: the native tables', or a connector's (docs/connectors.md) -#}
{%- set shop_models = [
    ('shop.cart_events', 'base_shop__cart_events'),
    ('shop.orders', 'base_shop__orders'),
    ('shop.order_lines', 'base_shop__order_lines'),
    ('shop.transactions', 'base_shop__transactions'),
    ('shop.fulfillments', 'base_shop__fulfillments'),
    ('shop.inventory_movements', 'base_shop__inventory_movements'),
    ('shop.product_prices', 'base_shop__product_prices'),
] if var('shop_source_format') == 'native' else [
    ('fivetran_shopify.abandoned_checkout', 'base_fivetran_shopify__abandoned_checkout'),
    ('fivetran_shopify.order', 'base_fivetran_shopify__order'),
    ('fivetran_shopify.order_line', 'base_fivetran_shopify__order_line'),
    ('fivetran_shopify.transaction', 'base_fivetran_shopify__transaction'),
    ('fivetran_shopify.fulfillment', 'base_fivetran_shopify__fulfillment'),
] -%}
{%- set stripe_models = [
    ('stripe.charges', 'base_stripe__charges'),
    ('stripe.refunds', 'base_stripe__refunds'),
] if var('stripe_source_format') == 'native' else [
    ('fivetran_stripe.charge', 'base_fivetran_stripe__charge'),
    ('fivetran_stripe.refund', 'base_fivetran_stripe__refund'),
] -%}
{%- set messaging_models = [
    ('messaging.events', 'base_messaging__events'),
] if var('messaging_source_format') == 'native' else [
    ('fivetran_klaviyo.event', 'base_fivetran_klaviyo__event'),
] -%}
{%- set base_models = shop_models + stripe_models + messaging_models + [
    ('reference.fx_rates', 'base_reference__fx_rates'),
] -%}

with

{% for source_table, base_model in base_models %}
{{ base_model }} as (

    select
        '{{ source_table }}' as source_table,
        raw_key,
        reject_reason as reason,
        raw_row,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
    from {{ ref(base_model) }}
    where
        reject_reason is not null
        and (
            {{ incremental_landing_filter(ref(base_model), none, watermark) }}
            or reject_reason = 'implausible_time'
        )

),

{% endfor %}
rejected as (

    {% for _, base_model in base_models %}
    select * from {{ base_model }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

numbered as (

    {#
        Identical junk rows landed in the same batch stay distinct records: number the copies. Copies share
        their `_loaded_at`, so an incremental build always re-reads them together and they keep their numbers.
    #}
    select
        *,
        row_number() over (
            partition by source_table, raw_row, loaded_at
            order by raw_key
        ) as copy_number
    from rejected

),

identified as (

    select
        {{ dbt.hash(dbt.concat([
            'source_table',
            "'|'",
            'raw_row',
            "'|'",
            'cast(loaded_at as ' ~ dbt.type_string() ~ ')',
            "'|'",
            'cast(copy_number as ' ~ dbt.type_string() ~ ')',
        ])) }} as rejected_record_id,
        source_table,
        raw_key,
        reason,
        raw_row,
        loaded_at
    from numbered

)

select * from identified

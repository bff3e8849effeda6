{#
    Every landed row of Fivetran's Shopify `fulfillment` table in the columns of base_shop__fulfillments
    (docs/connectors.md): status lower-cased (pending, open, success, cancelled, error, failure; only success
    counts as shipped). base_shop__fulfillments selects from it when shop_source_format is fivetran.
#}
with

source as (

    {{ connector_rows(source('fivetran_shopify', 'fulfillment'), 'fulfillment', 'shopify', [
        'id', 'order_id', 'status', 'created_at', '_fivetran_synced',
    ]) }}

),

parsed as (

    select
        {{ landed_row_id('shopify', 'fulfillment', 'source') }} as landed_row_id,
        cast(source.id as {{ dbt.type_bigint() }}) as fulfillment_id,
        cast(source.order_id as {{ dbt.type_bigint() }}) as order_id,
        lower(trim(source.status)) as status,
        {{ utc_iso_text(connector_timestamp('source.created_at')) }} as created_at,
        cast(source._fivetran_synced as {{ dbt.type_timestamp() }}) as _loaded_at,
        {{ connector_timestamp('source.created_at') }} as created_at_utc,
        source.raw_row
    from source

),

tagged as (

    {{ tagged_rows(
        raw_key_columns=['fulfillment_id'],
        reject_reason_sql=reject_reason(
            key_columns=['fulfillment_id'],
            timestamps={'created_at': 'created_at_utc'}
        )
    ) }}

)

select * from tagged

{#
    Every landed row of shop.transactions, none filtered or deduplicated: the raw columns, the parsed values
    staging needs and `reject_reason` (macro reject_reason). The only model that reads the source;
    stg_shop__transactions keeps the usable rows, rejected_records the others.
#}
with

{% if var('shop_source_format') == 'fivetran' %}

tagged as (

    {# the connector's rows, already in these columns (docs/connectors.md) #}
    select * from {{ ref('base_fivetran_shopify__transaction') }}

)

{% else %}

source as (

    {{ landed_rows(source('shop', 'transactions'), 'shop', 'transactions') }}

),

currencies as (

    select * from {{ ref('currencies') }}

),

parsed as (

    select
        {{ landed_row_id('shop', 'transactions', 'source') }} as landed_row_id,
        source.transaction_id,
        source.order_id,
        source.kind,
        source.status,
        source.amount,
        source.currency,
        source.gateway,
        source.gateway_reference,
        source.created_at,
        source._loaded_at,
        {{ to_utc_timestamp('source.created_at') }} as created_at_utc,
        currencies.currency as currency_code
    from source
    {{ known_currency_join('source.currency') }}

),

tagged as (

    {{ tagged_rows(
        raw_key_columns=['transaction_id'],
        raw_columns=[
            'transaction_id',
            'order_id',
            'kind',
            'status',
            'amount',
            'currency',
            'gateway',
            'gateway_reference',
            'created_at',
            '_loaded_at'
        ],
        reject_reason_sql=reject_reason(
            key_columns=['transaction_id'],
            timestamps={'created_at': 'created_at_utc'},
            amount_columns=['amount'],
            currency_column='currency',
            known_currency_column='currency_code'
        )
    ) }}

)

{% endif %}

select * from tagged

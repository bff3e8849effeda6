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

    select
        *,
        {{ landed_file_columns(source('shop', 'transactions'), 'shop', 'transactions') }}
    from {{ source('shop', 'transactions') }}
    where {{ landed_by_as_of() }}

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
    left outer join currencies
        on upper(trim(source.currency)) = currencies.currency

),

tagged as (

    select
        *,
        {{ raw_key(['transaction_id']) }} as raw_key,
        {{ row_to_json([
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
        ]) }} as raw_row,
        {{ reject_reason(
            key_columns=['transaction_id'],
            timestamps={'created_at': 'created_at_utc'},
            amount_columns=['amount'],
            currency_column='currency',
            known_currency_column='currency_code'
        ) }} as reject_reason
    from parsed

)

{% endif %}

select * from tagged

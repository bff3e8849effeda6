{#
    Every landed row of shop.cart_events, none filtered or deduplicated: the raw columns, the parsed values
    staging needs and `reject_reason` (macro reject_reason). The only model that reads the source;
    stg_shop__cart_events keeps the usable rows, rejected_records the others.
    `email` is replaced by its hash (`customer_key`) at this first read: the raw email never enters the
    warehouse, not even as part of a rejected row.
#}
with

source as (

    select
        *,
        {{ landed_file_columns(source('shop', 'cart_events'), 'shop', 'cart_events') }}
    from {{ source('shop', 'cart_events') }}
    where {{ landed_by_as_of() }}

),

currencies as (

    select * from {{ ref('currencies') }}

),

parsed as (

    select
        {{ landed_row_id('shop', 'cart_events', 'source') }} as landed_row_id,
        source.event_id,
        source.cart_token,
        source.event_name,
        source.occurred_at,
        source.customer_id,
        {{ email_to_customer_key('source.email') }} as customer_key,
        source.sku,
        source.quantity,
        source.unit_price,
        source.currency,
        source._loaded_at,
        {{ to_utc_timestamp('source.occurred_at') }} as occurred_at_utc,
        currencies.currency as currency_code
    from source
    left outer join currencies
        on upper(trim(source.currency)) = currencies.currency

),

tagged as (

    select
        *,
        {{ raw_key(['event_id']) }} as raw_key,
        {{ row_to_json([
            'event_id',
            'cart_token',
            'event_name',
            'occurred_at',
            'customer_id',
            'customer_key',
            'sku',
            'quantity',
            'unit_price',
            'currency',
            '_loaded_at'
        ]) }} as raw_row,
        {# an event without its cart cannot be used: cart_token is a key of the event too #}
        {{ reject_reason(
            key_columns=['event_id', 'cart_token'],
            timestamps={'occurred_at': 'occurred_at_utc'},
            amount_columns=['unit_price'],
            currency_column='currency',
            known_currency_column='currency_code',
            quantity_column='quantity'
        ) }} as reject_reason
    from parsed

)

select * from tagged

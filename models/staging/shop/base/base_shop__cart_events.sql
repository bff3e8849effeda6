{#
    Every landed row of shop.cart_events, none filtered or deduplicated: the raw columns, the parsed values
    staging needs and `reject_reason` (macro reject_reason). The only model that reads the source;
    stg_shop__cart_events keeps the usable rows, rejected_records the others.
    `email` is replaced by its hash (`customer_key`) at this first read: the raw email never enters the
    warehouse, not even as part of a rejected row.
#}
with

{% if var('shop_source_format') == 'fivetran' %}

checkouts as (

    {# checkout grain (docs/connectors.md): a checkout's events, derived from its usable, newest row #}
    select * from {{ ref('stg_fivetran_shopify__checkouts') }}

),

checkout_events as (

    {#- each event: its name, its time and the checkouts that have it; the checkout's total rides on its start:
        there are no checkout lines in the connector #}
    {%- set events = [
        {'name': 'checkout_started', 'at': 'created_at', 'where': none, 'carries_total': true},
        {'name': 'checkout_contact_info_submitted', 'at': 'created_at', 'where': 'checkouts.customer_key is not null'},
        {'name': 'checkout_updated', 'at': 'updated_at', 'where': 'checkouts.updated_at > checkouts.created_at'},
        {'name': 'checkout_completed', 'at': 'closed_at', 'where': 'checkouts.closed_at is not null'},
    ] %}
    {%- for event in events %}
    select
        checkouts.*,
        '{{ event.name }}' as event_name,
        checkouts.{{ event.at }} as event_at,
        {%- if event.carries_total %}
        checkouts.total_price as event_price,
        1 as event_quantity
        {%- else %}
        cast(null as decimal(18, 2)) as event_price,
        cast(null as {{ dbt.type_int() }}) as event_quantity
        {%- endif %}
    from checkouts
    {%- if event.where %}
    where {{ event.where }}
    {%- endif %}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

tagged as (

    select
        {{ dbt.concat(["landed_row_id", "'/'", "event_name"]) }} as landed_row_id,
        {{ dbt.concat(["'checkout:'", "cast(checkout_id as " ~ dbt.type_string() ~ ")", "':'", "event_name"]) }}
            as event_id,
        cart_token,
        event_name,
        {{ utc_iso_text('event_at') }} as occurred_at,
        customer_id,
        customer_key,
        cast(null as {{ dbt.type_string() }}) as sku,
        cast(event_quantity as {{ dbt.type_int() }}) as quantity,
        event_price as unit_price,
        currency,
        loaded_at as _loaded_at,
        event_at as occurred_at_utc,
        currency as currency_code,
        {{ dbt.concat(["'checkout:'", "cast(checkout_id as " ~ dbt.type_string() ~ ")", "':'", "event_name"]) }}
            as raw_key,
        cast(null as {{ dbt.type_string() }}) as raw_row,
        cast(null as {{ dbt.type_string() }}) as reject_reason
    from checkout_events

)

{% else %}

source as (

    {{ landed_rows(source('shop', 'cart_events'), 'shop', 'cart_events') }}

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
    {{ known_currency_join('source.currency') }}

),

tagged as (

    {# an event without its cart cannot be used: cart_token is a key of the event too #}
    {{ tagged_rows(
        raw_key_columns=['event_id'],
        raw_columns=[
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
        ],
        reject_reason_sql=reject_reason(
            key_columns=['event_id', 'cart_token'],
            timestamps={'occurred_at': 'occurred_at_utc'},
            amount_columns=['unit_price'],
            currency_column='currency',
            known_currency_column='currency_code',
            quantity_column='quantity'
        )
    ) }}

)

{% endif %}

select * from tagged

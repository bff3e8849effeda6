{#
    Every landed row of stripe.charges, none filtered or deduplicated: the raw columns, the parsed values
    staging needs and `reject_reason` (macro reject_reason). The only model that reads the source;
    stg_stripe__charges keeps the usable rows, rejected_records the others.
#}
with

{% if var('stripe_source_format') == 'fivetran' %}

tagged as (

    {# the connector's rows, already in these columns (docs/connectors.md) #}
    select * from {{ ref('base_fivetran_stripe__charge') }}

)

{% else %}

source as (

    select
        *,
        {{ landed_file_columns(source('stripe', 'charges'), 'stripe', 'charges') }}
    from {{ source('stripe', 'charges') }}
    where {{ landed_by_as_of() }}

),

currencies as (

    select * from {{ ref('currencies') }}

),

parsed as (

    select
        {{ landed_row_id('stripe', 'charges', 'source') }} as landed_row_id,
        source.id,
        source.payment_intent,
        source.amount,
        source.amount_captured,
        source.amount_refunded,
        source.currency,
        source.status,
        source.captured,
        source.created,
        {{ epoch_to_timestamp('source.created') }} as created_at_utc,
        source.failure_code,
        source.metadata,
        source.livemode,
        source._loaded_at,
        currencies.currency as currency_code,
        currencies.minor_unit_digits
    from source
    left outer join currencies
        on upper(trim(source.currency)) = currencies.currency

),

tagged as (

    select
        *,
        {{ raw_key(['id']) }} as raw_key,
        {{ row_to_json([
            'id',
            'payment_intent',
            'amount',
            'amount_captured',
            'amount_refunded',
            'currency',
            'status',
            'captured',
            'created',
            'failure_code',
            'metadata',
            'livemode',
            '_loaded_at'
        ]) }} as raw_row,
        {{ reject_reason(
            key_columns=['id'],
            timestamps={'created': 'created_at_utc'},
            minor_unit_columns=['amount', 'amount_captured', 'amount_refunded'],
            currency_column='currency',
            known_currency_column='currency_code'
        ) }} as reject_reason
    from parsed

)

{% endif %}

select * from tagged

{#
    Every landed row of stripe.refunds, none filtered or deduplicated: the raw columns, the parsed values
    staging needs and `reject_reason` (macro reject_reason). The only model that reads the source;
    stg_stripe__refunds keeps the usable rows, rejected_records the others.
#}
with

{% if var('stripe_source_format') == 'fivetran' %}

tagged as (

    {# the connector's rows, already in these columns (docs/connectors.md) #}
    select * from {{ ref('base_fivetran_stripe__refund') }}

)

{% else %}

source as (

    {{ landed_rows(source('stripe', 'refunds'), 'stripe', 'refunds') }}

),

currencies as (

    select * from {{ ref('currencies') }}

),

parsed as (

    select
        {{ landed_row_id('stripe', 'refunds', 'source') }} as landed_row_id,
        source.id,
        source.charge,
        source.amount,
        source.currency,
        source.status,
        source.reason,
        source.created,
        {{ epoch_to_timestamp('source.created') }} as created_at_utc,
        source._loaded_at,
        currencies.currency as currency_code,
        currencies.minor_unit_digits
    from source
    {{ known_currency_join('source.currency') }}

),

tagged as (

    {{ tagged_rows(
        raw_key_columns=['id'],
        raw_columns=[
            'id',
            'charge',
            'amount',
            'currency',
            'status',
            'reason',
            'created',
            '_loaded_at'
        ],
        reject_reason_sql=reject_reason(
            key_columns=['id'],
            timestamps={'created': 'created_at_utc'},
            minor_unit_columns=['amount'],
            currency_column='currency',
            known_currency_column='currency_code'
        )
    ) }}

)

{% endif %}

select * from tagged

{#
    What the storefront delivered, one row per source record and measure: columns in _shop__models.yml;
    what counts as a record and its day in docs/definitions.md "Landing measures".
#}
with

orders as (

    {{ reconciliation_records(
        ref('base_shop__orders'), ref('currencies'), 'shop', 'orders',
        key_sql='raw.order_id',
        date_sql=lenient_date('raw.created_at', 'raw._loaded_at'),
        amount_sql='raw.total_price',
        currency_sql='currency',
    ) }}

),

successful_captures as (

    {{ reconciliation_records(
        ref('base_shop__transactions'), ref('currencies'), 'shop', 'successful_captures',
        key_sql='raw.transaction_id',
        date_sql=lenient_date('raw.created_at', 'raw._loaded_at'),
        amount_sql='raw.amount',
        currency_sql='currency',
        where_sql="lower(trim(raw.kind)) in ('capture', 'sale') and lower(trim(raw.status)) = 'success'",
    ) }}

),

unioned as (

    select * from orders
    union all
    select * from successful_captures

),

records as (

    select
        {{ dbt.concat(["measure", "':'", "record_key"]) }} as source_record_id,
        source_system,
        measure,
        record_key,
        recon_date,
        currency,
        amount,
        is_rejected
    from unioned

)

select * from records

{#
    Every landed row of shop.product_prices, none filtered or deduplicated: the raw columns, the parsed values
    staging needs and `reject_reason` (macro reject_reason). The only model that reads the source;
    stg_shop__product_prices keeps the usable rows, rejected_records the others.
#}
with

{% if var('shop_source_format') == 'fivetran' %}

{#
    The connector keeps only each variant's current price; the snapshot snap_fivetran_shopify__product_variants
    keeps every price a build has seen (docs/connectors.md). A price is valid from the build that first saw it;
    the first one from the variant's creation. Prices are in var shopify_shop_currency.
#}
versions as (

    select
        sku,
        price,
        created_at,
        dbt_valid_from,
        dbt_scd_id,
        updated_at,
        row_number() over (partition by sku order by dbt_valid_from) as version
    from {{ ref('snap_fivetran_shopify__product_variants') }}

),

tagged as (

    select
        {{ dbt.concat(["'snapshot:'", "dbt_scd_id"]) }} as landed_row_id,
        sku,
        price,
        '{{ var("shopify_shop_currency") }}' as currency,
        {{ utc_iso_text('case when version = 1 then created_at else dbt_valid_from end') }} as valid_from,
        cast(dbt_valid_from as {{ dbt.type_timestamp() }}) as _loaded_at,
        case when version = 1 then created_at else dbt_valid_from end as valid_from_utc,
        '{{ var("shopify_shop_currency") }}' as currency_code,
        dbt_scd_id as raw_key,
        cast(null as {{ dbt.type_string() }}) as raw_row,
        cast(null as {{ dbt.type_string() }}) as reject_reason
    from versions

)

{% else %}

source as (

    {{ landed_rows(source('shop', 'product_prices'), 'shop', 'product_prices') }}

),

currencies as (

    select * from {{ ref('currencies') }}

),

parsed as (

    select
        {{ landed_row_id('shop', 'product_prices', 'source') }} as landed_row_id,
        source.sku,
        source.price,
        source.currency,
        source.valid_from,
        source._loaded_at,
        {{ to_utc_timestamp('source.valid_from') }} as valid_from_utc,
        currencies.currency as currency_code
    from source
    {{ known_currency_join('source.currency') }}

),

tagged as (

    {{ tagged_rows(
        raw_key_columns=['sku', 'currency', 'valid_from'],
        raw_columns=[
            'sku',
            'price',
            'currency',
            'valid_from',
            '_loaded_at'
        ],
        reject_reason_sql=reject_reason(
            key_columns=['sku', 'currency', 'valid_from'],
            timestamps={'valid_from': 'valid_from_utc'},
            amount_columns=['price'],
            currency_column='currency',
            known_currency_column='currency_code'
        )
    ) }}

)

{% endif %}

select * from tagged

{#
    Usable Stripe refunds, one row per refund_id: columns in _stripe__models.yml;
    usable rows and deduplication in docs/definitions.md "Rows".
-#}
with

base as (

    select * from {{ ref('base_stripe__refunds') }}
    where reject_reason is null

),

renamed as (

    select
        cast(id as {{ dbt.type_string() }}) as refund_id,
        cast(charge as {{ dbt.type_string() }}) as charge_id,
        {{ minor_to_major_units('amount', 'minor_unit_digits') }} as amount,
        currency_code as currency,
        lower(trim(status)) as status,
        cast(reason as {{ dbt.type_string() }}) as reason,
        created_at_utc as created_at,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at,
        landed_row_id
    from base

),

deduplicated as (

    select * from renamed
    qualify row_number() over (partition by refund_id order by loaded_at desc, landed_row_id desc) = 1

)

select * from deduplicated

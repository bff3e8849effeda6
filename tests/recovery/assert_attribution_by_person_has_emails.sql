{{ config(enabled=var('messaging_source_format', 'native') == 'fivetran') }}
{#
    Attribution by person (messaging_source_format fivetran, docs/connectors.md) ties a Klaviyo send to a cart
    through the cart's email. If no abandoned cart has one (the checkouts landed without emails), every recovery
    would be organic: fail the build instead of reporting a 0 % attributed share. Returns one row when so.
#}
with

abandoned as (

    select
        count(*) as abandoned_carts,
        count(activity.customer_key) as with_email
    from {{ ref('int_carts__abandonment') }} as abandonment
    inner join {{ ref('int_carts__activity') }} as activity on abandonment.cart_token = activity.cart_token
    where abandonment.is_abandoned

),

problem as (

    select * from abandoned
    where abandoned_carts > 0 and with_email = 0

)

select * from problem

{{ config(enabled=var('messaging_source_format', 'native') == 'fivetran') }}
{#
    Attribution by person (messaging_source_format fivetran, docs/connectors.md) ties a Klaviyo send to a cart
    through the cart's email. If no cart that reached checkout has one (e.g. the checkouts landed without
    emails), no cart could ever be abandoned-and-reached or attributed, and the marts would report a recovery
    rate of 0 % or none at all: fail the build instead. Returns one row when so.
#}
with

checkouts as (

    select
        count(*) as carts_at_checkout,
        count(customer_key) as with_email
    from {{ ref('int_carts__activity') }}
    where checkout_started_at is not null

),

problem as (

    select * from checkouts
    where carts_at_checkout > 0 and with_email = 0

)

select * from problem

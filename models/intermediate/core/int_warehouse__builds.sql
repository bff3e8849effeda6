{#
    Append-only build log, one row per build, read by int_carts__to_recompute: columns and purpose in
    _core__models.yml; incremental loads in docs/incremental.md.
#}
{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail') }}

with

as_of as (

    select as_of from {{ ref('int_warehouse__as_of') }}

),

loaded as (

    select max(loaded_at) as loaded_at from {{ ref('stg_shop__cart_events') }}
    union all
    select max(loaded_at) as loaded_at from {{ ref('stg_messaging__events') }}
    union all
    select max(loaded_at) as loaded_at from {{ ref('stg_shop__orders') }}
    union all
    select max(loaded_at) as loaded_at from {{ ref('stg_shop__transactions') }}
    union all
    select max(loaded_at) as loaded_at from {{ ref('stg_stripe__charges') }}
    union all
    select max(loaded_at) as loaded_at from {{ ref('stg_stripe__refunds') }}
    union all
    select max(loaded_at) as loaded_at from {{ ref('stg_reference__fx_rates') }}

),

loaded_through as (

    select max(loaded_at) as loaded_through from loaded

),

build as (

    select
        '{{ invocation_id }}' as invocation_id,
        {{ timestamp_literal(run_started_at) }} as build_started_at,
        as_of.as_of,
        loaded_through.loaded_through,
        '{{ dbt.escape_single_quotes(cart_definitions()) }}' as cart_definitions
    from as_of
    cross join loaded_through

)

select * from build

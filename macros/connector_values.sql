{#
    Reading connector tables (docs/connectors.md): times that may be typed or naive text (naive means UTC),
    and the ISO-8601 text the native base models carry for them.
#}

{# A connector time (TIMESTAMP, or text with or without an offset) as a UTC timestamp; null when unreadable. #}
{% macro connector_timestamp(column) -%}
    {{ return(adapter.dispatch('connector_timestamp', 'cart_recovery')(column)) }}
{%- endmacro %}

{# DuckDB: the session time zone is UTC (profiles.yml), so a naive value is read as UTC. #}
{% macro default__connector_timestamp(column) -%}
    timezone('UTC', try_cast(cast({{ column }} as {{ dbt.type_string() }}) as timestamptz))
{%- endmacro %}

{# Spark: the session time zone is UTC; try_cast reads text with or without an offset. #}
{% macro spark__connector_timestamp(column) -%}
    try_cast(cast({{ column }} as {{ dbt.type_string() }}) as timestamp)
{%- endmacro %}

{# A UTC timestamp as the native contract's ISO-8601 text, e.g. 2026-07-03T10:15:00.000000Z (null stays null). #}
{% macro utc_iso_text(column) -%}
    {{ return(adapter.dispatch('utc_iso_text', 'cart_recovery')(column)) }}
{%- endmacro %}

{% macro default__utc_iso_text(column) -%}
    strftime({{ column }}, '%Y-%m-%dT%H:%M:%S.%fZ')
{%- endmacro %}

{% macro spark__utc_iso_text(column) -%}
    date_format({{ column }}, "yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'")
{%- endmacro %}

{#
    Money landed as float, rounded to the currency's minor units (the `currencies` seed's digits; 2 when the
    currency is unknown), as a wide decimal: reject_reason's invalid_amount rule then judges its sign and size.
#}
{% macro connector_money(column, digits_column) -%}
    {#- each branch is cast on its own: a CASE over decimals of scale 0, 1 and 2 takes the first one's scale #}
    {%- set exact = 'cast(' ~ column ~ ' as decimal(38, 6))' %}
    case {{ digits_column }}
        when 0 then cast(round({{ exact }}, 0) as decimal(38, 2))
        when 1 then cast(round({{ exact }}, 1) as decimal(38, 2))
        else cast(round({{ exact }}, 2) as decimal(38, 2))
    end
{%- endmacro %}

{#
    Shopify's sales channels (order.source_name) in the native vocabulary: web; mobile_app for the apps (iphone,
    android); pos (pos, point_of_sale); draft (shopify_draft_order); other for anything else (app ids, `app`):
    an order from an unknown channel is still an order.
#}
{% macro shopify_source_name(column) -%}
    case lower(trim({{ column }}))
        when 'web' then 'web'
        when 'iphone' then 'mobile_app'
        when 'android' then 'mobile_app'
        when 'mobile_app' then 'mobile_app'
        when 'pos' then 'pos'
        when 'point_of_sale' then 'pos'
        when 'shopify_draft_order' then 'draft'
        when 'draft' then 'draft'
        else 'other'
    end
{%- endmacro %}

{# Shopify's order payment states (lower-cased); an order in any other state is rejected as unknown_status. #}
{% macro shopify_financial_statuses() -%}
    {{ return(['pending', 'authorized', 'partially_paid', 'paid', 'partially_refunded', 'refunded', 'voided', 'expired']) }}
{%- endmacro %}

{# Transaction kinds the warehouse reads; any other kind (e.g. change) is rejected as unknown_status. #}
{% macro shopify_transaction_kinds() -%}
    {{ return(['authorization', 'capture', 'sale', 'refund', 'void']) }}
{%- endmacro %}

{#
    Klaviyo metrics (event.type) the warehouse reads, as in stg_messaging__events' accepted values; an account's
    other metrics (Placed Order, Viewed Product, …) are rejected as unknown_status, so each is still counted.
#}
{% macro klaviyo_metrics() -%}
    {{ return(['Received Email', 'Opened Email', 'Clicked Email', 'Bounced Email', 'Received SMS', 'Clicked SMS',
               'Unsubscribed']) }}
{%- endmacro %}

{#
    The import CTE of a connector adapter model: every landed row of the connector table (only those landed by
    a pinned as_of), where it sits (landed_file_columns) and the row as landed, as JSON (`raw_row`). `relation` is
    the caller's `source('<connector>', table)`.
#}
{% macro connector_rows(relation, table, folder, raw_columns) -%}
    select
        *,
        {%- if target.type == 'duckdb' and env_var('CART_RECOVERY_SOURCE_DB', '') %}
        {#- a table of the attached database (CART_RECOVERY_SOURCE_DB): its row id names the row #}
        '(attached)' as landed_file_name,
        _attached_row_id as landed_file_row_number,
        {%- else %}
        {{ landed_file_columns(relation, folder, table) }},
        {%- endif %}
        {{ row_to_json(raw_columns) }} as raw_row
    from {{ relation }}
    where {{ landed_by_as_of('_fivetran_synced') }}
{%- endmacro %}

{# A UTC timestamp as whole Unix seconds (Stripe's `created` of the native contract). #}
{% macro timestamp_to_epoch(column) -%}
    {{ return(adapter.dispatch('timestamp_to_epoch', 'cart_recovery')(column)) }}
{%- endmacro %}

{% macro default__timestamp_to_epoch(column) -%}
    cast(epoch({{ column }}) as bigint)
{%- endmacro %}

{% macro spark__timestamp_to_epoch(column) -%}
    unix_timestamp({{ column }})
{%- endmacro %}

{#
    What the recovery marts count: `cart` (a cart token with an add to cart, the native storefront events) or
    `checkout` (a Shopify checkout, when the storefront is read from Fivetran's tables, which have no cart
    events; docs/connectors.md "Checkout grain").
#}
{% macro cart_grain() -%}
    {{ return('checkout' if var('shop_source_format') == 'fivetran' else 'cart') }}
{%- endmacro %}

{#
    The newest version of each connector row: `columns` (names or expressions) of the rows of `relation` (the
    caller's `source('<connector>', table)`) that pass `where`, one per value of the `key` columns, the one
    Fivetran synced last.
#}
{% macro latest_connector_rows(relation, key, columns, where=none) -%}
    select
        {{ columns | join(',\n        ') }}
    from {{ relation }}
    {%- if where %}
    where {{ where }}
    {%- endif %}
    qualify row_number() over (partition by {{ key | join(', ') }} order by _fivetran_synced desc) = 1
{%- endmacro %}

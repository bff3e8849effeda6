"""A small landing shaped like a real Fivetran connector's, written by hand (no generator involved).

Column names and types follow Fivetran's dbt packages (`get_*_columns` macros, fivetran/dbt_shopify REST,
dbt_stripe, dbt_klaviyo); ids and values are modelled on their integration-test seeds. It carries what real
connector data has and the generator never writes: upper-case and unknown status values, `point_of_sale` and
app-id channels, naive text timestamps, float money with binary noise, deleted rows, a column the warehouse does
not read, int32 ids, a JSON `metadata` with an extra key.

EXPECTED lists, per connector table, what a build must do with each row: stage it or reject it with a reason.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

SYNCED = "TIMESTAMP '2026-11-18 08:15:00'"

#: folder -> SQL select of the rows (DuckDB), written as one Parquet file per folder
TABLES: dict[str, str] = {
    "shopify/abandoned_checkout": f"""
        select * from (values
            (12111::bigint, 'f050eda12f111b261', 'aaaa211622dfb133', 'tnyrnbs@hh.com', 121::bigint,
             TIMESTAMP '2026-11-12 10:06:50.111111', TIMESTAMP '2026-11-12 10:51:10.111111', NULL::timestamp,
             'USD', 501.36::double, 'web', false, {SYNCED}, 'https://shop.example/recover/1'),
            (11111, 'a165dfd11226', '611faa630ce5e6bcc0bacc2a105c0126', 'HyreHher@Gmail.com ', 366525,
             TIMESTAMP '2026-11-11 01:01:30', TIMESTAMP '2026-11-11 01:06:35', TIMESTAMP '2026-11-11 01:20:00',
             'USD', 10.35, 'web', false, {SYNCED}, NULL),
            (66531, 'l1abddd111c0211f2021c', NULL, NULL, NULL,
             TIMESTAMP '2026-11-13 02:05:13', TIMESTAMP '2026-11-13 02:05:55', NULL,
             'USD', 111.0, 'web', false, {SYNCED}, NULL),
            (70001, 'deleted0001', 'cart-deleted', 'gone@example.com', NULL,
             TIMESTAMP '2026-11-10 09:00:00', TIMESTAMP '2026-11-10 09:05:00', NULL,
             'USD', 20.0, 'web', true, {SYNCED}, NULL)
        ) as t(id, token, cart_token, email, customer_id, created_at, updated_at, closed_at, currency,
               total_price, source_name, _fivetran_deleted, _fivetran_synced, abandoned_checkout_url)
    """,
    # naive text timestamps (UTC), upper-case and new status values, the app-id and POS channels
    "shopify/order": f"""
        select * from (values
            (2674098602081::bigint, NULL, NULL, 'a@example.com', 3589760876641::bigint,
             '2026-11-11 19:35:42.000', '2026-11-11 19:35:42.000', NULL, 'PAID', 2.8::double, 'GBP', 'app',
             false, false, {SYNCED}),
            (2669509541985, '611faa630ce5e6bcc0bacc2a105c0126', 'a165dfd11226', 'hyrehher@gmail.com', 366525,
             '2026-11-11 01:20:00.000', '2026-11-11 01:20:00.000', NULL, 'partially_paid', 10.35, 'USD', 'web',
             false, false, {SYNCED}),
            (1000001, 'cart1001', 'checkout1001', 'b@example.com', 10001, '2026-11-14 08:00:00.000',
             '2026-11-14 08:00:00.000', NULL, 'paid', 100.01000000000001, 'USD', 'point_of_sale', false, false,
             {SYNCED}),
            (1000002, 'cart1002', 'checkout1002', 'c@example.com', 10002, '2026-11-14 09:00:00.000',
             '2026-11-14 09:00:00.000', NULL, 'paid', 42.0, 'USD', 'web', false, true, {SYNCED}),
            (1000003, 'cart1003', 'checkout1003', 'd@example.com', 10003, 'yesterday', 'yesterday', NULL,
             'paid', 5.0, 'USD', 'web', false, false, {SYNCED}),
            (1000004, 'cart1004', 'checkout1004', 'e@example.com', 10004, '2026-11-15 09:00:00.000',
             '2026-11-15 09:00:00.000', NULL, 'mystery_status', 7.5, 'USD', 'web', false, false, {SYNCED})
        ) as t(id, cart_token, checkout_token, email, customer_id, created_at, updated_at, cancelled_at,
               financial_status, total_price, currency, source_name, test, _fivetran_deleted, _fivetran_synced)
    """,
    "shopify/order_line": f"""
        select * from (values
            (5699743678561::bigint, 2669509541985::bigint, 0::bigint, 'ITEM15', 1::bigint, 10.35::double,
             {SYNCED}),
            (5699758784609, 2674098602081, 0, 'ITEM24', 1, 2.8, {SYNCED}),
            (5699758784610, 1000001, 0, 'ITEM24', 2, 50.005, {SYNCED}),
            (5699758784611, NULL, 1, 'ITEM24', 1, 1.0, {SYNCED})
        ) as t(id, order_id, index, sku, quantity, price, _fivetran_synced)
    """,
    # int32 ids and a numeric amount, as a DuckDB destination may type them
    "shopify/transaction": f"""
        select * from (values
            (26674175::integer, 2669509541985::bigint, 'sale', 'SUCCESS', 10.35::decimal(28, 6), 'USD',
             'stripe', 'ch_0IMDAfig6peNXzgDJYQKfT3B', TIMESTAMP '2026-11-11 01:20:05', false, {SYNCED}),
            (25722108, 2674098602081, 'sale', 'success', 2.8, 'GBP', 'gateway_here', 'abcd888888',
             TIMESTAMP '2026-11-11 19:35:45', false, {SYNCED}),
            (26643256, 1000001, 'emv_authorization', 'success', 100.01, 'USD', 'shopify_payments', NULL,
             TIMESTAMP '2026-11-14 08:00:05', false, {SYNCED})
        ) as t(id, order_id, kind, status, amount, currency, gateway, "authorization", created_at, test,
               _fivetran_synced)
    """,
    "shopify/fulfillment": f"""
        select * from (values
            (423844::bigint, 2669509541985::bigint, 'success', TIMESTAMP '2026-11-12 01:17:22', {SYNCED}),
            (8308, 1000001, 'open', TIMESTAMP '2026-11-14 10:00:00', {SYNCED})
        ) as t(id, order_id, status, created_at, _fivetran_synced)
    """,
    "shopify/product_variant": f"""
        select * from (values
            (41929063825444::bigint, 'ITEM15', 169.95::double, TIMESTAMP '2026-11-06 08:35:02',
             TIMESTAMP '2026-11-06 08:35:02', {SYNCED}),
            (41928969551908, 'ITEM24', 109.99, TIMESTAMP '2026-11-06 07:37:04', TIMESTAMP '2026-11-06 07:37:04',
             {SYNCED})
        ) as t(id, sku, price, created_at, updated_at, _fivetran_synced)
    """,
    "shopify/inventory_item": f"""
        select * from (values
            (43985397579812::bigint, 'ITEM15', false, {SYNCED}),
            (43985397448740, 'ITEM24', false, {SYNCED})
        ) as t(id, sku, _fivetran_deleted, _fivetran_synced)
    """,
    "shopify/inventory_level": f"""
        select * from (values
            (18495311::bigint, 43985397579812::bigint, 8777748::bigint, {SYNCED}),
            (18495312, 43985397448740, 8777748, {SYNCED})
        ) as t(id, inventory_item_id, location_id, _fivetran_synced)
    """,
    "shopify/inventory_quantity": f"""
        select * from (values
            (18495311::bigint, 'available', 4::bigint, TIMESTAMP '2026-11-18 08:00:00', {SYNCED}),
            (18495311, 'reserved', 2, TIMESTAMP '2026-11-18 08:00:00', {SYNCED}),
            (18495312, 'available', 0, TIMESTAMP '2026-11-18 08:00:00', {SYNCED})
        ) as t(inventory_level_id, name, quantity, updated_at, _fivetran_synced)
    """,
    "stripe/charge": f"""
        select * from (values
            ('ch_0IMDAfig6peNXzgDJYQKfT3B', 'pi_0IMDAfig6peNXzgDnE8UotlM', 1035::bigint, 0::bigint, 'usd',
             'succeeded', true, TIMESTAMP '2026-11-11 01:20:04', NULL,
             '{{"order_id": "2669509541985", "external_id": "80755622-45b3-40a6-9544-25af39e0e50c"}}', true,
             {SYNCED}),
            ('ch_0IMDAVig6peNXzgDHlr1zyyW', 'pi_0IMDAVig6peNXzgDJXuKVLtD', 2040000, 0, 'usd', 'failed', false,
             TIMESTAMP '2026-11-12 14:07:47', 'card_declined', '{{"external_id": "x"}}', true, {SYNCED}),
            ('ch_negative', NULL, -5, 0, 'usd', 'succeeded', true, TIMESTAMP '2026-11-12 15:00:00', NULL, NULL, true,
             {SYNCED})
        ) as t(id, payment_intent_id, amount, amount_refunded, currency, status, captured, created, failure_code,
               metadata, livemode, _fivetran_synced)
    """,
    "stripe/refund": f"""
        select * from (values
            ('re_0INhCiig6peNXzgDWw7VVan8', 'ch_0IMDAfig6peNXzgDJYQKfT3B', 135::bigint, 'usd', 'succeeded',
             'requested_by_customer', TIMESTAMP '2026-11-13 16:24:12', {SYNCED})
        ) as t(id, charge_id, amount, currency, status, reason, created, _fivetran_synced)
    """,
    "klaviyo/event": f"""
        select * from (values
            ('3gBNHPGp', 'MCX88q', 'S6uajk', 'fm1', NULL, 'Received Email', TIMESTAMP '2026-11-11 02:30:00',
             TIMESTAMP '2026-11-11 02:30:00', false, {SYNCED}),
            ('3gBNHPJn', 'MCX88q', 'S6uajk', 'fm1', NULL, 'Clicked Email', TIMESTAMP '2026-11-11 02:40:00',
             TIMESTAMP '2026-11-11 02:40:00', false, {SYNCED}),
            ('event123', 'LRqEsZ', NULL, NULL, 'WViD3c', 'Received Email', TIMESTAMP '2026-11-12 20:02:45',
             TIMESTAMP '2026-11-12 20:02:45', false, {SYNCED}),
            ('event124', 'LRqEsZ', NULL, NULL, NULL, 'Placed Order', TIMESTAMP '2026-11-12 21:00:00',
             TIMESTAMP '2026-11-12 21:00:00', true, {SYNCED}),
            ('event125', 'LRqEsZ', NULL, NULL, NULL, 'Viewed Product', TIMESTAMP '2026-11-12 20:30:00',
             TIMESTAMP '2026-11-12 20:30:00', false, {SYNCED})
        ) as t(id, person_id, flow_id, flow_message_id, campaign_id, type, "timestamp", datetime,
               _fivetran_deleted, _fivetran_synced)
    """,
    "klaviyo/person": f"""
        select * from (values
            ('MCX88q', 'hyrehher@gmail.com', false, {SYNCED}),
            ('LRqEsZ', 'mrgoogle@gmail.com', false, {SYNCED})
        ) as t(id, email, _fivetran_deleted, _fivetran_synced)
    """,
    "klaviyo/flow": f"""
        select * from (values ('S6uajk', 'Abandoned Cart - NEW VERSION', {SYNCED})) as t(id, name, _fivetran_synced)
    """,
    "klaviyo/campaign": f"""
        select * from (values ('WViD3c', 'camp', {SYNCED})) as t(id, name, _fivetran_synced)
    """,
}

#: connector table -> {key: None (staged) or the reject reason}, written from the rows above by hand
EXPECTED: dict[str, dict[str, str | None]] = {
    "fivetran_shopify.order": {
        "2674098602081": None,
        "2669509541985": None,
        "1000001": None,
        "1000002": "deleted_in_source",
        "1000003": "invalid_timestamp",
        "1000004": "unknown_status",
    },
    "fivetran_shopify.transaction": {"26674175": None, "25722108": None, "26643256": "unknown_status"},
    "fivetran_stripe.charge": {
        "ch_0IMDAfig6peNXzgDJYQKfT3B": None,
        "ch_0IMDAVig6peNXzgDHlr1zyyW": None,
        "ch_negative": "invalid_amount",
    },
    "fivetran_klaviyo.event": {
        "3gBNHPGp": None,
        "3gBNHPJn": None,
        "event123": None,
        "event124": "deleted_in_source",
        "event125": "unknown_status",
    },
}


def write_landing(raw_dir: Path, *, emails: bool = True) -> None:
    """Write every table as one Parquet file under raw_dir/<schema>/<table>/; without `emails`, the checkouts
    carry none (the buyer never reached contact information in Shopify's data)."""
    connection = duckdb.connect()
    for folder, select in TABLES.items():
        target = raw_dir / folder
        target.mkdir(parents=True, exist_ok=True)
        if folder == "shopify/abandoned_checkout" and not emails:
            select = f"select * replace (NULL::varchar as email) from ({select})"
        connection.execute(f"copy ({select}) to '{target / 'part-0.parquet'}' (format parquet)")
    connection.close()


def write_database(path: Path) -> None:
    """The same tables in a DuckDB file, one schema per connector (what a Fivetran DuckDB destination holds)."""
    connection = duckdb.connect(str(path))
    for folder, select in TABLES.items():
        schema, table = folder.split("/")
        connection.execute(f"create schema if not exists {schema}")
        connection.execute(f'create table {schema}."{table}" as {select}')
    connection.close()

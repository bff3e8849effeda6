"""Staging models against the landed Parquet files: casts, normalisation and deduplication (SPEC §3)."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest
from conftest import Warehouse

STAGING_KEYS = {
    "stg_shop__cart_events": "event_id",
    "stg_shop__orders": "order_id",
    "stg_shop__order_lines": "order_line_id",
    "stg_shop__transactions": "transaction_id",
    "stg_shop__fulfillments": "fulfillment_id",
    "stg_shop__inventory_movements": "movement_id",
    "stg_shop__product_prices": "product_price_id",
    "stg_stripe__charges": "charge_id",
    "stg_stripe__refunds": "refund_id",
    "stg_messaging__events": "event_id",
    "stg_reference__fx_rates": "fx_rate_id",
}


@pytest.fixture(scope="module")
def con(warehouse: Warehouse) -> Iterator[duckdb.DuckDBPyConnection]:
    """In-memory session with the published warehouse attached read-only and the landing files readable."""
    connection = duckdb.connect()
    connection.execute("set TimeZone = 'UTC'")
    connection.execute(f"attach '{warehouse.published_path}' as wh (read_only)")
    yield connection
    connection.close()


def raw(warehouse: Warehouse, table: str) -> str:
    return f"read_parquet('{warehouse.raw_dir}/{table}/*.parquet', union_by_name = true)"


def one(con: duckdb.DuckDBPyConnection, sql: str) -> tuple:
    return con.execute(sql).fetchall()[0]


@pytest.mark.parametrize(("model", "key"), STAGING_KEYS.items())
def test_one_row_per_key(con: duckdb.DuckDBPyConnection, model: str, key: str) -> None:
    rows, keys = one(con, f"select count(*), count(distinct {key}) from wh.{model}")
    assert rows == keys


def test_redelivered_rows_are_counted_once(con: duckdb.DuckDBPyConnection, warehouse: Warehouse) -> None:
    landed, distinct = one(
        con,
        f"select count(*), count(distinct event_id) from {raw(warehouse, 'messaging/events')} "
        "where event_id is not null",
    )
    assert landed > distinct, "the generator redelivers some rows"
    assert one(con, "select count(*) from wh.stg_messaging__events") == (distinct,)


def test_orders_keep_the_newest_update(con: duckdb.DuckDBPyConnection, warehouse: Warehouse) -> None:
    mismatches = one(
        con,
        f"""
        with newest as (
            select order_id, max(try_cast(updated_at as timestamptz)) as updated_at
            from {raw(warehouse, "shop/orders")}
            where order_id is not null
            group by order_id
        )
        select count(*)
        from wh.stg_shop__orders as orders
        inner join newest on orders.order_id = newest.order_id
        where orders.updated_at is distinct from timezone('UTC', newest.updated_at)
        """,
    )
    assert mismatches == (0,)


def test_minor_units_follow_the_currency(con: duckdb.DuckDBPyConnection, warehouse: Warehouse) -> None:
    rows = con.execute(
        f"""
        with landed as (
            select id, amount, upper(currency) as currency
            from {raw(warehouse, "stripe/charges")}
            where id is not null
            qualify row_number() over (partition by id order by _loaded_at desc) = 1
        )
        select landed.currency, count(*),
            count(*) filter (
                where charges.amount = landed.amount / case landed.currency when 'JPY' then 1 else 100 end
            )
        from wh.stg_stripe__charges as charges
        inner join landed on charges.charge_id = landed.id
        where landed.currency in ('USD', 'EUR', 'GBP', 'JPY')
        group by 1
        """
    ).fetchall()
    assert {currency for currency, _, _ in rows} == {"USD", "EUR", "GBP", "JPY"}
    assert all(total == matching for _, total, matching in rows), rows


def test_unknown_currency_gives_no_amount(con: duckdb.DuckDBPyConnection) -> None:
    assert one(
        con,
        "select count(*) from wh.stg_stripe__charges "
        "where currency not in ('USD', 'EUR', 'GBP', 'JPY') and amount is not null",
    ) == (0,)


def test_timestamps_need_an_offset_and_become_utc(con: duckdb.DuckDBPyConnection, warehouse: Warehouse) -> None:
    landed = {
        event_id: occurred_at
        for event_id, occurred_at in con.execute(
            f"select event_id, occurred_at from {raw(warehouse, 'shop/cart_events')} where event_id is not null"
        ).fetchall()
    }
    staged = dict(con.execute("select event_id, occurred_at from wh.stg_shop__cart_events").fetchall())
    with_offset = [e for e, text in landed.items() if text and (text.endswith("Z") or text[-6] in "+-")]
    assert len({landed[e][-6:] for e in with_offset}) >= 3, "offsets vary in the landing data"
    for event_id in with_offset[:200]:
        expected = one(con, f"select timezone('UTC', try_cast('{landed[event_id]}' as timestamptz))")[0]
        assert staged[event_id] == expected
    assert any(staged[e] is None for e in landed if e not in with_offset), "text without an offset is not read"


def test_customer_key_is_the_hash_of_the_normalised_email(con: duckdb.DuckDBPyConnection, warehouse: Warehouse) -> None:
    mismatches, checked = one(
        con,
        f"""
        with landed as (
            select event_id, email
            from {raw(warehouse, "shop/cart_events")}
            where event_id is not null and nullif(trim(email), '') is not null
            qualify row_number() over (partition by event_id order by _loaded_at desc) = 1
        )
        select count(*) filter (where events.customer_key is distinct from md5(lower(trim(landed.email)))), count(*)
        from wh.stg_shop__cart_events as events
        inner join landed on events.event_id = landed.event_id
        """,
    )
    assert checked > 0
    assert mismatches == 0

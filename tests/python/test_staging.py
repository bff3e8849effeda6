"""Staging models against the landed Parquet files: casts, normalisation, deduplication and rejected rows
(docs/definitions.md "Rows"). Every landed row is staged, a removed duplicate, or in rejected_records, exactly as the
generator's manifest says, on two differently seeded builds."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from conftest import Warehouse

# raw table (manifest name) -> staging model
STAGING_MODELS = {
    "shop.cart_events": "stg_shop__cart_events",
    "shop.orders": "stg_shop__orders",
    "shop.order_lines": "stg_shop__order_lines",
    "shop.transactions": "stg_shop__transactions",
    "shop.fulfillments": "stg_shop__fulfillments",
    "shop.inventory_movements": "stg_shop__inventory_movements",
    "shop.product_prices": "stg_shop__product_prices",
    "stripe.charges": "stg_stripe__charges",
    "stripe.refunds": "stg_stripe__refunds",
    "messaging.events": "stg_messaging__events",
    "reference.fx_rates": "stg_reference__fx_rates",
}

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
    connection = warehouse.attached()
    yield connection
    connection.close()


def raw(warehouse: Warehouse, table: str) -> str:
    return f"read_parquet('{warehouse.raw_dir}/{table}/*.parquet', union_by_name = true)"


def one(con: duckdb.DuckDBPyConnection, sql: str) -> tuple:
    return con.execute(sql).fetchall()[0]


@pytest.mark.parametrize(("model", "key"), STAGING_KEYS.items())
def test_one_row_per_key(con: duckdb.DuckDBPyConnection, model: str, key: str) -> None:
    rows, keys = one(con, f"select count(*), count(distinct {key}) from wh.staging.{model}")
    assert rows == keys


def test_redelivered_rows_are_counted_once(con: duckdb.DuckDBPyConnection, warehouse: Warehouse) -> None:
    landed, distinct = one(
        con,
        f"select count(*), count(distinct event_id) from {raw(warehouse, 'messaging/events')} "
        "where event_id in (select event_id from wh.staging.stg_messaging__events)",
    )
    assert landed > distinct, "the generator redelivers some rows"
    assert one(con, "select count(*) from wh.staging.stg_messaging__events") == (distinct,)


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
        from wh.staging.stg_shop__orders as orders
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
        from wh.staging.stg_stripe__charges as charges
        inner join landed on charges.charge_id = landed.id
        where landed.currency in ('USD', 'EUR', 'GBP', 'JPY')
        group by 1
        """
    ).fetchall()
    assert {currency for currency, _, _ in rows} == {"USD", "EUR", "GBP", "JPY"}
    assert all(total == matching for _, total, matching in rows), rows


def test_unknown_currencies_are_rejected_not_staged(con: duckdb.DuckDBPyConnection) -> None:
    known = "(select currency from wh.reference.currencies)"
    for model in ("stg_stripe__charges", "stg_stripe__refunds", "stg_shop__orders", "stg_shop__cart_events"):
        assert one(con, f"select count(*) from wh.staging.{model} where currency not in {known}") == (0,)
    rejected = one(
        con,
        "select count(*) from wh.rejected_records "
        "where source_table = 'stripe.charges' and reason = 'unknown_currency'",
    )
    assert rejected[0] > 0


def test_timestamps_need_an_offset_and_become_utc(con: duckdb.DuckDBPyConnection, warehouse: Warehouse) -> None:
    landed = {
        event_id: occurred_at
        for event_id, occurred_at in con.execute(
            f"select event_id, occurred_at from {raw(warehouse, 'shop/cart_events')} where event_id is not null"
        ).fetchall()
    }
    staged = dict(con.execute("select event_id, occurred_at from wh.staging.stg_shop__cart_events").fetchall())
    with_offset = [e for e in staged if landed[e].endswith("Z") or landed[e][-6] in "+-"]
    assert len(with_offset) == len(staged), "only text with an offset is staged"
    assert len({landed[e][-6:] for e in with_offset}) >= 3, "offsets vary in the landing data"
    for event_id in with_offset[:200]:
        expected = one(con, f"select timezone('UTC', try_cast('{landed[event_id]}' as timestamptz))")[0]
        assert staged[event_id] == expected
    without_offset = [e for e, text in landed.items() if not text or not (text.endswith("Z") or text[-6] in "+-")]
    assert without_offset, "the generator lands timestamps without an offset"
    rejected = {
        row[0]
        for row in con.execute(
            "select raw_key from wh.rejected_records "
            "where source_table = 'shop.cart_events' and reason = 'invalid_timestamp'"
        ).fetchall()
    }
    assert set(without_offset) <= rejected, "text without an offset is rejected, not read in some time zone"


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
        from wh.staging.stg_shop__cart_events as events
        inner join landed on events.event_id = landed.event_id
        """,
    )
    assert checked > 0
    assert mismatches == 0


# --------------------------------------------------------------------------------------------------------------
# Every landed row accounted for (rejected_records), on both seeded builds (conftest.seeded_warehouse).
# --------------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def seeded(seeded_warehouse: Warehouse) -> Iterator[tuple[Warehouse, dict, duckdb.DuckDBPyConnection]]:
    """(warehouse, manifest tables, connection with the published file attached as `wh`) for each seed."""
    manifest = json.loads((seeded_warehouse.raw_dir / "manifest.json").read_text())["tables"]
    connection = seeded_warehouse.attached()
    yield seeded_warehouse, manifest, connection
    connection.close()


def test_rejected_records_match_the_manifest(seeded: tuple[Warehouse, dict, duckdb.DuckDBPyConnection]) -> None:
    _, manifest, con = seeded
    expected = {(table, reason): n for table, stats in manifest.items() for reason, n in stats["rejected"].items()}
    found = {
        (table, reason): n
        for table, reason, n in con.execute(
            "select source_table, reason, count(*) from wh.rejected_records group by all"
        ).fetchall()
    }
    assert found == expected
    assert {reason for _, reason in found} == {"null_key", "invalid_timestamp", "unknown_currency", "negative_quantity"}


def test_staged_rows_are_the_distinct_usable_keys(seeded: tuple[Warehouse, dict, duckdb.DuckDBPyConnection]) -> None:
    _, manifest, con = seeded
    staged = {table: one(con, f"select count(*) from wh.staging.{STAGING_MODELS[table]}")[0] for table in manifest}
    assert staged == {table: stats["distinct_keys"] for table, stats in manifest.items()}


def test_landed_rows_are_staged_duplicates_or_rejected(
    seeded: tuple[Warehouse, dict, duckdb.DuckDBPyConnection],
) -> None:
    """landed (counted on the files) - rejected - staged = the duplicates the manifest says were removed."""
    built, manifest, con = seeded
    duplicates = {}
    for table in manifest:
        landed = one(con, f"select count(*) from {raw(built, table.replace('.', '/'))}")[0]
        rejected = one(con, f"select count(*) from wh.rejected_records where source_table = '{table}'")[0]
        staged = one(con, f"select count(*) from wh.staging.{STAGING_MODELS[table]}")[0]
        duplicates[table] = landed - rejected - staged
    assert duplicates == {table: stats["duplicates_removed"] for table, stats in manifest.items()}
    assert any(duplicates.values())


def test_rejected_records_keep_the_raw_row(seeded: tuple[Warehouse, dict, duckdb.DuckDBPyConnection]) -> None:
    _, _, con = seeded
    invalid_json, empty_keys, ids, rows = one(
        con,
        """
        select
            count(*) filter (where not json_valid(raw_row)),
            count(*) filter (where reason <> 'null_key' and (raw_key = '' or raw_key like '%|' or raw_key like '|%')),
            count(distinct rejected_record_id),
            count(*)
        from wh.rejected_records
        """,
    )
    assert (invalid_json, empty_keys) == (0, 0)
    assert ids == rows
    # an order line's raw_key is "<order_id>|<line_number>", both taken from its raw row
    mismatches = one(
        con,
        """
        select count(*) from wh.rejected_records
        where source_table = 'shop.order_lines' and reason <> 'null_key'
          and raw_key <> json_extract_string(raw_row, '$.order_id') || '|'
              || json_extract_string(raw_row, '$.line_number')
        """,
    )
    assert mismatches == (0,)


def test_no_email_anywhere_in_the_warehouse(seeded: tuple[Warehouse, dict, duckdb.DuckDBPyConnection]) -> None:
    """No table or view has an email column, and no rejected raw row carries an email address."""
    _, _, con = seeded
    columns = con.execute(
        "select table_name, column_name from information_schema.columns "
        "where table_catalog = 'wh' and column_name ilike '%email%'"
    ).fetchall()
    assert columns == []
    assert one(con, "select count(*) from wh.rejected_records where raw_row like '%@%'") == (0,)


def test_each_source_is_read_by_its_base_model_only(warehouse: Warehouse) -> None:
    """Stands in for dbt-bouncer's same-directory check: source <system>.<table> is read by exactly
    base_<system>__<table> in models/staging/<system>/base/, and nothing else reads a source."""
    nodes = warehouse.manifest()["nodes"]
    readers: dict[str, list[tuple[str, str]]] = {}
    for node in nodes.values():
        if node["resource_type"] != "model":
            continue
        for parent in node["depends_on"]["nodes"]:
            if parent.startswith("source."):
                readers.setdefault(parent, []).append((node["name"], node["original_file_path"]))
    # the landed tables plus the owners' actions (source workflow.exception_actions, docs/workflow.md)
    assert len(readers) == len(STAGING_MODELS) + 1
    for source_id, models in readers.items():
        system, table = source_id.split(".")[-2:]
        name = f"base_{system}__{table}"
        assert models == [(name, str(Path("models/staging") / system / "base" / f"{name}.sql"))], source_id

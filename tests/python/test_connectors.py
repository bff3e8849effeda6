"""Fivetran's Shopify, Stripe and Klaviyo tables as inputs (docs/connectors.md).

Ground truth: one generated world landed in both formats (the generator knows both, and restates its truth at
checkout grain in manifest/checkout_outcomes.parquet and manifest/exceptions.parquet), and a landing written by
hand from the connector packages' documented columns and sample values (tests/python/fivetran_fixture.py).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import streamlit as st
from conftest import REPO_ROOT, Warehouse, make_env
from fivetran_fixture import EXPECTED, write_database, write_landing
from streamlit.testing.v1 import AppTest

from cart_recovery.generate import generate

pytestmark = pytest.mark.connectors

CARTS = 1500
SEED = 11
AS_OF = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
FIVETRAN = "{shop_source_format: fivetran, stripe_source_format: fivetran, messaging_source_format: fivetran}"
#: exception types about orders and payments: the same instances whichever format the shop was read in
ORDER_AND_PAYMENT_TYPES = (
    "amount_mismatch",
    "charge_without_order",
    "duplicate_capture",
    "fulfillment_delayed",
    "order_unpaid",
    "processor_mismatch",
    "recovered_payment_failed",
    "refund_exceeds_capture",
)
#: format -> the round trip's published warehouse
PUBLISHED: dict[str, Path] = {}
DASHBOARD_PAGES = ["views/overview.py", "views/recovery_funnel.py", "views/exceptions.py", "views/reconciliation.py",
                   "views/data_health.py"]  # fmt: skip


def _built(root: Path, raw: Path, *args: str) -> Warehouse:
    warehouse = Warehouse(root=root, env=make_env(root, raw))
    result = warehouse.build(*args)
    assert result.returncode == 0, f"build failed:\n{result.stdout[-5000:]}\n{result.stderr[-5000:]}"
    return warehouse


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    """One world in both formats, each built: `n` (native) and `f` (Fivetran) attached, `truth` and
    `checkout_truth` the checkout-grain manifest, `native_truth` the cart-grain one."""
    root = tmp_path_factory.mktemp("round_trip")
    built = {}
    for fmt in ("native", "fivetran"):
        raw = root / f"raw_{fmt}"
        generate(raw, carts=CARTS, seed=SEED, as_of=AS_OF, format=fmt, neutral_rejects=True)
        built[fmt] = _built(root / f"wh_{fmt}", raw, *(["--vars", FIVETRAN] if fmt == "fivetran" else []))
    PUBLISHED.update({fmt: warehouse.published_path for fmt, warehouse in built.items()})
    connection = duckdb.connect()
    connection.execute("set TimeZone = 'UTC'")
    connection.execute(f"attach '{built['native'].published_path}' as n (read_only)")
    connection.execute(f"attach '{built['fivetran'].published_path}' as f (read_only)")
    manifest = built["fivetran"].raw_dir / "manifest"
    connection.execute(f"create view truth as select * from read_parquet('{manifest / 'exceptions.parquet'}')")
    connection.execute(
        f"create view checkout_truth as select * from read_parquet('{manifest / 'checkout_outcomes.parquet'}')"
    )
    yield connection
    connection.close()


def _differences(con: duckdb.DuckDBPyConnection, table: str, where: str = "true", exclude: str = "") -> tuple:
    columns = f"* exclude ({exclude})" if exclude else "*"
    both = [
        f"select count(*) from (select {columns} from {a}.{table} where {where} "
        f"except all select {columns} from {b}.{table} where {where})"
        for a, b in (("n", "f"), ("f", "n"))
    ]
    rows = con.execute(f"select count(*) from n.{table} where {where}").fetchall()[0][0]
    return rows, *(con.execute(query).fetchall()[0][0] for query in both)


@pytest.mark.parametrize("table", ["fct_orders", "fct_payments", "rpt_source_reconciliation"])
def test_order_payment_and_reconciliation_marts_equal_the_native_build(round_trip, table: str) -> None:
    rows, only_native, only_fivetran = _differences(round_trip, table)
    assert rows > 100
    assert (only_native, only_fivetran) == (0, 0)


def test_order_and_payment_exceptions_equal_the_native_build(round_trip) -> None:
    types = "exception_type in ('" + "', '".join(ORDER_AND_PAYMENT_TYPES) + "')"
    rows, only_native, only_fivetran = _differences(round_trip, "fct_workflow_exceptions", types)
    assert rows > 20
    assert (only_native, only_fivetran) == (0, 0)
    # oversell: the same sales drive the same SKUs negative; only the movement ids are the connector's own
    rows, only_native, only_fivetran = _differences(
        round_trip, "fct_workflow_exceptions", "exception_type = 'oversell'", exclude="exception_id, entity_id"
    )
    assert rows > 0
    assert (only_native, only_fivetran) == (0, 0)


def test_reconciliation_from_connector_tables_explains_every_difference(round_trip) -> None:
    unexplained = round_trip.execute(
        "select count(*), count(*) filter (where unexplained_difference <> 0) from f.rpt_source_reconciliation"
    ).fetchall()[0]
    assert unexplained[0] > 100 and unexplained[1] == 0


def test_every_checkout_has_its_true_outcome_channel_and_order(round_trip) -> None:
    counts = round_trip.execute(
        """
        select
            count(*) filter (where w.cart_token is null or t.cart_token is null),
            count(*) filter (where t.outcome is distinct from w.cart_outcome),
            count(*) filter (where t.channel is distinct from w.attributed_channel),
            count(*) filter (where t.recovered_order_id is distinct from w.recovered_order_id),
            count(*) filter (where t.abandoned_at is distinct from w.abandoned_at),
            count(*) filter (where round(t.cart_value_usd, 2) <> w.cart_value),
            count(*) filter (where w.cart_grain <> 'checkout'),
            count(*) filter (where t.outcome = 'recovered_attributed'),
            count(*) filter (where t.outcome = 'recovered_organic')
        from checkout_truth as t
        full outer join f.fct_cart_recovery as w using (cart_token)
        """
    ).fetchall()[0]
    assert counts[:7] == (0,) * 7
    assert counts[7] > 20 and counts[8] > 20


def test_recovered_revenue_of_each_checkout_is_its_orders_revenue(round_trip) -> None:
    """A recovered checkout's revenue is its true recovering order's Stripe net paid in USD, as the native build
    states it for that order (fct_orders, equal in both builds; test_recovery checks it against the payments)."""
    rows = round_trip.execute(
        """
        select
            count(*),
            count(*) filter (
                where f.recovered_revenue is distinct from
                    coalesce(o.captured_amount_reporting, 0) - coalesce(o.refunded_amount_reporting, 0)
            )
        from checkout_truth as t
        inner join f.fct_cart_recovery as f using (cart_token)
        inner join n.fct_orders as o on t.recovered_order_id = o.order_id
        """
    ).fetchall()[0]
    recovered = round_trip.execute("select count(*) from checkout_truth where recovered_order_id is not null")
    assert rows[0] == recovered.fetchall()[0][0] > 40
    assert rows[1] == 0


def test_cart_based_exceptions_match_the_checkout_grain_truth(round_trip) -> None:
    mismatches = round_trip.execute(
        """
        select t.exception_type, t.entity_id, t.status, w.exception_type, w.entity_id, w.status
        from truth as t
        full outer join f.fct_workflow_exceptions as w
            on t.exception_type = w.exception_type and t.entity_id = w.entity_id
        where t.entity_id is null or w.entity_id is null
           or t.status <> w.status
           or t.clock_start_at <> w.detected_at
           or t.due_at <> w.due_at
           or t.resolved_at is distinct from w.resolved_at
        limit 20
        """
    ).fetchall()
    assert mismatches == []
    stalled = round_trip.execute("select count(*) from truth where exception_type = 'recovery_stalled'")
    assert stalled.fetchall()[0][0] > 5


def test_checkout_grain_is_said_and_unavailable_stages_are_null(round_trip) -> None:
    recovery = round_trip.execute(
        "select count(*) filter (where cart_grain <> 'checkout'), count(*) filter (where first_added_at is not "
        "null) from f.fct_cart_recovery"
    ).fetchall()[0]
    assert recovery == (0, 0)
    funnel = round_trip.execute(
        "select count(*), count(*) filter (where cart_grain <> 'checkout' or carts is not null) "
        "from f.fct_recovery_funnel_daily"
    ).fetchall()[0]
    assert funnel[0] > 0 and funnel[1] == 0
    native = round_trip.execute("select distinct cart_grain from n.fct_recovery_funnel_daily").fetchall()
    assert native == [("cart",)]


@pytest.fixture(scope="module")
def hand_written(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    """The hand-written tables in an attached DuckDB database (CART_RECOVERY_SOURCE_DB), as a Fivetran DuckDB
    destination gives them; the Parquet layout of the same tables is read by the no-email test."""
    root = tmp_path_factory.mktemp("hand_written")
    write_database(root / "fivetran.duckdb")
    warehouse = Warehouse(
        root=root, env={**make_env(root, root / "raw"), "CART_RECOVERY_SOURCE_DB": str(root / "fivetran.duckdb")}
    )
    result = warehouse.build("--vars", FIVETRAN)
    assert result.returncode == 0, f"build failed:\n{result.stdout[-5000:]}\n{result.stderr[-5000:]}"
    yield warehouse


def test_hand_written_connector_tables_build_and_every_row_is_staged_or_rejected(hand_written: Warehouse) -> None:
    with hand_written.connect() as con:
        rejected = dict(
            con.execute(
                "select source_table || ':' || raw_key, reason from rejected_records where source_table in "
                "('fivetran_shopify.order', 'fivetran_shopify.transaction', 'fivetran_stripe.charge', "
                "'fivetran_klaviyo.event')"
            ).fetchall()
        )
        staged = {
            "fivetran_shopify.order": "select cast(order_id as varchar) from staging.stg_shop__orders",
            "fivetran_shopify.transaction": (
                "select cast(transaction_id as varchar) from staging.stg_shop__transactions"
            ),
            "fivetran_stripe.charge": "select charge_id from staging.stg_stripe__charges",
            "fivetran_klaviyo.event": "select event_id from staging.stg_messaging__events",
        }
        for table, expected in EXPECTED.items():
            keys = {row[0] for row in con.execute(staged[table]).fetchall()}
            outcome = {key: None if key in keys else rejected.get(f"{table}:{key}", "lost") for key in expected}
            assert outcome == expected, table
        orders = dict(con.execute("select order_id, source_name from staging.stg_shop__orders").fetchall())
        assert orders == {2674098602081: "other", 2669509541985: "web", 1000001: "pos"}
        # float noise rounded to cents, naive text read as UTC, upper-case status lower-cased
        money = con.execute("select total_price, created_at from staging.stg_shop__orders where order_id = 1000001")
        assert money.fetchall() == [(Decimal("100.01"), dt.datetime(2026, 11, 14, 8, 0))]
        status = con.execute("select financial_status from staging.stg_shop__orders where order_id = 2674098602081")
        assert status.fetchall() == [("paid",)]
        formats = con.execute("select source_formats from warehouse_build").fetchall()
    assert json.loads(formats[0][0]) == {"shop": "fivetran", "stripe": "fivetran", "messaging": "fivetran"}


def test_attribution_by_person_without_any_email_fails_the_build(tmp_path: Path) -> None:
    write_landing(tmp_path / "raw", emails=False)
    result = Warehouse(root=tmp_path, env=make_env(tmp_path, tmp_path / "raw")).build("--vars", FIVETRAN)
    assert result.returncode != 0
    assert not (tmp_path / "warehouse" / "cart_recovery.duckdb").exists()
    # the failing check, then what causes it
    first, cause = result.stderr.strip().splitlines()[:2]
    assert "assert_attribution_by_person_has_emails" in first, result.stderr[-3000:]
    assert "no cart that reached checkout has one" in cause and "abandoned_checkout.email" in cause


def test_dashboard_says_it_counts_checkouts(round_trip, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every page renders over the warehouse built from the connector tables; the recovery pages say what a cart
    is there, and the native warehouse's do not."""
    notes = {}
    for fmt in ("fivetran", "native"):
        monkeypatch.setenv("CART_RECOVERY_WAREHOUSE", str(PUBLISHED[fmt]))
        st.cache_data.clear()
        at = AppTest.from_file(str(REPO_ROOT / "dashboard" / "app.py"), default_timeout=60).run()
        for page in DASHBOARD_PAGES:
            at.switch_page(page).run()
            assert not at.exception, (fmt, page, [e.value for e in at.exception])
            notes[fmt, page] = any("Counting Shopify checkouts" in info.value for info in at.info)
    st.cache_data.clear()
    assert [page for page in DASHBOARD_PAGES if notes["fivetran", page]] == DASHBOARD_PAGES[:2]
    assert not any(notes["native", page] for page in DASHBOARD_PAGES)

"""Incremental loads: the landing data arriving in three batches, built incrementally after each one,
gives exactly the warehouse that one full refresh of the same files gives.

The batches are cut by `_loaded_at` from the generator's data (seed 7), the way a daily landing delivers it,
redeliveries included. Batch 2 also brings a late-arriving file: every other messaging event and Stripe charge of
batch 1's last 20 hours, held back, so stamped before the newest `_loaded_at` that batch 1 staged (within the
lookback).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from conftest import Warehouse, make_env

from cart_recovery.landing import land, loaded_at_quantile, split_by_loaded_at

pytestmark = pytest.mark.reliability  # make test-reliability

#: the incremental models' tables (schema.table), compared as well as the public marts
INCREMENTAL_TABLES = (
    "staging.stg_shop__cart_events",
    "staging.stg_messaging__events",
    "staging.stg_stripe__charges",
    "intermediate.int_carts__activity",
    "intermediate.int_carts__abandonment",
    "intermediate.int_carts__outcomes",
)
PUBLIC_MARTS = (
    "fct_cart_recovery",
    "fct_recovery_funnel_daily",
    "fct_orders",
    "fct_payments",
    "fct_workflow_exceptions",
    "rpt_source_reconciliation",
    "rejected_records",
)
LATE_TABLES = (("messaging", "events"), ("stripe", "charges"))


def _build(warehouse: Warehouse, *args: str) -> None:
    result = warehouse.build(*args)
    assert result.returncode == 0, f"build failed:\n{result.stdout[-5000:]}\n{result.stderr[-5000:]}"


@pytest.fixture(scope="module")
def incremental_and_full(tmp_path_factory: pytest.TempPathFactory, raw_dir: Path) -> tuple[Warehouse, Warehouse]:
    root = tmp_path_factory.mktemp("incremental")
    cut_1, cut_2 = (loaded_at_quantile(raw_dir, fraction) for fraction in (0.6, 0.85))
    held_back_from = cut_1 - dt.timedelta(hours=20)
    batches = [root / "batches" / name for name in ("first", "held_back", "second", "third")]
    split_by_loaded_at(raw_dir, batches, [held_back_from, cut_1, cut_2])

    landing = root / "raw"
    incremental = Warehouse(root=root / "incremental", env=make_env(root / "incremental", landing))
    full = Warehouse(root=root / "full", env=make_env(root / "full", landing))

    # batch 1: everything before cut 1, except every other row of the late tables' last 20 hours
    late_files = root / "batches" / "late"
    land(batches[0], landing)
    for path in sorted(batches[1].rglob("*.parquet")):
        relative = path.relative_to(batches[1])
        if (relative.parts[0], relative.parts[1]) not in LATE_TABLES:
            land_file(path, landing / relative)
            continue
        rows = pq.read_table(path)
        on_time = pc.equal(pc.bit_wise_and(pa.array(range(rows.num_rows)), 1), 0)
        (landing / relative).parent.mkdir(parents=True, exist_ok=True)
        late = late_files / relative.with_name(f"{path.stem}-late.parquet")
        late.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(rows.filter(on_time), landing / relative)
        pq.write_table(rows.filter(pc.invert(on_time)), late)
    _build(incremental)
    # batch 2: cut 1 .. cut 2, and the late file: rows stamped before the newest `_loaded_at` already staged
    land(late_files, landing)
    land(batches[2], landing)
    _build(incremental)
    # batch 3: the rest
    land(batches[3], landing)
    _build(incremental)

    _build(full, "--full-refresh")
    return incremental, full


def land_file(path: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.hardlink_to(path)


def _compare(incremental: Warehouse, full: Warehouse, table: str) -> tuple[int, int, int, int]:
    """Rows in each file and rows only in each; `table` is a public mart or schema.table."""
    table = table if "." in table else f"main.{table}"
    con = duckdb.connect()
    try:
        con.execute("set TimeZone = 'UTC'")
        con.execute(f"attach '{incremental.published_path}' as incremental (read_only)")
        con.execute(f"attach '{full.published_path}' as full_refresh (read_only)")
        columns = [row[0] for row in con.execute(f"describe full_refresh.{table}").fetchall()]
        select = ", ".join(f'"{name}"' for name in columns)
        rows_incremental, rows_full = (
            con.execute(f"select count(*) from {db}.{table}").fetchone()[0] for db in ("incremental", "full_refresh")
        )
        only_incremental, only_full = (
            con.execute(
                f"select count(*) from (select {select} from {a}.{table} except all select {select} from {b}.{table})"
            ).fetchone()[0]
            for a, b in (("incremental", "full_refresh"), ("full_refresh", "incremental"))
        )
        return rows_incremental, rows_full, only_incremental, only_full
    finally:
        con.close()


@pytest.mark.parametrize("table", PUBLIC_MARTS + INCREMENTAL_TABLES)
def test_three_incremental_batches_equal_one_full_refresh(incremental_and_full, table: str) -> None:
    incremental, full = incremental_and_full
    rows_incremental, rows_full, only_incremental, only_full = _compare(incremental, full, table)
    assert rows_full > 0
    assert (rows_incremental, only_incremental, only_full) == (rows_full, 0, 0)


def test_the_builds_were_incremental(incremental_and_full) -> None:
    """Three builds logged, and the last one recomputed only part of the carts."""
    incremental, full = incremental_and_full
    with incremental.attached() as con:
        builds = con.execute("select count(*) from wh.intermediate.int_warehouse__builds").fetchone()[0]
        in_scope = con.execute("select count(*) from wh.intermediate.int_carts__to_recompute").fetchone()[0]
        carts = con.execute("select count(distinct cart_token) from wh.staging.stg_shop__cart_events").fetchone()[0]
    with full.attached() as con:
        full_builds = con.execute("select count(*) from wh.intermediate.int_warehouse__builds").fetchone()[0]
    assert (builds, full_builds) == (3, 1)
    assert 0 < in_scope < carts / 2, (in_scope, carts)


def test_the_late_file_was_merged(incremental_and_full, raw_dir: Path) -> None:
    """Every usable messaging event of the landing, the late-arriving ones included, is in staging once."""
    incremental, _ = incremental_and_full
    with incremental.attached() as con:
        staged = con.execute(
            "select count(*), count(distinct event_id) from wh.staging.stg_messaging__events"
        ).fetchone()
    expected = json.loads((raw_dir / "manifest.json").read_text())["tables"]["messaging.events"]["distinct_keys"]
    assert staged == (expected, expected)

"""Exception marts, their history, and the reconciliation against the source systems (docs/definitions.md
"Exceptions" and "Reconciliation").

Ground truth: the generator's manifest (manifest/exceptions.parquet), which knows every instance it injected or
produced, by type, entity, SLA clock start, status and resolution time.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from conftest import REPO_ROOT, Warehouse, make_env

from cart_recovery.generate import generate

RULES = {row["exception_type"]: row for row in csv.DictReader((REPO_ROOT / "seeds" / "exception_rules.csv").open())}


@pytest.fixture
def con(seeded_warehouse: Warehouse) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = seeded_warehouse.attached("exceptions")
    yield connection
    connection.close()


def test_instances_match_the_manifest_by_type_entity_and_status(con: duckdb.DuckDBPyConnection) -> None:
    mismatches = con.execute(
        """
        select t.exception_type, t.entity_id, t.status, w.exception_type, w.entity_id, w.status
        from truth t
        full outer join wh.fct_workflow_exceptions w
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


def test_counts_per_type_and_status_equal_the_manifest(con: duckdb.DuckDBPyConnection, seeded_warehouse) -> None:
    manifest = json.loads((seeded_warehouse.raw_dir / "manifest.json").read_text())
    expected = {
        (etype, status): n
        for etype, by_status in manifest["exceptions"]["by_type"].items()
        for status, n in by_status.items()
        if n
    }
    rows = con.execute(
        "select exception_type, status, count(*) from wh.fct_workflow_exceptions group by all"
    ).fetchall()
    assert {(t, s): n for t, s, n in rows} == expected
    assert {t for t, _ in expected} == set(RULES), "every type of the catalog occurs in the generated data"


def test_governance_comes_from_the_rules_seed(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        "select distinct exception_type, owner, route, route_description, severity, source_system, expected_outcome,"
        " sla_hours, escalate_after_hours from wh.fct_workflow_exceptions"
    ).fetchall()
    for etype, owner, route, description, severity, system, outcome, sla, escalate in rows:
        rule = RULES[etype]
        assert (owner, route, description, severity, system, outcome, sla, escalate) == (
            rule["owner"],
            rule["route"],
            rule["route_description"],
            rule["severity"],
            rule["source_system"],
            rule["expected_outcome"],
            int(rule["sla_hours"]),
            int(rule["escalate_after_hours"]),
        )


def test_exception_ids_are_stable_hashes_of_type_and_entity(con: duckdb.DuckDBPyConnection) -> None:
    bad = con.execute(
        "select count(*) from wh.fct_workflow_exceptions where exception_id <> md5(exception_type || ':' || entity_id)"
    ).fetchone()[0]
    assert bad == 0


def test_reconciliation_has_no_unexplained_difference(con: duckdb.DuckDBPyConnection) -> None:
    totals = con.execute(
        """select count(*), count(*) filter (where not is_aligned), sum(abs(unexplained_difference)),
                  sum(explained_by_rejected), sum(abs(explained_by_exceptions)), count(distinct measure)
           from wh.rpt_source_reconciliation"""
    ).fetchone()
    rows, unaligned, unexplained, by_rejected, by_exceptions, measures = totals
    assert rows > 100 and measures == 10
    assert unaligned == 0 and unexplained == 0
    assert by_rejected > 0, "rejected rows explain part of the landing differences"
    assert by_exceptions > 0, "named exceptions explain part of the Stripe vs shop difference"


def test_reconciliation_counts_match_the_landing_files(con: duckdb.DuckDBPyConnection, seeded_warehouse) -> None:
    """The source side counts what was landed: distinct order keys plus keyless rows."""
    raw = seeded_warehouse.raw_dir
    landed = con.execute(
        f"""select count(distinct order_id) + count(*) filter (where order_id is null)
            from read_parquet('{raw}/shop/orders/*.parquet')"""
    ).fetchone()[0]
    source = con.execute(
        "select sum(source_value) from wh.rpt_source_reconciliation where measure = 'orders_count'"
    ).fetchone()[0]
    warehouse_orders = con.execute("select count(*) from wh.fct_orders").fetchone()[0]
    warehouse = con.execute(
        "select sum(warehouse_value) from wh.rpt_source_reconciliation where measure = 'orders_count'"
    ).fetchone()[0]
    assert source == landed
    assert warehouse == warehouse_orders


def test_exception_docs_name_owner_and_route(warehouse: Warehouse) -> None:
    nodes = warehouse.manifest()["nodes"].values()
    descriptions = {n["name"]: " ".join(n["description"].split()) for n in nodes if n["resource_type"] == "model"}
    for etype, rule in RULES.items():
        text = descriptions[f"int_exceptions__{etype}"]
        assert rule["owner"] in text and rule["route_description"] in text, etype


# --------------------------------------------------------------------------------------------- two batches
def _without(path: Path, predicate_sql: str, removed_dir: Path) -> int:
    """Rewrite every part file of a table without the rows matching predicate_sql; keep them aside."""
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    removed = 0
    for part in sorted(path.glob("*.parquet")):
        total, hit = con.execute(
            f"select count(*), count(*) filter (where {predicate_sql}) from read_parquet('{part}')"
        ).fetchone()
        if not hit:
            continue
        removed += hit
        removed_dir.mkdir(parents=True, exist_ok=True)
        aside = removed_dir / f"{path.parent.name}__{path.name}__{part.name}"
        con.execute(f"copy (select * from read_parquet('{part}') where {predicate_sql}) to '{aside}' (format parquet)")
        keep = part.with_suffix(".keep")
        con.execute(
            f"copy (select * from read_parquet('{part}') where not ({predicate_sql})) to '{keep}' (format parquet)"
        )
        part.unlink()
        if hit < total:
            keep.rename(part)
        else:
            keep.unlink()
    con.close()
    return removed


def test_late_payment_resolves_the_exception_and_the_snapshot_keeps_both_states(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    generate(raw, carts=1500, seed=21)
    truth = pq.read_table(raw / "manifest" / "exceptions.parquet").to_pylist()
    manifest = json.loads((raw / "manifest.json").read_text())
    as_of = manifest["as_of"].replace("T", " ").rstrip("Z")
    candidates = [
        t
        for t in truth
        if t["exception_type"] == "order_unpaid"
        and t["status"] == "resolved"
        and str(t["resolved_at"]) < "2026-10-01"  # well before as-of: removing it does not move as-of
    ]
    assert candidates, "the generator resolves some unpaid orders with a late payment"
    case = candidates[0]
    order_id = case["entity_id"]
    paid_at = str(case["resolved_at"])

    # batch 1: everything except the late payment (shop transactions and Stripe charges from that time on,
    # the order versions it caused, the fulfilment that followed)
    late = tmp_path / "late"
    ts = "try_cast(created_at as timestamptz)"
    pay_refs = duckdb.sql(
        f"""select distinct gateway_reference from read_parquet('{raw}/shop/transactions/*.parquet')
            where order_id = {order_id} and {ts} >= '{paid_at}+00' and gateway_reference is not null"""
    ).fetchall()
    refs = ", ".join(f"'{r[0]}'" for r in pay_refs) or "''"
    assert _without(raw / "shop" / "transactions", f"order_id = {order_id} and {ts} >= '{paid_at}+00'", late) > 0
    _without(raw / "stripe" / "charges", f"id in ({refs})", late)
    _without(
        raw / "shop" / "orders",
        f"order_id = {order_id} and try_cast(updated_at as timestamptz) >= '{paid_at}+00'",
        late,
    )
    _without(raw / "shop" / "fulfillments", f"order_id = {order_id}", late)

    root = tmp_path / "wh"
    wh = Warehouse(root=root, env=make_env(root, raw))
    first = wh.build()
    assert first.returncode == 0, first.stderr[-3000:]
    con = wh.connect()
    try:
        assert con.execute("select as_of from intermediate.int_warehouse__as_of").fetchone()[0].isoformat(" ") == as_of
        state = con.execute(
            "select status, resolved_at from fct_workflow_exceptions "
            "where exception_type = 'order_unpaid' and entity_id = ?",
            [order_id],
        ).fetchall()
    finally:
        con.close()
    assert state == [("open", None)]

    # batch 2: the late payment lands as new part files, stamped when they land (after every earlier batch)
    landed_until = duckdb.sql(
        f"select max(_loaded_at) from read_parquet('{raw}/*/*/*.parquet', union_by_name = true)"
    ).fetchall()[0][0]
    for aside in sorted(late.glob("*.parquet")):
        system, table, part = aside.name.split("__")
        duckdb.sql(
            f"""copy (select * replace (timestamp '{landed_until}' + interval 1 hour as _loaded_at)
                      from read_parquet('{aside}'))
                to '{raw / system / table / f"part-99999-{part}"}' (format parquet)"""
        )
    second = wh.build()
    assert second.returncode == 0, second.stderr[-3000:]
    assert "Continuing from the published warehouse" in second.stdout
    con = wh.connect()
    try:
        state = con.execute(
            "select status, resolved_at from fct_workflow_exceptions "
            "where exception_type = 'order_unpaid' and entity_id = ?",
            [order_id],
        ).fetchall()
        history = con.execute(
            """select s.status, s.resolved_at, s.dbt_valid_to is null as is_current
               from snap_workflow_exceptions s
               join fct_workflow_exceptions f using (exception_id)
               where f.exception_type = 'order_unpaid' and f.entity_id = ?
               order by s.dbt_valid_from""",
            [order_id],
        ).fetchall()
    finally:
        con.close()
    assert len(state) == 1 and state[0][0] == "resolved"
    assert str(state[0][1]) == paid_at
    assert [(h[0], h[2]) for h in history] == [("open", False), ("resolved", True)]

    # a full refresh starts from an empty file but keeps the history
    third = wh.build("--full-refresh")
    assert third.returncode == 0, third.stderr[-3000:]
    assert "carried over history" in third.stdout
    con = wh.connect()
    try:
        kept = con.execute(
            """select s.status from snap_workflow_exceptions s
               join fct_workflow_exceptions f using (exception_id)
               where f.exception_type = 'order_unpaid' and f.entity_id = ? order by s.dbt_valid_from""",
            [order_id],
        ).fetchall()
    finally:
        con.close()
    assert [k[0] for k in kept] == ["open", "resolved"]

"""Owners' actions (docs/workflow.md "Owners' actions"): the validators, the Exceptions page recording and refusing
actions (AppTest), and the next real build reading them into the exceptions mart and its snapshot, also after a
build killed mid-run. Uses its own small warehouse (300 carts) so the session warehouse stays untouched."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import streamlit as st
from conftest import REPO_ROOT, Warehouse, make_env
from streamlit.testing.v1 import AppTest
from test_crash import alive, children_of

from cart_recovery.workflow import actions, state
from cart_recovery.workflow.actions import Action, ActionRefused
from cart_recovery.workflow.events import exception_events

APP = str(REPO_ROOT / "dashboard" / "app.py")
NOW = dt.datetime(2026, 7, 10, 12, 0, tzinfo=dt.UTC)
MISMATCH = {
    "exception_id": "e1",
    "exception_type": "processor_mismatch",
    "status": "open",
    "clears_by_itself": False,
    "amount_at_risk": 12.5,
    "details": "shop says success",
}


@pytest.fixture(autouse=True)
def clear_streamlit_caches() -> Iterator[None]:
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """A 300-cart warehouse of this module's own, built and published once."""
    from cart_recovery.generate import generate

    raw = tmp_path_factory.mktemp("actions_landing") / "raw"
    generate(raw, carts=300, seed=7)
    root = tmp_path_factory.mktemp("actions_warehouse")
    built = Warehouse(root=root, env=make_env(root, raw))
    result = built.build()
    assert result.returncode == 0, f"build failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return built


def state_of(warehouse: Warehouse) -> Path:
    return state.path_beside(warehouse.published_path)


def rows(path: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def recorded(warehouse: Warehouse) -> list[tuple]:
    path = state_of(warehouse)
    if not path.exists():
        return []
    con = sqlite3.connect(path)
    try:
        return con.execute("select action_id, exception_id, action, actor, reason from exception_actions").fetchall()
    finally:
        con.close()


# --- validators ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "exception", "message"),
    [
        (Action("e1", "acknowledge", "  "), MISMATCH, "actor's name is empty"),
        (Action("e1", "acknowledge", "x" * 101), MISMATCH, "longer than 100"),
        (Action("e1", "escalate", "ana"), MISMATCH, "Unknown action"),
        (Action("e1", "assign", "ana", assignee=" "), MISMATCH, "assignee is empty"),
        (Action("e1", "comment", "ana", comment=""), MISMATCH, "comment is empty"),
        (Action("e1", "comment", "ana", comment="y" * 1001), MISMATCH, "longer than 1000"),
        (Action("e1", "snooze", "ana", snooze_until=NOW), MISMATCH, "must be in the future"),
        (Action("e1", "snooze", "ana"), MISMATCH, "must be in the future"),
        (Action("e1", "resolve", "ana", reason="because"), MISMATCH, "Choose a reason"),
        (Action("e1", "resolve", "ana"), MISMATCH, "Choose a reason"),
        (Action("e1", "resolve", "ana", reason="false_positive"), {**MISMATCH, "status": "resolved"}, "already"),
        (Action("e1", "resolve", "ana", reason="false_positive"), {**MISMATCH, "clears_by_itself": True}, "by itself"),
        (Action("gone", "acknowledge", "ana"), None, "not in the published warehouse"),
    ],
)
def test_validators_refuse_with_a_clear_message(action: Action, exception: dict | None, message: str) -> None:
    with pytest.raises(ActionRefused, match=message):
        actions.validate(action, exception, NOW, resolved_by_hand=False)


def test_validators_accept_good_actions_and_a_standing_resolution_refuses_another(tmp_path: Path) -> None:
    for good in (
        Action("e1", "acknowledge", "ana"),
        Action("e1", "assign", "ana", assignee="bob"),
        Action("e1", "snooze", "ana", snooze_until=NOW + dt.timedelta(days=1)),
        Action("e1", "resolve", "ana", reason="shop_record_corrected", comment="fixed in Shopify"),
    ):
        actions.validate(good, MISMATCH, NOW, resolved_by_hand=False)
    path = tmp_path / "state.sqlite"
    resolve = Action("e1", "resolve", "ana", reason="false_positive")
    assert actions.record(path, resolve, MISMATCH, NOW) == 1
    with pytest.raises(ActionRefused, match="already resolved"):
        actions.record(path, resolve, MISMATCH, NOW)
    # the condition changed since (another amount at risk): the exception may be resolved again
    assert actions.record(path, resolve, {**MISMATCH, "amount_at_risk": 13}, NOW) == 2
    with pytest.raises(ActionRefused, match="not in the published warehouse"):
        actions.record(path, Action("gone", "comment", "ana", comment="hi"), None, NOW)
    kept = [(row["action_id"], row["condition_amount_at_risk"]) for row in actions.read_actions(path)]
    assert kept == [(1, "12.50"), (2, "13.00")]


# --- the page ---------------------------------------------------------------------------------------------------


def exception_of(warehouse: Warehouse, clears_by_itself: bool) -> tuple[str, str]:
    found = rows(
        warehouse.published_path,
        "select exception_id, exception_type from fct_workflow_exceptions "
        "where status = 'open' and clears_by_itself = ? order by exception_id limit 1",
        [clears_by_itself],
    )
    assert found, f"the small warehouse has no open exception with clears_by_itself = {clears_by_itself}"
    return found[0]


def exceptions_page(warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch, exception_id: str) -> AppTest:
    monkeypatch.setenv("CART_RECOVERY_WAREHOUSE", str(warehouse.published_path))
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("views/exceptions.py").run()
    # the list shows the open ones first; status filter all, so any exception can be chosen
    at.selectbox(key="exceptions_drilldown").set_value(exception_id).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def act(at: AppTest, actor: str, action: str, reason: str | None = None, comment: str = "") -> AppTest:
    at.text_input(key="workflow_actor").set_value(actor)
    at.selectbox(key="action_kind").set_value(action)
    if reason:
        at.selectbox(key="action_reason").set_value(reason)
    at.text_area(key="action_comment").set_value(comment)
    at.button(key="action_submit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.workflow
def test_refused_actions_show_the_message_and_write_nothing(small: Warehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    before = recorded(small)
    self_clearing, exception_type = exception_of(small, clears_by_itself=True)
    at = exceptions_page(small, monkeypatch, self_clearing)
    at = act(at, "ana", "resolve", comment="it is fine")
    assert [e.value for e in at.error] == [
        f"Not recorded: {exception_type} clears by itself when its condition clears in the data; it cannot be "
        "resolved by hand."
    ]
    at = act(at, "", "acknowledge")
    assert "actor's name is empty" in at.error[0].value
    assert recorded(small) == before


@pytest.mark.workflow
def test_an_action_on_an_exception_the_warehouse_no_longer_has_is_refused(
    small: Warehouse, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The page was rendered with the exception; by the time the owner submits, the file no longer has it."""
    copy = tmp_path / "cart_recovery.duckdb"
    shutil.copy(small.published_path, copy)
    gone, _ = exception_of(small, clears_by_itself=False)
    at = exceptions_page(
        Warehouse(root=tmp_path, env={**small.env, "CART_RECOVERY_WAREHOUSE": str(copy)}), monkeypatch, gone
    )
    con = duckdb.connect(str(copy))
    try:
        con.execute("delete from fct_workflow_exceptions where exception_id = ?", [gone])
    finally:
        con.close()
    at = act(at, "ana", "acknowledge")
    assert [e.value for e in at.error] == [
        f"Not recorded: Exception {gone} is not in the published warehouse (it may have been rebuilt without it); "
        "nothing was recorded."
    ]
    assert not state.path_beside(copy).exists() or not actions.read_actions(state.path_beside(copy))


def table_of(at: AppTest, column: str) -> pd.DataFrame:
    """The first dataframe on the page with `column`."""
    return next(frame.value for frame in at.dataframe if column in frame.value.columns)


@pytest.mark.workflow
def test_acknowledge_and_resolve_on_the_page_reach_the_mart_and_the_snapshot_after_the_next_build(
    small: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    chosen, exception_type = exception_of(small, clears_by_itself=False)
    reason = actions.RESOLUTION_REASONS[exception_type][0]
    at = exceptions_page(small, monkeypatch, chosen)
    at = act(at, "Ana Ops", "acknowledge", comment="looking into it")
    assert at.success[0].value.startswith(f"Recorded: acknowledge on {chosen} by Ana Ops")
    at = act(at, "Ana Ops", "resolve", reason=reason, comment="corrected at the source")
    assert at.success[0].value.startswith(f"Recorded: resolve (with a reason) on {chosen} by Ana Ops")
    timeline = at.table[0].value
    (escalated,) = rows(
        small.published_path, "select is_escalated from fct_workflow_exceptions where exception_id = ?", [chosen]
    )[0]
    assert list(timeline["Event"]) == [
        "detected",
        "past due",
        *(["escalated"] if escalated else []),
        "acknowledged",
        "resolved",
    ]
    assert list(timeline["Who / route"])[-2:] == ["Ana Ops", "Ana Ops"]
    ack, resolve = actions.read_actions(state_of(small), chosen)
    assert (ack["action"], resolve["action"], resolve["reason"]) == ("acknowledge", "resolve", reason)

    versions_before = rows(small.published_path, "select count(*) from snap_workflow_exceptions")[0][0]
    result = small.build()
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Read 2 owners' action(s)" in result.stdout
    utc = lambda text: dt.datetime.fromisoformat(text).replace(tzinfo=None)  # noqa: E731
    mart = rows(
        small.published_path,
        "select status, resolution, resolved_by, resolution_reason, acknowledged_at, resolved_at "
        "from fct_workflow_exceptions where exception_id = ?",
        [chosen],
    )
    assert mart == [("resolved", "manual", "Ana Ops", reason, utc(ack["acted_at"]), utc(resolve["acted_at"]))]
    history = rows(
        small.published_path,
        "select status, resolution, resolved_by, resolution_reason, dbt_valid_to is null "
        "from snap_workflow_exceptions where exception_id = ? order by dbt_valid_from",
        [chosen],
    )
    assert history == [("open", None, None, None, False), ("resolved", "manual", "Ana Ops", reason, True)]
    versions_after = rows(small.published_path, "select count(*) from snap_workflow_exceptions")[0][0]
    assert versions_after == versions_before + 1  # only the acted-on exception got a new version
    # the resolved event notify would send says how, who and why
    with duckdb.connect(str(small.published_path), read_only=True) as con:
        resolved = [e for e in exception_events(con, "http://dash") if e.exception_id == chosen]
    assert [(e.event, e.payload["resolution"], e.payload["resolved_by"]) for e in resolved] == [
        ("resolved", "manual", "Ana Ops")
    ]
    assert resolved[0].payload["resolution_reason"] == reason

    # the condition is unchanged: the resolution stands in the next build, and the page refuses a second one
    result = small.build()
    assert result.returncode == 0, result.stderr[-3000:]
    assert rows(
        small.published_path, "select status, resolution from fct_workflow_exceptions where exception_id = ?", [chosen]
    ) == [("resolved", "manual")]
    at = exceptions_page(small, monkeypatch, chosen)
    at = act(at, "Bo", "resolve", reason=reason)
    assert at.error[0].value == f"Not recorded: Exception {chosen} is already resolved."
    assert len(actions.read_actions(state_of(small), chosen)) == 2


@pytest.mark.workflow
def test_a_build_killed_mid_run_loses_no_action_and_the_next_build_reads_each_once(small: Warehouse) -> None:
    open_ones = rows(
        small.published_path,
        "select exception_id, exception_type, status, clears_by_itself, amount_at_risk, details "
        "from fct_workflow_exceptions where status = 'open' order by exception_id limit 3",
    )
    columns = ("exception_id", "exception_type", "status", "clears_by_itself", "amount_at_risk", "details")
    exceptions = [dict(zip(columns, row, strict=True)) for row in open_ones]
    for exception in exceptions[:2]:
        actions.record(state_of(small), Action(exception["exception_id"], "acknowledge", "kim"), exception)

    build = small.start_build()
    deadline = time.monotonic() + 120
    dbt_pids: list[int] = []
    while time.monotonic() < deadline and not dbt_pids:
        dbt_pids = children_of(build.pid)
        time.sleep(0.2)
    assert dbt_pids, "dbt never started"
    time.sleep(2.0)
    # an owner acts while the build runs
    last = exceptions[2]
    actions.record(state_of(small), Action(last["exception_id"], "assign", "kim", assignee="lee"), last)
    os.kill(build.pid, signal.SIGKILL)
    build.wait(timeout=30)
    assert build.returncode == -signal.SIGKILL
    deadline = time.monotonic() + 30
    while any(alive(pid) for pid in dbt_pids) and time.monotonic() < deadline:
        time.sleep(0.2)

    con = sqlite3.connect(state_of(small))
    try:
        assert con.execute("pragma integrity_check").fetchall() == [("ok",)]
        in_state = sorted(row[0] for row in con.execute("select action_id from exception_actions"))
    finally:
        con.close()
    assert len(in_state) >= 3

    result = small.build()
    assert result.returncode == 0, result.stderr[-3000:]
    built = sorted(row[0] for row in rows(small.published_path, "select action_id from warehouse_exception_actions"))
    assert built == in_state  # every action, none twice
    acted = rows(
        small.published_path,
        "select exception_id, acknowledged_at is not null, assignee from fct_workflow_exceptions "
        "where list_contains(?, exception_id) order by exception_id",
        [[exception["exception_id"] for exception in exceptions]],
    )
    assert acted == [
        (exceptions[0]["exception_id"], True, None),
        (exceptions[1]["exception_id"], True, None),
        (exceptions[2]["exception_id"], False, "lee"),
    ]


@pytest.mark.workflow
def test_the_workflow_page_counts_open_and_acknowledged_per_owner(
    small: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CART_RECOVERY_WAREHOUSE", str(small.published_path))
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("views/workflow.py").run()
    assert not at.exception, [e.value for e in at.exception]
    shown = table_of(at, "deliveries_failing").set_index("owner")
    expected = rows(
        small.published_path,
        "select owner, count(*) filter (where status = 'open'), "
        "count(*) filter (where status = 'open' and acknowledged_at is not null) "
        "from fct_workflow_exceptions group by owner order by owner",
    )
    assert [
        (owner, int(shown.loc[owner, "open"]), int(shown.loc[owner, "acknowledged"])) for owner, *_ in expected
    ] == expected
    assert set(shown["deliveries_failing"]) == {0}  # notify has delivered nothing yet

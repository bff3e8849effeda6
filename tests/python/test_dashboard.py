"""Dashboard driven with AppTest: every page renders, every figure equals the same figure queried from the
marts under the same filters, filters change them, filter values are data, and a new publish shows at once."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest
import streamlit as st
from conftest import REPO_ROOT, Warehouse
from streamlit.testing.v1 import AppTest

APP = str(REPO_ROOT / "dashboard" / "app.py")
PAGES = {
    "views/overview.py": "Overview",
    "views/recovery_funnel.py": "Recovery funnel",
    "views/exceptions.py": "Exceptions",
    "views/workflow.py": "Workflow",
    "views/reconciliation.py": "Reconciliation",
    "views/data_health.py": "Data health",
}
SQL_TEXT = "x' or '1'='1'; drop table fct_cart_recovery; --"

sys.path.insert(0, str(REPO_ROOT / "dashboard"))
import db  # noqa: E402  (the dashboard's connection layer, as the app imports it)
from queries.exceptions import (  # noqa: E402  (the dashboard's queries, as the views import them)
    SEVERITIES,
    exception_csv,
    exception_history,
    exception_list,
    exception_queue,
)
from queries.recovery import recovery_kpis, recovery_trend  # noqa: E402


@pytest.fixture(autouse=True)
def clear_streamlit_caches() -> Iterator[None]:
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch, warehouse: Warehouse) -> Warehouse:
    monkeypatch.setenv("CART_RECOVERY_WAREHOUSE", str(warehouse.published_path))
    return warehouse


def mart(warehouse: Warehouse | Path, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
    """Query the published marts directly (open, query, close)."""
    path = warehouse if isinstance(warehouse, Path) else warehouse.published_path
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or []).df()
    finally:
        con.close()


def one(warehouse: Warehouse | Path, sql: str, params: list[Any] | None = None) -> Any:
    value = mart(warehouse, sql, params).iloc[0, 0]
    return value.item() if hasattr(value, "item") else value


def run_app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_page(at: AppTest, page: str) -> AppTest:
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == PAGES[page]
    return at


def table(at: AppTest, column: str) -> pd.DataFrame:
    """The first dataframe on the page that has `column` (robust to tables a page leaves out when empty)."""
    for frame in at.dataframe:
        if column in frame.value.columns:
            return frame.value
    raise AssertionError(f"no table with a {column!r} column")


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def deltas(at: AppTest) -> dict[str, str]:
    return {m.label: m.proto.delta for m in at.metric}


def plotted(values: Any) -> list[float]:
    """A Plotly data array from the figure JSON (plain list, or base64 {'dtype', 'bdata'})."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).tolist()
    return list(values)


def money(value: float) -> str:
    return f"${value:,.2f}"


def pct(value: float) -> str:
    return f"{value * 100:.1f}%"


def set_filters(
    at: AppTest,
    dates: tuple[dt.date, dt.date] | None = None,
    channels: list[str] | None = None,
    currencies: list[str] | None = None,
) -> AppTest:
    if dates is not None:
        at.date_input(key="filter_dates").set_value(dates)
    if channels is not None:
        at.multiselect(key="filter_channels").set_value(channels)
    if currencies is not None:
        at.multiselect(key="filter_currencies").set_value(currencies)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def recovery_where(dates: tuple[dt.date, dt.date], channels: list[str], currencies: list[str]) -> tuple[str, list]:
    where = "cohort_date between ? and ?"
    params: list[Any] = list(dates)
    if channels:
        where += f" and funnel_channel in ({', '.join('?' * len(channels))})"
        params += channels
    if currencies:
        where += f" and currency in ({', '.join('?' * len(currencies))})"
        params += currencies
    return where, params


def expected_overview(
    warehouse: Warehouse, dates: tuple[dt.date, dt.date], channels: list[str], currencies: list[str]
) -> dict[str, str]:
    where, params = recovery_where(dates, channels, currencies)
    row = mart(
        warehouse,
        f"""
        select
            count(*) filter (where is_abandoned) as abandoned,
            count(*) filter (where is_abandoned and not is_provisional) as abandoned_mature,
            count(*) filter (where is_recovered and not is_provisional) as recovered_mature,
            coalesce(sum(recovered_revenue), 0) as revenue
        from fct_cart_recovery where {where}
        """,
        params,
    ).iloc[0]
    open_by_severity = mart(
        warehouse,
        "select severity, count(*) as n from fct_workflow_exceptions "
        "where status = 'open' and cast(detected_at as date) between ? and ? group by 1",
        list(dates),
    )
    counts = dict(zip(open_by_severity["severity"], open_by_severity["n"], strict=True))
    return {
        "Abandoned carts": f"{int(row['abandoned']):,}",
        "Recovery rate": pct(row["recovered_mature"] / row["abandoned_mature"]),
        "Recovered revenue": money(float(row["revenue"])),
        **{severity.capitalize(): f"{int(counts.get(severity, 0)):,}" for severity in SEVERITIES},
    }


def full_range(warehouse: Warehouse) -> tuple[dt.date, dt.date]:
    row = mart(
        warehouse,
        """
        select min(lo), max(hi) from (
            select min(cohort_date) as lo, max(cohort_date) as hi from fct_cart_recovery
            union all select min(cast(detected_at as date)), max(cast(detected_at as date)) from fct_workflow_exceptions
            union all select min(recon_date), max(recon_date) from rpt_source_reconciliation
            union all select min(cast(loaded_at as date)), max(cast(loaded_at as date)) from rejected_records
        )
        """,
    ).iloc[0]
    return pd.Timestamp(row.iloc[0]).date(), pd.Timestamp(row.iloc[1]).date()


# --- nothing published, every page renders ------------------------------------------------------------------


def test_nothing_published_yet(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CART_RECOVERY_WAREHOUSE", str(tmp_path / "missing.duckdb"))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert "Nothing is published yet" in at.info[0].value
    assert not at.metric


@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_renders_without_exception(published: Warehouse, page: str) -> None:
    at = open_page(run_app(), page)
    assert at.get("plotly_chart"), "every page shows at least one chart"
    assert not at.error


def test_every_page_renders_when_the_filters_match_nothing(published: Warehouse) -> None:
    at = run_app()
    set_filters(at, channels=["not_abandoned"], currencies=["JPY"])
    for page in PAGES:
        open_page(at, page)
    open_page(at, "views/overview.py")
    assert metrics(at)["Recovery rate"] == "—"
    assert metrics(at)["Abandoned carts"] == "0"


# --- Overview --------------------------------------------------------------------------------------------------


def test_overview_kpis_equal_the_marts(published: Warehouse) -> None:
    at = run_app()
    shown = metrics(at)
    dates = full_range(published)
    assert {k: shown[k] for k in expected_overview(published, dates, [], [])} == expected_overview(
        published, dates, [], []
    )

    # The same headline figures from the daily funnel mart (another public mart) agree.
    funnel = mart(
        published,
        """
        select sum(abandoned) as abandoned,
            sum(recovered) filter (where not is_provisional) / sum(abandoned) filter (where not is_provisional) as rate,
            sum(recovered_revenue) as revenue
        from fct_recovery_funnel_daily
        """,
    ).iloc[0]
    assert shown["Abandoned carts"] == f"{int(funnel['abandoned']):,}"
    assert shown["Recovery rate"] == pct(funnel["rate"])
    assert shown["Recovered revenue"] == money(float(funnel["revenue"]))

    provisional = one(published, "select count(*) from fct_cart_recovery where is_abandoned and is_provisional")
    assert deltas(at)["Abandoned carts"] == f"{provisional:,} in provisional cohorts"
    as_of = one(published, "select max(as_of) from fct_workflow_exceptions")
    assert shown["Data as of"] == pd.Timestamp(as_of).strftime("%d %b %Y")


def test_overview_trend_marks_provisional_cohorts(published: Warehouse) -> None:
    at = run_app()
    at.button_group(key="overview_grain").set_value("day").run()
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    abandoned = next(trace for trace in figure["data"] if trace.get("name") == "Abandoned carts")
    daily = mart(
        published,
        "select cohort_date, sum(abandoned) as abandoned, bool_or(is_provisional) as is_provisional "
        "from fct_recovery_funnel_daily group by 1 having sum(abandoned) > 0 order by 1",
    )
    assert plotted(abandoned["y"]) == [int(v) for v in daily["abandoned"]]
    patterns = abandoned["marker"]["pattern"]["shape"]
    assert [shape == "/" for shape in patterns] == [bool(v) for v in daily["is_provisional"]]
    assert any(trace.get("name") == "Recovery rate so far (provisional)" for trace in figure["data"])


def test_filters_change_overview_figures(published: Warehouse) -> None:
    at = run_app()
    unfiltered = metrics(at)
    dates = (dt.date(2026, 8, 1), dt.date(2026, 9, 30))
    channels = ["email", "sms"]
    currencies = ["EUR", "GBP"]
    set_filters(at, dates, channels, currencies)
    shown = metrics(at)
    expected = expected_overview(published, dates, channels, currencies)
    assert {k: shown[k] for k in expected} == expected
    assert shown["Abandoned carts"] != unfiltered["Abandoned carts"]
    assert shown["Recovered revenue"] != unfiltered["Recovered revenue"]
    assert at.caption[0].value.startswith("Showing 01 Aug 2026 to 30 Sep 2026 · Email, SMS · EUR, GBP.")


def test_filters_are_kept_across_pages(published: Warehouse) -> None:
    at = run_app()
    dates = (dt.date(2026, 9, 1), dt.date(2026, 9, 30))
    set_filters(at, dates, ["email"], ["USD"])
    open_page(at, "views/recovery_funnel.py")
    assert at.date_input(key="filter_dates").value == dates
    assert at.multiselect(key="filter_channels").value == ["email"]
    assert at.multiselect(key="filter_currencies").value == ["USD"]
    open_page(at, "views/overview.py")
    expected = expected_overview(published, dates, ["email"], ["USD"])
    assert {k: metrics(at)[k] for k in expected} == expected


# --- Recovery funnel -------------------------------------------------------------------------------------------

FUNNEL_COLUMNS = {
    "Checkout started": "checkouts_started",
    "Contact captured": "contact_captured",
    "Abandoned": "abandoned",
    "Sent a recovery message": "contacted",
    "Clicked a message": "clicked",
    "Recovered": "recovered",
    "Recovered and paid": "recovered_and_paid",
}


def test_funnel_page_equals_the_daily_funnel_mart(published: Warehouse) -> None:
    at = open_page(run_app(), "views/recovery_funnel.py")
    funnel = table(at, "stage").set_index("stage")
    sums = ", ".join(f"sum({column}) as {column}" for column in FUNNEL_COLUMNS.values())
    daily = mart(published, f"select is_provisional, {sums} from fct_recovery_funnel_daily group by 1").set_index(
        "is_provisional"
    )
    for stage, column in FUNNEL_COLUMNS.items():
        assert funnel.loc[stage, "mature"] == daily.loc[False, column], stage
        assert funnel.loc[stage, "provisional"] == daily.loc[True, column], stage

    assert metrics(at)["Recovered carts"] == f"{int(daily['recovered'].sum()):,}"
    assert metrics(at)["Abandoned carts"] == f"{int(daily['abandoned'].sum()):,}"

    by_channel = table(at, "channel").set_index("channel")
    expected = mart(
        published,
        """
        select channel,
            sum(abandoned) filter (where not is_provisional) as abandoned,
            sum(recovered) filter (where not is_provisional) as recovered,
            sum(recovered_attributed) filter (where not is_provisional) as recovered_attributed,
            sum(recovered_organic) filter (where not is_provisional) as recovered_organic,
            sum(recovered_revenue) filter (where not is_provisional) as recovered_revenue,
            coalesce(sum(abandoned) filter (where is_provisional), 0) as abandoned_provisional,
            coalesce(sum(recovered) filter (where is_provisional), 0) as recovered_provisional
        from fct_recovery_funnel_daily where channel <> 'not_abandoned' group by 1
        """,
    )
    assert len(by_channel) == len(expected)
    for row in expected.itertuples(index=False):
        shown = by_channel.loc[{"email": "Email", "sms": "SMS", "none": "No message sent"}[row.channel]]
        for column in (
            "abandoned",
            "recovered",
            "recovered_attributed",
            "recovered_organic",
            "abandoned_provisional",
            "recovered_provisional",
        ):
            assert shown[column] == getattr(row, column), (row.channel, column)
        assert shown["recovered_revenue"] == pytest.approx(float(row.recovered_revenue), abs=0.005)
        assert shown["recovery_rate"] == pytest.approx(row.recovered / row.abandoned, rel=1e-12)

    by_flow = table(at, "flow").set_index("flow")
    flows = mart(
        published,
        """
        select coalesce(deciding_message_flow, 'No recovery message') as flow,
            count(*) filter (where not is_provisional) as abandoned,
            count(*) filter (where is_recovered and not is_provisional) as recovered,
            count(*) filter (where is_provisional) as abandoned_provisional,
            coalesce(sum(recovered_revenue) filter (where not is_provisional), 0) as recovered_revenue
        from fct_cart_recovery where is_abandoned group by 1
        """,
    )
    assert len(by_flow) == len(flows) >= 2
    for row in flows.itertuples(index=False):
        assert by_flow.loc[row.flow, "abandoned"] == row.abandoned
        assert by_flow.loc[row.flow, "recovered"] == row.recovered
        assert by_flow.loc[row.flow, "abandoned_provisional"] == row.abandoned_provisional
        assert by_flow.loc[row.flow, "recovered_revenue"] == pytest.approx(float(row.recovered_revenue), abs=0.005)


def test_funnel_page_shows_no_rate_its_own_counts_contradict(published: Warehouse) -> None:
    """Every rate on the page is recovered ÷ abandoned of the counts shown beside it."""
    at = open_page(run_app(), "views/recovery_funnel.py")
    tables = [table(at, "channel"), table(at, "flow")]
    for frame in tables:
        for row in frame.itertuples(index=False):
            expected = row.recovered / row.abandoned if row.abandoned else None
            assert row.recovery_rate == pytest.approx(expected, rel=1e-12), row
    kpis = metrics(at)
    recovered, abandoned = (
        int(part.replace(",", ""))
        for part in deltas(at)["Recovery rate"].removeprefix("mature cohorts: ").split(" of ")
    )
    assert kpis["Recovery rate"] == pct(recovered / abandoned)


def test_funnel_page_time_to_recovery_bins(published: Warehouse) -> None:
    at = open_page(run_app(), "views/recovery_funnel.py")
    # time to recovery: 6-hour bins per recovery type, counted here from the mart's hours
    times = json.loads(at.get("plotly_chart")[-1].proto.spec)
    plotted_bins = {
        (trace["name"].lower(), round(x - 3)): y
        for trace in times["data"]
        for x, y in zip(plotted(trace["x"]), plotted(trace["y"]), strict=True)
    }
    expected_bins = mart(
        published,
        """select recovery_type, cast(floor(hours_to_recovery / 6) * 6 as integer) as bin, count(*) as carts
           from fct_cart_recovery where is_recovered group by all""",
    )
    assert plotted_bins == {(row.recovery_type, row.bin): row.carts for row in expected_bins.itertuples()}
    assert sum(plotted_bins.values()) == one(published, "select count(*) from fct_cart_recovery where is_recovered")


def test_funnel_page_follows_the_currency_and_channel_filters(published: Warehouse) -> None:
    at = open_page(run_app(), "views/recovery_funnel.py")
    before = table(at, "stage")
    dates = full_range(published)
    set_filters(at, channels=["email"], currencies=["GBP"])
    funnel = table(at, "stage").set_index("stage")
    where, params = recovery_where(dates, ["email"], ["GBP"])
    row = mart(
        published,
        f"""
        select
            count(*) filter (where checkout_started_at is not null and not is_provisional) as checkouts,
            count(*) filter (where is_abandoned and not is_provisional) as abandoned,
            count(*) filter (where is_recovered and not is_provisional) as recovered,
            count(*) filter (where is_recovered and is_provisional) as recovered_provisional
        from fct_cart_recovery where {where}
        """,
        params,
    ).iloc[0]
    assert funnel.loc["Checkout started", "mature"] == row["checkouts"]
    assert funnel.loc["Abandoned", "mature"] == row["abandoned"]
    assert funnel.loc["Recovered", "mature"] == row["recovered"]
    assert funnel.loc["Recovered", "provisional"] == row["recovered_provisional"]
    assert not before.equals(table(at, "stage"))
    assert list(table(at, "channel")["channel"]) == ["Email"]

    storefront = table(at, "storefront_channel").set_index("storefront_channel")
    expected = mart(
        published,
        f"select recovered_order_source_name as s, count(*) as n, sum(recovered_revenue) as revenue "
        f"from fct_cart_recovery where {where} and is_recovered group by 1",
        params,
    )
    assert {k: int(v) for k, v in storefront["recovered"].items()} == dict(
        zip(expected["s"], expected["n"].astype(int), strict=True)
    )


# --- Exceptions ------------------------------------------------------------------------------------------------


def test_exceptions_page_splits_open_exceptions_by_who_can_clear_them(published: Warehouse) -> None:
    """Open exceptions that only an owner can close are counted apart from those the data will clear, per type
    as the rules seed says (amount_mismatch, duplicate_capture, refund_exceeds_capture, processor_mismatch and
    price_drift never clear by themselves)."""
    never_clear = {
        "amount_mismatch",
        "duplicate_capture",
        "refund_exceeds_capture",
        "processor_mismatch",
        "price_drift",
    }
    seed = pd.read_csv(REPO_ROOT / "seeds" / "exception_rules.csv")
    assert set(seed.loc[~seed["clears_by_itself"], "exception_type"]) == never_clear
    at = open_page(run_app(), "views/exceptions.py")
    counts = mart(
        published,
        """
        select
            count(*) filter (where list_contains(?, exception_type)) as owner,
            count(*) filter (where not list_contains(?, exception_type)) as data,
            median(hours_past_due) filter (where list_contains(?, exception_type)) as owner_median
        from fct_workflow_exceptions where status = 'open'
        """,
        [sorted(never_clear)] * 3,
    ).iloc[0]
    assert counts["owner"] > 0 and counts["data"] > 0
    shown, notes = metrics(at), deltas(at)
    assert shown["Open, needs an owner's action"] == f"{int(counts['owner']):,}"
    assert shown["Open, clears by itself"] == f"{int(counts['data']):,}"
    assert int(counts["owner"]) + int(counts["data"]) == int(shown["Open exceptions"].replace(",", ""))
    median_hours = float(counts["owner_median"])
    assert median_hours >= 48, "owner-action exceptions age: the demo's median is days past SLA"
    assert notes["Open, needs an owner's action"] == f"median {median_hours / 24:,.1f} days past SLA"
    listing = table(at, "exception_id")
    open_rows = listing[listing["status"] == "open"]
    owner_rows = open_rows["exception_type"].isin(never_clear)
    assert (open_rows.loc[owner_rows, "waiting_for"] == "needs an owner's action").all()
    assert open_rows.loc[~owner_rows, "waiting_for"].str.startswith("clears by itself when: ").all()


def test_exceptions_page_equals_the_exceptions_mart(published: Warehouse) -> None:
    at = open_page(run_app(), "views/exceptions.py")
    totals = mart(
        published,
        "select count(*) filter (where status = 'open') as open, "
        "count(*) filter (where status = 'open' and severity in ('critical', 'high')) as urgent, "
        "sum(amount_at_risk) filter (where status = 'open') as at_risk from fct_workflow_exceptions",
    ).iloc[0]
    shown = metrics(at)
    assert shown["Open exceptions"] == f"{int(totals['open']):,}"
    assert shown["Open, critical or high"] == f"{int(totals['urgent']):,}"
    assert shown["Open amount at risk"] == money(float(totals["at_risk"]))

    queue = table(at, "open_amount_at_risk")
    expected = mart(
        published,
        "select owner, count(*) as exceptions, count(*) filter (where status = 'open') as open, "
        "coalesce(sum(amount_at_risk) filter (where status = 'open'), 0) as at_risk "
        "from fct_workflow_exceptions group by 1",
    )
    assert {r.owner: (r.exceptions, r.open, round(r.open_amount_at_risk, 2)) for r in queue.itertuples()} == {
        r.owner: (r.exceptions, r.open, round(float(r.at_risk), 2)) for r in expected.itertuples()
    }

    listing = table(at, "exception_id")
    assert len(listing) == one(published, "select count(*) from fct_workflow_exceptions")
    assert set(listing["exception_id"]) == set(
        mart(published, "select exception_id from fct_workflow_exceptions")["exception_id"]
    )
    assert at.get("download_button"), "the queue can be downloaded as CSV"

    for dimension in ("route", "severity", "status"):
        at.button_group(key="exceptions_group_by").set_value(dimension).run()
        assert not at.exception
        grouped = table(at, "open_amount_at_risk")
        expected = mart(published, f"select {dimension}, count(*) as n from fct_workflow_exceptions group by 1")
        assert dict(zip(grouped[dimension], grouped["exceptions"], strict=True)) == dict(
            zip(expected[dimension], expected["n"], strict=True)
        )


def test_exception_filters_and_drill_down_history(published: Warehouse) -> None:
    at = open_page(run_app(), "views/exceptions.py")
    at.multiselect(key="exceptions_status").set_value(["open"])
    at.multiselect(key="exceptions_severity").set_value(["critical", "high"]).run()
    assert not at.exception
    listing = table(at, "exception_id")
    expected = one(
        published,
        "select count(*) from fct_workflow_exceptions where status = 'open' and severity in ('critical', 'high')",
    )
    assert len(listing) == expected
    assert metrics(at)["Open exceptions"] == f"{expected:,}"

    chosen = listing["exception_id"].iloc[0]
    at.selectbox(key="exceptions_drilldown").set_value(chosen).run()
    history = table(at, "seen_from")
    snapshot = mart(
        published,
        "select status, amount_at_risk from snap_workflow_exceptions where exception_id = ? order by dbt_valid_from",
        [chosen],
    )
    assert len(history) == len(snapshot) >= 1
    assert list(history["status"]) == list(snapshot["status"])
    route = mart(
        published, "select route, route_description from fct_workflow_exceptions where exception_id = ?", [chosen]
    ).iloc[0]
    shown = f"**Route** {route['route']}: {route['route_description']}"
    assert any(shown in element.value for element in at.markdown), "the drill-down names the route in words"


def test_exceptions_date_filter(published: Warehouse) -> None:
    at = open_page(run_app(), "views/exceptions.py")
    dates = (dt.date(2026, 9, 1), dt.date(2026, 10, 15))
    set_filters(at, dates)
    expected = one(
        published,
        "select count(*) from fct_workflow_exceptions where cast(detected_at as date) between ? and ?",
        list(dates),
    )
    assert len(table(at, "exception_id")) == expected
    assert expected < one(published, "select count(*) from fct_workflow_exceptions")


# --- Reconciliation and data health ----------------------------------------------------------------------------


def test_reconciliation_page_equals_the_mart(published: Warehouse) -> None:
    at = open_page(run_app(), "views/reconciliation.py")
    summary = table(at, "days_aligned")
    expected = mart(
        published,
        "select source_system, measure, count(*) as days, sum(difference) as difference, "
        "sum(unexplained_difference) as unexplained, bool_and(is_aligned) as aligned "
        "from rpt_source_reconciliation group by 1, 2",
    )
    merged = summary.merge(expected, on=["source_system", "measure"], validate="one_to_one")
    assert len(merged) == len(expected) == len(summary)
    assert (merged["days_x"] == merged["days_y"]).all()
    assert merged["difference_x"].astype(float).round(2).equals(merged["difference_y"].astype(float).round(2))
    assert metrics(at)["Measures not aligned"] == f"{int((~expected['aligned']).sum()):,}"

    dates = (dt.date(2026, 8, 1), dt.date(2026, 8, 7))
    set_filters(at, dates)
    assert table(at, "days_aligned")["days"].max() <= 7
    assert int(table(at, "days_aligned")["days"].sum()) == one(
        published, "select count(*) from rpt_source_reconciliation where recon_date between ? and ?", list(dates)
    )


def test_data_health_page_equals_the_build(published: Warehouse) -> None:
    at = open_page(run_app(), "views/data_health.py")
    shown = metrics(at)
    tests = mart(
        published,
        "select count(*) as n, count(*) filter (where status = 'pass') as passed from warehouse_node_results "
        "where resource_type in ('test', 'unit_test')",
    ).iloc[0]
    assert shown["dbt tests passed"] == f"{int(tests['passed']):,} of {int(tests['n']):,}"
    assert shown["Rejected rows"] == f"{one(published, 'select count(*) from rejected_records'):,}"
    published_at = published.marker()["published_at"]
    assert shown["Last publish"] == pd.Timestamp(published_at).strftime("%d %b %Y")

    rejected = table(at, "rejected_rows")
    expected = mart(published, "select source_table, reason, count(*) as n from rejected_records group by 1, 2")
    assert len(rejected) == len(expected)
    assert int(rejected["rejected_rows"].sum()) == int(expected["n"].sum())
    assert len(table(at, "table_name")) == one(published, "select count(*) from warehouse_source_freshness")


def test_exception_list_is_bounded_and_the_csv_has_every_row(published: Warehouse) -> None:
    """The page lists the most urgent `limit` exceptions; the CSV (written on click) holds all of them, same order."""
    build = db.current_build()
    assert build is not None
    first, last = full_range(published)
    everything = db.Filters(start=first, end=last)
    csv = pd.read_csv(io.BytesIO(exception_csv(build, everything)))
    assert len(csv) == one(published, "select count(*) from fct_workflow_exceptions")
    shown = exception_list(build, everything, limit=25)
    assert list(shown["exception_id"]) == list(csv["exception_id"][:25])
    assert (shown["status"].iloc[0], shown["severity"].iloc[0]) == ("open", "critical")


# --- parameters, allow-lists, sandbox --------------------------------------------------------------------------


def test_sql_in_filter_values_is_treated_as_data(published: Warehouse) -> None:
    build = db.current_build()
    assert build is not None
    first, last = full_range(published)
    hostile = db.Filters(start=first, end=last, channels=(SQL_TEXT,), currencies=(SQL_TEXT,))
    assert recovery_kpis(build, hostile)["abandoned"] == 0
    assert recovery_trend(build, hostile).empty
    assert exception_list(build, hostile, statuses=(SQL_TEXT,)).empty
    assert exception_history(build, SQL_TEXT).empty
    with pytest.raises(ValueError, match="cannot group"):
        exception_queue(build, hostile, "owner; drop table fct_workflow_exceptions")
    with pytest.raises(ValueError, match="unknown trend grain"):
        recovery_trend(build, hostile, "cohort_date) from fct_orders; --")

    at = open_page(run_app(), "views/exceptions.py")
    at.text_input(key="exceptions_search").set_value(SQL_TEXT).run()
    assert not at.exception
    assert table(at, "exception_id").empty
    assert metrics(at)["Open exceptions"] == "0"
    entity = one(published, "select entity_id from fct_workflow_exceptions order by exception_id limit 1")
    at.text_input(key="exceptions_search").set_value(entity).run()
    assert entity in set(table(at, "exception_id")["entity_id"])

    # Values outside the filters' allow-lists never reach a query: they are dropped.
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["filter_currencies"] = [SQL_TEXT, "EUR"]
    at.session_state["filter_channels"] = [SQL_TEXT]
    at.run()
    assert not at.exception
    assert at.multiselect(key="filter_currencies").value == ["EUR"]
    assert at.multiselect(key="filter_channels").value == []
    assert one(published, "select count(*) from fct_cart_recovery") > 0


def test_dashboard_connection_is_read_only_and_sandboxed(published: Warehouse) -> None:
    assert db.query("select current_setting('TimeZone') as tz")["tz"].iloc[0] == "UTC"
    for statement in (
        "create table x as select 1 as a",
        "select * from read_csv('/etc/hostname')",
        "copy (select 1) to '/tmp/cart_recovery_dashboard_escape.csv'",
        "set enable_external_access = true",
        "set lock_configuration = false",
    ):
        with pytest.raises(duckdb.Error):
            db.query(statement)


def test_dashboard_reads_the_marts_its_exposure_names(published: Warehouse) -> None:
    """db.py is the only module that opens the warehouse and queries/ holds the SQL; what they read is the
    exposure's marts plus the build's own tables."""
    import re

    import yaml

    exposures = yaml.safe_load((REPO_ROOT / "models" / "marts" / "_exposures.yml").read_text())["exposures"]
    dashboard = next(e for e in exposures if e["type"] == "dashboard")
    declared = {re.fullmatch(r"ref\('(\w+)'\)", ref).group(1) for ref in dashboard["depends_on"]}
    build_tables = {"warehouse_build", "warehouse_node_results", "warehouse_source_freshness"}

    relations = set(
        mart(published, "select table_name as name from duckdb_tables() union select view_name from duckdb_views()")[
            "name"
        ]
    )
    modules = [REPO_ROOT / "dashboard" / "db.py", *sorted((REPO_ROOT / "dashboard" / "queries").glob("*.py"))]
    source = "\n".join(module.read_text() for module in modules)
    read = set(re.findall(r"\b(?:from|join)\s+([a-z_][a-z0-9_]*)\b", source)) & relations
    assert read == declared | build_tables
    assert not any(name.startswith(("stg_", "base_", "int_")) for name in read)
    marts = {path.stem for path in (REPO_ROOT / "models" / "marts").rglob("*.sql")}
    snapshots = {"snap_workflow_exceptions"}
    assert declared <= marts | snapshots

    for module in (REPO_ROOT / "dashboard").rglob("*.py"):
        if module.name != "db.py":
            assert "duckdb" not in module.read_text(), f"{module} must query through db.py"


def test_concurrent_sessions_can_query_at_once(published: Warehouse) -> None:
    """Streamlit runs sessions in threads; DuckDB shares one instance per file within a process."""
    from concurrent.futures import ThreadPoolExecutor

    build = db.current_build()
    expected = one(published, "select count(*) from fct_cart_recovery")

    def count(_: int) -> int:
        return int(db.query("select count(*) as n from fct_cart_recovery", build=build)["n"].iloc[0])

    with ThreadPoolExecutor(max_workers=6) as pool:
        assert set(pool.map(count, range(60))) == {expected}


# --- publishing while the dashboard is open --------------------------------------------------------------------


def republish(published_path: Path, invocation_id: str, sql: str) -> None:
    """Stand-in for a publish: a changed copy of the warehouse replaces the file atomically, then the marker."""
    staged = published_path.with_name("staged.duckdb")
    shutil.copyfile(published_path, staged)
    con = duckdb.connect(str(staged))
    try:
        con.execute(sql)
        con.execute("update warehouse_build set invocation_id = ?", [invocation_id])
        con.execute("checkpoint")
    finally:
        con.close()
    os.replace(staged, published_path)
    marker = published_path.with_suffix(".build.json")
    payload = json.loads(marker.read_text())
    payload.update(dbt_invocation_id=invocation_id, published_at=dt.datetime.now(dt.UTC).isoformat())
    marker.write_text(json.dumps(payload))


@pytest.fixture
def private_copy(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, warehouse: Warehouse) -> Path:
    """A copy of the published warehouse (and its marker) that a test may republish."""
    path = tmp_path / "cart_recovery.duckdb"
    shutil.copyfile(warehouse.published_path, path)
    shutil.copyfile(warehouse.marker_path, path.with_suffix(".build.json"))
    monkeypatch.setenv("CART_RECOVERY_WAREHOUSE", str(path))
    return path


def test_a_new_publish_shows_at_once(private_copy: Path) -> None:
    at = run_app()
    before = metrics(at)["Abandoned carts"]
    eur = one(private_copy, "select sum(abandoned) from fct_recovery_funnel_daily where currency = 'EUR'")
    assert eur > 0

    republish(private_copy, "test-republish", "delete from fct_recovery_funnel_daily where currency = 'EUR'")
    at.run()  # no cache clearing: the cache key is the published build
    assert not at.exception
    after = metrics(at)["Abandoned carts"]
    assert int(after.replace(",", "")) == int(before.replace(",", "")) - eur


def test_the_file_alone_says_which_build_it_holds(monkeypatch: pytest.MonkeyPatch, private_copy: Path) -> None:
    """The dashboard identifies the build from the file itself: a marker beside it that says something else (a
    publish killed between replacing the file and writing the marker) changes nothing."""
    marker = private_copy.with_suffix(".build.json")
    marker.write_text(json.dumps({**json.loads(marker.read_text()), "dbt_invocation_id": "a-publish-in-flight"}))
    at = run_app()
    assert not at.warning and not at.error
    assert metrics(at)["Abandoned carts"] != "0"
    assert db.current_build().invocation_id == one(private_copy, "select invocation_id from warehouse_build")
    marker.unlink()
    assert run_app().metric, "no marker at all is fine too"


def test_a_damaged_file_is_reported_as_broken_not_refreshing(
    monkeypatch: pytest.MonkeyPatch, private_copy: Path
) -> None:
    monkeypatch.setattr(db, "RETRY_PAUSE_SECONDS", 0.0)
    data = private_copy.read_bytes()
    private_copy.write_bytes(data[: len(data) // 3])  # truncated
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert not at.metric
    assert "cannot be read: the file is damaged" in at.error[0].value
    assert "No build is replacing it right now" in at.error[0].value
    assert "make build" in at.error[0].value

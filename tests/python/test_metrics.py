"""The semantic layer (models/semantic/, docs/metrics.md): `make metrics` answers "recovery rate by channel by week"
from a copy of the published warehouse, equal to a hand-written SQL over fct_recovery_funnel_daily, and the
dashboard's SQL for a metric is rendered from the same definition MetricFlow reads."""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

import pytest
from conftest import MetricflowRun, Warehouse

from cart_recovery.metrics import MetricDefinitionError, SemanticLayer

#: Σ recovered ÷ Σ abandoned of mature cohorts, per ISO week (Monday) of the cohort date and channel, written by hand.
WEEKLY_BY_CHANNEL = """
    select
        cast(date_trunc('week', cohort_date) as date) as week,
        channel,
        sum(recovered) filter (where not is_provisional)
        / nullif(sum(abandoned) filter (where not is_provisional), 0) as recovery_rate
    from fct_recovery_funnel_daily
    where channel <> 'not_abandoned'
    group by 1, 2
    order by 1, 2
"""
PRINTED_ROW = re.compile(r"^(\d{4}-\d\d-\d\d)T00:00:00\s+([a-z_]+)\s*([0-9.e+-]*)\s*$")


def read_csv(path: Path) -> list[tuple[dt.date, str, float | None]]:
    with path.open(newline="") as file:
        rows = list(csv.DictReader(file))
    return [
        (
            dt.date.fromisoformat(row["metric_time__week"][:10]),
            row["funnel_row__channel"],
            float(row["recovery_rate"]) if row["recovery_rate"] else None,
        )
        for row in rows
    ]


@pytest.fixture(scope="module")
def by_hand(warehouse: Warehouse) -> list[tuple[dt.date, str, float | None]]:
    con = warehouse.connect()
    try:
        return [tuple(row) for row in con.execute(WEEKLY_BY_CHANNEL).fetchall()]
    finally:
        con.close()


def test_make_metrics_equals_a_hand_written_sql(metricflow: MetricflowRun, by_hand: list) -> None:
    """The CSV of the default query equals the hand-written SQL row for row and to the last digit; what it prints
    (six significant digits) is the same table."""
    assert len(by_hand) >= 8 and {channel for _, channel, _ in by_hand} == {"email", "sms", "none"}
    assert any(rate is None for *_, rate in by_hand) and any(rate and rate > 0 for *_, rate in by_hand)
    assert read_csv(metricflow.weekly_csv) == by_hand

    printed = [PRINTED_ROW.match(line) for line in metricflow.stdout.splitlines()]
    rows = [
        (dt.date.fromisoformat(match[1]), match[2], float(match[3]) if match[3] else None) for match in printed if match
    ]
    assert [(week, channel) for week, channel, _ in rows] == [(week, channel) for week, channel, _ in by_hand]
    for (_, _, shown), (_, _, exact) in zip(rows, by_hand, strict=True):
        assert shown == (None if exact is None else pytest.approx(exact, rel=1e-5, abs=1e-6))
    assert "a copy; the published file is only read" in metricflow.stdout


def test_metrics_never_write_the_published_file(metricflow: MetricflowRun, warehouse: Warehouse) -> None:
    """MetricFlow ran against a copy: the published file holds no MetricFlow table and opens read-only."""
    con = warehouse.connect()
    try:
        tables = {row[0] for row in con.execute("select table_name from duckdb_tables()").fetchall()}
    finally:
        con.close()
    assert "fct_recovery_funnel_daily" in tables
    assert not [table for table in tables if "metricflow" in table or table.startswith("mf_")]


def test_the_dashboard_sql_is_rendered_from_the_metric_definition(tmp_path: Path) -> None:
    """A ratio renders as MetricFlow renders it; a metric whose SQL cannot be rendered fails naming file and metric."""
    (tmp_path / "_semantic__models.yml").write_text(
        """
semantic_models:
  - name: funnel
    model: ref('fct_recovery_funnel_daily')
    measures:
      - {name: won, agg: sum, expr: "case when ok then won end"}
      - {name: tried, agg: sum}
      - {name: spread, agg: percentile}
metrics:
  - {name: won_total, type: simple, type_params: {measure: won}}
  - {name: tried_total, type: simple, type_params: {measure: tried}}
  - {name: win_rate, type: ratio, type_params: {numerator: won_total, denominator: tried_total}}
  - {name: spread_metric, type: simple, type_params: {measure: spread}}
  - {name: filtered, type: simple, filter: "x", type_params: {measure: won}}
"""
    )
    layer = SemanticLayer.load(tmp_path)
    assert layer.sql("win_rate") == (
        "cast(sum(case when ok then won end) as double) / cast(nullif(sum(tried), 0) as double)"
    )
    assert layer.table("win_rate") == "fct_recovery_funnel_daily"
    with pytest.raises(MetricDefinitionError, match=r"^\S*_semantic__models\.yml: measure 'spread'"):
        layer.sql("spread_metric")
    with pytest.raises(MetricDefinitionError, match=r"^\S*_semantic__models\.yml: metric 'filtered'"):
        layer.sql("filtered")

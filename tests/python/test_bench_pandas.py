"""The benchmark's pandas baseline (bench/pandas_funnel.py) computes exactly fct_recovery_funnel_daily.

`make bench` compares its wall time and peak memory with `dbt build -s +fct_recovery_funnel_daily`; that
comparison is only honest while both compute the same table, so it is checked row for row on both seeds.
"""

from __future__ import annotations

import datetime as dt
import math
import sys
from decimal import Decimal
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from conftest import REPO_ROOT, Warehouse

sys.path.insert(0, str(REPO_ROOT))
from bench.pandas_funnel import FUNNEL_COLUMNS, compute_funnel


def plain(value: Any) -> Any:
    """A pandas/numpy/pyarrow cell as the Python value DuckDB returns for the same cell."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        return plain(value.item())
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value


def mart_rows(warehouse: Warehouse) -> tuple[list[str], list[tuple]]:
    con = duckdb.connect(str(warehouse.published_path), read_only=True)
    try:
        cursor = con.execute("select * from fct_recovery_funnel_daily order by cohort_date, channel, currency")
        columns = [column[0] for column in cursor.description]
        return columns, cursor.fetchall()
    finally:
        con.close()


def test_pandas_funnel_equals_the_dbt_mart_row_for_row(seeded_warehouse: Warehouse) -> None:
    columns, expected = mart_rows(seeded_warehouse)
    funnel = compute_funnel(seeded_warehouse.raw_dir)

    assert list(funnel.columns) == columns == FUNNEL_COLUMNS
    actual = [
        tuple(plain(value) for value in row)
        for row in funnel.sort_values(["cohort_date", "channel", "currency"]).itertuples(index=False)
    ]
    assert len(actual) == len(expected)
    for got, want in zip(actual, expected, strict=True):
        assert got == want, dict(zip(columns, zip(got, want, strict=True), strict=True))
    # The comparison is not vacuous: revenue, every channel and both provisional states are present.
    at = {name: columns.index(name) for name in ("channel", "currency", "recovered_revenue", "is_provisional")}
    assert {row[at["channel"]] for row in expected} == {"email", "sms", "none", "not_abandoned"}
    assert {row[at["currency"]] for row in expected} == {"USD", "EUR", "GBP", "JPY"}
    assert sum((row[at["recovered_revenue"]] for row in expected), Decimal(0)) > 0
    assert {row[at["is_provisional"]] for row in expected} == {True, False}
    assert all(isinstance(row[1], dt.date) for row in actual)

"""Dashboard placeholder: reads the published warehouse only, and says so when nothing is published."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
import streamlit as st
from conftest import REPO_ROOT, Warehouse
from streamlit.testing.v1 import AppTest

APP = str(REPO_ROOT / "dashboard" / "app.py")


@pytest.fixture(autouse=True)
def clear_streamlit_caches() -> Iterator[None]:
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def test_nothing_published_yet(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CART_RECOVERY_WAREHOUSE", str(tmp_path / "missing.duckdb"))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert "Nothing is published yet" in at.info[0].value


def test_lists_published_tables_with_row_counts(monkeypatch: pytest.MonkeyPatch, warehouse: Warehouse) -> None:
    monkeypatch.setenv("CART_RECOVERY_WAREHOUSE", str(warehouse.published_path))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    tables = at.dataframe[0].value
    counts = dict(zip(tables["table"], tables["rows"], strict=True))
    assert counts == {name: rows for name, rows in warehouse.marker()["tables"].items() if "." not in name}


def test_dashboard_connection_is_read_only_and_sandboxed(monkeypatch: pytest.MonkeyPatch, warehouse: Warehouse) -> None:
    monkeypatch.setenv("CART_RECOVERY_WAREHOUSE", str(warehouse.published_path))
    monkeypatch.syspath_prepend(str(REPO_ROOT / "dashboard"))
    import db

    assert db.query("select current_setting('TimeZone') as tz")["tz"].iloc[0] == "UTC"
    for statement in (
        "create table x as select 1 as a",
        "select * from read_csv('/etc/hostname')",
        "set enable_external_access = true",
    ):
        with pytest.raises(duckdb.Error):
            db.query(statement)

"""The only module of the dashboard that talks to DuckDB.

Every query opens a short-lived read-only connection to the published warehouse and closes it again, so the
dashboard never holds the file (a `make build` can always publish) and always sees the latest publish.
The connection cannot read or write other files and cannot be reconfigured.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_WAREHOUSE = "warehouse/cart_recovery.duckdb"
CACHE_TTL_SECONDS = 60


def warehouse_path() -> Path:
    """The published warehouse ($CART_RECOVERY_WAREHOUSE; relative paths are relative to the repo root)."""
    path = Path(os.environ.get("CART_RECOVERY_WAREHOUSE") or DEFAULT_WAREHOUSE).expanduser()
    return path if path.is_absolute() else REPO_ROOT / path


def publish_version() -> str | None:
    """Identity of the current publish (changes on every publish); None when nothing is published."""
    try:
        stat = warehouse_path().stat()
    except FileNotFoundError:
        return None
    return f"{stat.st_ino}:{stat.st_mtime_ns}"


def _connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(warehouse_path()), read_only=True, config={"enable_external_access": False})
    try:
        # TimeZone cannot be passed in `config` (needs ICU loaded first); lock the configuration after it.
        con.execute("set TimeZone = 'UTC'")
        con.execute("set lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con


def query(sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
    """Run one parameterised (`?`) query on a fresh read-only connection."""
    con = _connect()
    try:
        return con.execute(sql, list(params)).df()
    finally:
        con.close()


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def table_row_counts(version: str) -> pd.DataFrame:
    """Base tables of the published warehouse with their row counts. `version` keys the cache."""
    tables = query(
        "select schema_name, table_name from duckdb_tables() "
        "where database_name = current_database() and not internal order by schema_name, table_name"
    )
    rows = []
    for schema, table in tables.itertuples(index=False):
        count = query(f'select count(*) as n from "{schema}"."{table}"')["n"].iloc[0]
        rows.append({"schema": schema, "table": table, "rows": int(count)})
    return pd.DataFrame(rows, columns=["schema", "table", "rows"])

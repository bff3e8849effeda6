"""The dashboard's one way into the warehouse: connection, builds, filters and the shared query helpers.

This is the only module that talks to DuckDB. Every query opens a short-lived read-only connection to the
published warehouse and closes it again, so the dashboard never holds the file (a `make build` can always publish)
and always sees the latest publish. The connection cannot read or write other files and cannot be reconfigured.
Values are bound as `?` parameters; the few identifiers that vary come from allow-lists.

The queries themselves live in `queries/`, one module per domain (recovery, exceptions, reconciliation, health).
Their results are cached with `st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=SPINNER)`, keyed by the
published file's build (`Build.version` changes with every publish, so a new publish shows at once). The dashboard
reads public marts only plus the build's own metadata tables written by the publish step.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_WAREHOUSE = "warehouse/cart_recovery.duckdb"
CACHE_TTL_SECONDS = 300
SPINNER = "Querying the warehouse…"
CONNECT_ATTEMPTS = 5
RETRY_PAUSE_SECONDS = 0.2  # between connection attempts while a publish swaps the file (grows per attempt)
REFRESH_PAUSE_SECONDS = 1.0  # before the page reruns after showing the "refreshing" notice

#: The channels the global filter offers (an allow-list: only these reach SQL).
CHANNELS: tuple[str, ...] = ("email", "sms", "none", "not_abandoned")


# Streamlit serves every session in its own thread, but within one process DuckDB shares one database instance per
# file among all open connections: a second concurrent connection would land on the first one's instance (whose
# configuration is already locked, and which may still be the file an earlier publish replaced). So this process
# runs one query at a time; each holds the lock only for connect-query-close (milliseconds on these marts).
_QUERY_LOCK = threading.Lock()


class WarehouseRefreshingError(RuntimeError):
    """A publish replaced the file between two queries of one page; the page is run again on the new file."""


class WarehouseBrokenError(RuntimeError):
    """The published file exists but cannot be read (corrupt or truncated): no publish is under way that would
    fix it; it has to be rebuilt."""


@dataclass(frozen=True)
class Build:
    """The published warehouse as it is now, identified from the file itself (its `warehouse_build` row), never
    from a file beside it. `version` changes with every publish and keys every cache."""

    path: str
    version: str
    invocation_id: str | None
    published_at: str | None


@dataclass(frozen=True)
class Filters:
    """The global filters. Empty `channels` / `currencies` mean all of them."""

    start: dt.date
    end: dt.date
    channels: tuple[str, ...] = ()
    currencies: tuple[str, ...] = ()


# --- the published file ------------------------------------------------------------------------------------


def warehouse_path() -> Path:
    """The published warehouse ($CART_RECOVERY_WAREHOUSE; relative paths are relative to the repo root)."""
    path = Path(os.environ.get("CART_RECOVERY_WAREHOUSE") or DEFAULT_WAREHOUSE).expanduser()
    return path if path.is_absolute() else REPO_ROOT / path


def current_build() -> Build | None:
    """The current publish (one stat, and one small read of the file when it changed); None when nothing is
    published. Raises WarehouseBrokenError when the file cannot be read."""
    path = warehouse_path()
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    file_version = f"{stat.st_ino}:{stat.st_mtime_ns}:{stat.st_size}"
    invocation_id, built_at = _build_identity(str(path), file_version)
    return Build(
        path=str(path),
        version=f"{file_version}:{invocation_id}",
        invocation_id=invocation_id,
        published_at=built_at,
    )


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False, max_entries=8)
def _build_identity(path: str, file_version: str) -> tuple[str | None, str | None]:
    """The invocation id and build time recorded inside the file (cached per file version)."""
    last_error: Exception | None = None
    for attempt in range(CONNECT_ATTEMPTS):
        if attempt:
            time.sleep(RETRY_PAUSE_SECONDS * attempt)
        with _QUERY_LOCK:
            try:
                con = _connect(path)
            except duckdb.Error as error:
                last_error = error
                continue
            try:
                row = con.execute("select max(invocation_id), max(built_at) from warehouse_build").fetchall()[0]
            except duckdb.Error as error:
                last_error = error
                continue
            finally:
                con.close()
        return row[0], None if row[1] is None else row[1].replace(tzinfo=dt.UTC).isoformat()
    raise WarehouseBrokenError(f"{path} cannot be read as a published warehouse: {last_error}")


def publish_version() -> str | None:
    """Identity of the current publish (changes on every publish); None when nothing is published."""
    build = current_build()
    return None if build is None else build.version


def _connect(path: str | Path | None = None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path or warehouse_path()), read_only=True, config={"enable_external_access": False})
    try:
        # TimeZone cannot be passed in `config` (needs ICU loaded first); lock the configuration after it.
        con.execute("set TimeZone = 'UTC'")
        con.execute("set lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con


def query(sql: str, params: Sequence[Any] = (), build: Build | None = None) -> pd.DataFrame:
    """Run one parameterised (`?`) query on a fresh read-only connection.

    With `build`, the file must still hold that build (its `warehouse_build` invocation id): when a publish
    replaced it since the page started, `WarehouseRefreshingError` makes the page run again on the new file.
    """
    path = build.path if build else warehouse_path()
    for attempt in range(CONNECT_ATTEMPTS):
        if attempt:
            time.sleep(RETRY_PAUSE_SECONDS * attempt)
        with _QUERY_LOCK:
            try:
                con = _connect(path)
            except duckdb.IOException:
                continue  # an I/O hiccup: try again
            try:
                if build is not None and build.invocation_id is not None:
                    found = con.execute("select max(invocation_id) from warehouse_build").fetchall()[0][0]
                    if found != build.invocation_id:
                        raise WarehouseRefreshingError(f"{path} was replaced by a new publish.")
                return con.execute(sql, list(params)).df()
            finally:
                con.close()
    raise WarehouseBrokenError(f"{path} cannot be opened as a published warehouse.")


# --- shared by the query modules ---------------------------------------------------------------------------


def where_clause(
    filters: Filters, date_column: str, channel_column: str | None, currency_column: str | None
) -> tuple[str, list[Any]]:
    """A where clause for the global filters. Column names are literals of the query modules, never user input."""
    clauses = [f"{date_column} between ? and ?"]
    params: list[Any] = [filters.start, filters.end]
    if channel_column and filters.channels:
        clauses.append(f"list_contains(?::varchar[], {channel_column})")
        params.append(list(filters.channels))
    if currency_column and filters.currencies:
        clauses.append(f"list_contains(?::varchar[], {currency_column})")
        params.append(list(filters.currencies))
    return " and ".join(clauses), params


def one_row(frame: pd.DataFrame) -> dict[str, Any]:
    """The single row of an aggregate query as a dict of plain Python values."""
    row = frame.iloc[0].to_dict()
    return {key: _plain(value) for key, value in row.items()}


def _plain(value: Any) -> Any:
    if value is None or (not isinstance(value, str | tuple | list) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value

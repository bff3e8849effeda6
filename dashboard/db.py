"""The only module of the dashboard that talks to DuckDB.

Every query opens a short-lived read-only connection to the published warehouse and closes it again, so the
dashboard never holds the file (a `make build` can always publish) and always sees the latest publish.
The connection cannot read or write other files and cannot be reconfigured. Values are bound as `?`
parameters; the few identifiers that vary (the queue's grouping column) come from an allow-list.

Results are cached with `st.cache_data`, keyed by the published file's build (`Build.version` changes with
every publish, so a new publish shows at once) and expiring after `CACHE_TTL_SECONDS`. The dashboard reads
public marts only plus the build's own metadata tables written by the publish step.
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

# Allow-lists: the only values that ever reach SQL as identifiers or that the filters offer.
CHANNELS: tuple[str, ...] = ("email", "sms", "none", "not_abandoned")
QUEUE_DIMENSIONS: dict[str, str] = {
    "owner": "owner",
    "route": "route",
    "severity": "severity",
    "status": "status",
    "exception_type": "exception_type",
    "source_system": "source_system",
}
SEVERITIES: tuple[str, ...] = ("critical", "high", "medium", "low")
STATUSES: tuple[str, ...] = ("open", "resolved")
TREND_GRAINS: dict[str, str] = {
    "day": "cohort_date",
    "week": "cast(date_trunc('week', cohort_date) as date)",  # ISO weeks, starting on Monday
}


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


# --- filters -----------------------------------------------------------------------------------------------


def _where(
    filters: Filters, date_column: str, channel_column: str | None, currency_column: str | None
) -> tuple[str, list[Any]]:
    """A where clause for the global filters. Column names are literals of this module, never user input."""
    clauses = [f"{date_column} between ? and ?"]
    params: list[Any] = [filters.start, filters.end]
    if channel_column and filters.channels:
        clauses.append(f"list_contains(?::varchar[], {channel_column})")
        params.append(list(filters.channels))
    if currency_column and filters.currencies:
        clauses.append(f"list_contains(?::varchar[], {currency_column})")
        params.append(list(filters.currencies))
    return " and ".join(clauses), params


def _recovery_where(filters: Filters) -> tuple[str, list[Any]]:
    return _where(filters, "cohort_date", "funnel_channel", "currency")


def _exception_where(filters: Filters) -> tuple[str, list[Any]]:
    return _where(filters, "cast(detected_at as date)", None, None)


def _records(frame: pd.DataFrame) -> dict[str, Any]:
    """The single row of an aggregate query as a dict of plain Python values."""
    row = frame.iloc[0].to_dict()
    return {key: _plain(value) for key, value in row.items()}


def _plain(value: Any) -> Any:
    if value is None or (not isinstance(value, str | tuple | list) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value


# --- build-wide facts --------------------------------------------------------------------------------------


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=SPINNER)
def build_facts(build: Build) -> dict[str, Any]:
    """Reporting currency, as-of, the date span of the data, the currencies present and what a cart is (`cart`, or
    `checkout` when the storefront is read from Fivetran's tables: docs/connectors.md)."""
    facts = _records(
        query(
            """
            with spans as (
                select min(cohort_date) as lo, max(cohort_date) as hi from fct_cart_recovery
                union all
                select min(cast(detected_at as date)), max(cast(detected_at as date)) from fct_workflow_exceptions
                union all
                select min(recon_date), max(recon_date) from rpt_source_reconciliation
                union all
                select min(cast(loaded_at as date)), max(cast(loaded_at as date)) from rejected_records
            )
            select
                (select min(lo) from spans) as first_date,
                (select max(hi) from spans) as last_date,
                (select max(as_of) from fct_workflow_exceptions) as as_of,
                (select any_value(cart_grain) from fct_cart_recovery) as cart_grain,
                coalesce(
                    (select any_value(reporting_currency) from fct_cart_recovery),
                    (select any_value(reporting_currency) from fct_orders)
                ) as reporting_currency
            """,
            build=build,
        )
    )
    currencies = query("select distinct currency from fct_cart_recovery order by currency", build=build)
    facts["currencies"] = tuple(currencies["currency"].tolist())
    today = dt.date.today()
    facts["first_date"] = pd.Timestamp(facts["first_date"]).date() if facts["first_date"] is not None else today
    facts["last_date"] = pd.Timestamp(facts["last_date"]).date() if facts["last_date"] is not None else today
    facts["reporting_currency"] = facts["reporting_currency"] or "USD"
    return facts


# --- recovery (fct_recovery_funnel_daily; per-cart detail from fct_cart_recovery) ---------------------------

#: The headline recovery rate of any set of daily funnel rows: Σ recovered ÷ Σ abandoned over the rows whose cohort
#: is mature (fct_recovery_funnel_daily's documented rule); the notebook uses the same expression.
MATURE_RECOVERY_RATE_SQL = (
    "sum(recovered) filter (where not is_provisional) / nullif(sum(abandoned) filter (where not is_provisional), 0)"
)


def _funnel_where(filters: Filters) -> tuple[str, list[Any]]:
    return _where(filters, "cohort_date", "channel", "currency")


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=SPINNER)
def recovery_kpis(build: Build, filters: Filters) -> dict[str, Any]:
    """Headline recovery figures from the daily funnel mart. The recovery rate is on mature cohorts only, with the
    counts it is made of; provisional parts are separate."""
    where, params = _funnel_where(filters)
    return _records(
        query(
            f"""
            select
                coalesce(sum(abandoned), 0) as abandoned,
                coalesce(sum(abandoned) filter (where is_provisional), 0) as abandoned_provisional,
                coalesce(sum(abandoned) filter (where not is_provisional), 0) as abandoned_mature,
                coalesce(sum(recovered), 0) as recovered,
                coalesce(sum(recovered) filter (where not is_provisional), 0) as recovered_mature,
                coalesce(sum(recovered) filter (where is_provisional), 0) as recovered_provisional,
                coalesce(sum(recovered_revenue), 0) as recovered_revenue,
                coalesce(sum(recovered_revenue) filter (where is_provisional), 0) as recovered_revenue_provisional,
                {MATURE_RECOVERY_RATE_SQL} as recovery_rate_mature,
                count(distinct cohort_date) filter (where is_provisional and abandoned > 0) as provisional_cohorts
            from fct_recovery_funnel_daily
            where {where}
            """,
            params,
            build=build,
        )
    )


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=SPINNER)
def recovery_trend(build: Build, filters: Filters, grain: str = "day") -> pd.DataFrame:
    """Per cohort day or week (allow-listed `grain`): abandoned, recovered (attributed/organic), recovery rate,
    revenue, and whether any cohort in it is provisional."""
    if grain not in TREND_GRAINS:
        raise ValueError(f"unknown trend grain {grain!r}")
    where, params = _funnel_where(filters)
    return query(
        f"""
        select
            {TREND_GRAINS[grain]} as cohort_date,
            bool_or(is_provisional) as is_provisional,
            sum(abandoned) as abandoned,
            sum(recovered) as recovered,
            sum(recovered_attributed) as recovered_attributed,
            sum(recovered_organic) as recovered_organic,
            sum(recovered) / nullif(sum(abandoned), 0) as recovery_rate,
            coalesce(sum(recovered_revenue), 0) as recovered_revenue
        from fct_recovery_funnel_daily
        where {where}
        group by 1
        having sum(abandoned) > 0
        order by 1
        """,
        params,
        build=build,
    )


#: Funnel stages and the daily funnel mart's column that counts each.
FUNNEL_STAGES: tuple[tuple[str, str], ...] = (
    ("Checkout started", "checkouts_started"),
    ("Contact captured", "contact_captured"),
    ("Abandoned", "abandoned"),
    ("Sent a recovery message", "contacted"),
    ("Clicked a message", "clicked"),
    ("Recovered", "recovered"),
    ("Recovered and paid", "recovered_and_paid"),
)


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=SPINNER)
def recovery_funnel(build: Build, filters: Filters) -> pd.DataFrame:
    """Carts at each funnel stage, split into mature and provisional cohorts."""
    where, params = _funnel_where(filters)
    columns = ",\n".join(
        f'coalesce(sum({column}) filter (where not is_provisional), 0) as "{stage}|mature",\n'
        f'coalesce(sum({column}) filter (where is_provisional), 0) as "{stage}|provisional"'
        for stage, column in FUNNEL_STAGES
    )
    row = _records(query(f"select {columns} from fct_recovery_funnel_daily where {where}", params, build=build))
    return pd.DataFrame(
        [
            {"stage": stage, "mature": int(row[f"{stage}|mature"]), "provisional": int(row[f"{stage}|provisional"])}
            for stage, _ in FUNNEL_STAGES
        ]
    ).assign(total=lambda frame: frame["mature"] + frame["provisional"])


#: The breakdowns of abandoned carts (by channel, by flow) share these columns: every count next to the rate is
#: from mature cohorts, so the rate is exactly recovered ÷ abandoned of the same row; provisional cohorts apart.
BREAKDOWN_SQL = f"""
            coalesce(sum(abandoned) filter (where not is_provisional), 0) as abandoned,
            coalesce(sum(recovered) filter (where not is_provisional), 0) as recovered,
            {MATURE_RECOVERY_RATE_SQL} as recovery_rate,
            coalesce(sum(recovered_attributed) filter (where not is_provisional), 0) as recovered_attributed,
            coalesce(sum(recovered_organic) filter (where not is_provisional), 0) as recovered_organic,
            coalesce(sum(recovered_revenue) filter (where not is_provisional), 0) as recovered_revenue,
            coalesce(sum(abandoned) filter (where is_provisional), 0) as abandoned_provisional,
            coalesce(sum(recovered) filter (where is_provisional), 0) as recovered_provisional"""


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=SPINNER)
def recovery_by_channel(build: Build, filters: Filters) -> pd.DataFrame:
    """Per recovery channel (the funnel's channel of abandoned carts: email, sms or none)."""
    where, params = _funnel_where(filters)
    return query(
        f"""
        select channel, {BREAKDOWN_SQL}
        from fct_recovery_funnel_daily
        where {where} and channel <> 'not_abandoned'
        group by channel
        having sum(abandoned) > 0
        order by sum(abandoned) desc, channel
        """,
        params,
        build=build,
    )


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=SPINNER)
def recovery_by_flow(build: Build, filters: Filters) -> pd.DataFrame:
    """Per messaging flow of the deciding recovery message (the one attribution looks at), from the per-cart mart
    counted as the daily funnel mart counts (one row per abandoned cart)."""
    where, params = _recovery_where(filters)
    return query(
        f"""
        with carts as (
            select
                coalesce(deciding_message_flow, 'No recovery message') as flow,
                is_provisional,
                1 as abandoned,
                case when is_recovered then 1 else 0 end as recovered,
                case when recovery_type = 'attributed' then 1 else 0 end as recovered_attributed,
                case when recovery_type = 'organic' then 1 else 0 end as recovered_organic,
                recovered_revenue
            from fct_cart_recovery
            where {where} and is_abandoned
        )
        select flow, {BREAKDOWN_SQL}
        from carts
        group by flow
        order by sum(abandoned) desc, flow
        """,
        params,
        build=build,
    )


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=SPINNER)
def recovery_by_storefront(build: Build, filters: Filters) -> pd.DataFrame:
    """Recoveries by the storefront channel of the recovering order (web, mobile_app, ...)."""
    where, params = _recovery_where(filters)
    return query(
        f"""
        select
            coalesce(recovered_order_source_name, 'unknown') as storefront_channel,
            count(*) as recovered,
            count(*) filter (where recovery_type = 'attributed') as recovered_attributed,
            count(*) filter (where recovery_type = 'organic') as recovered_organic,
            coalesce(sum(recovered_revenue), 0) as recovered_revenue,
            median(hours_to_recovery) as median_hours_to_recovery
        from fct_cart_recovery
        where {where} and is_recovered
        group by all
        order by recovered desc, storefront_channel
        """,
        params,
        build=build,
    )


#: Width of the time-to-recovery histogram's bins, hours.
RECOVERY_HOURS_BIN = 6


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=SPINNER)
def recovery_times(build: Build, filters: Filters) -> pd.DataFrame:
    """Recovered carts per RECOVERY_HOURS_BIN-hour bin of the time from abandonment to the recovering order and
    recovery type (binned in the warehouse: at 10M cart events that is ~100 000 carts), with the median hours,
    the count of recovered carts and those from provisional cohorts over all of them repeated on every row."""
    where, params = _recovery_where(filters)
    return query(
        f"""
        with recovered as (
            select recovery_type, is_provisional, hours_to_recovery
            from fct_cart_recovery
            where {where} and is_recovered
        ),
        overall as (
            select
                median(hours_to_recovery) as median_hours,
                count(*) as recovered_carts,
                count(*) filter (where is_provisional) as provisional_carts
            from recovered
        )
        select
            cast(floor(hours_to_recovery / {RECOVERY_HOURS_BIN}) * {RECOVERY_HOURS_BIN} as integer) as bin_start_hours,
            recovery_type,
            count(*) as carts,
            any_value(overall.median_hours) as median_hours,
            any_value(overall.recovered_carts) as recovered_carts,
            any_value(overall.provisional_carts) as provisional_carts
        from recovered
        cross join overall
        group by all
        order by bin_start_hours, recovery_type
        """,
        params,
        build=build,
    )


# --- exceptions (fct_workflow_exceptions, snap_workflow_exceptions) ----------------------------------------


def _exception_page_where(
    filters: Filters, statuses: Sequence[str], severities: Sequence[str], owners: Sequence[str], search: str
) -> tuple[str, list[Any]]:
    where, params = _exception_where(filters)
    for column, values in (("status", statuses), ("severity", severities), ("owner", owners)):
        if values:
            where += f" and list_contains(?::varchar[], {column})"
            params.append(list(values))
    if search:
        where += " and (contains(lower(entity_id), lower(?)) or contains(lower(details), lower(?)))"
        params += [search, search]
    return where, params


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=SPINNER)
def open_exceptions_by_severity(build: Build, filters: Filters) -> dict[str, int]:
    """Open exceptions per severity (every severity present, 0 when none)."""
    where, params = _exception_where(filters)
    frame = query(
        f"select severity, count(*) as n from fct_workflow_exceptions where {where} and status = 'open' group by 1",
        params,
        build=build,
    )
    counts = dict.fromkeys(SEVERITIES, 0)
    counts.update({str(k): int(v) for k, v in zip(frame["severity"], frame["n"], strict=True)})
    return counts


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=SPINNER)
def exception_owners(build: Build) -> tuple[str, ...]:
    return tuple(query("select distinct owner from fct_workflow_exceptions order by 1", build=build)["owner"])


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=SPINNER)
def exception_kpis(
    build: Build,
    filters: Filters,
    statuses: tuple[str, ...] = (),
    severities: tuple[str, ...] = (),
    owners: tuple[str, ...] = (),
    search: str = "",
) -> dict[str, Any]:
    """Headline figures of the exception queue under the page's filters."""
    where, params = _exception_page_where(filters, statuses, severities, owners, search)
    return _records(
        query(
            f"""
            select
                count(*) as exceptions,
                count(*) filter (where status = 'open') as open,
                count(*) filter (where status = 'open' and severity in ('critical', 'high')) as open_critical_or_high,
                coalesce(sum(amount_at_risk) filter (where status = 'open'), 0) as open_amount_at_risk,
                count(*) filter (where status = 'resolved') as resolved,
                median(hours_past_due) filter (where status = 'open') as median_open_hours_past_due,
                count(*) filter (where status = 'open' and clears_by_itself) as open_clearing_by_itself,
                median(hours_past_due) filter (where status = 'open' and clears_by_itself)
                    as median_open_hours_past_due_clearing_by_itself,
                count(*) filter (where status = 'open' and not clears_by_itself) as open_needing_owner,
                median(hours_past_due) filter (where status = 'open' and not clears_by_itself)
                    as median_open_hours_past_due_needing_owner
            from fct_workflow_exceptions
            where {where}
            """,
            params,
            build=build,
        )
    )


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=SPINNER)
def exception_queue(
    build: Build,
    filters: Filters,
    group_by: str,
    statuses: tuple[str, ...] = (),
    severities: tuple[str, ...] = (),
    owners: tuple[str, ...] = (),
    search: str = "",
) -> pd.DataFrame:
    """Exceptions summarised by one allow-listed dimension (owner, route, severity, status, ...)."""
    if group_by not in QUEUE_DIMENSIONS:
        raise ValueError(f"cannot group exceptions by {group_by!r}")
    column = QUEUE_DIMENSIONS[group_by]
    where, params = _exception_page_where(filters, statuses, severities, owners, search)
    return query(
        f"""
        select
            {column} as {column},
            count(*) as exceptions,
            count(*) filter (where status = 'open') as open,
            count(*) filter (where status = 'open' and not clears_by_itself) as open_needing_owner,
            count(*) filter (where status = 'open' and clears_by_itself) as open_clearing_by_itself,
            count(*) filter (where status = 'open' and severity in ('critical', 'high')) as open_critical_or_high,
            coalesce(sum(amount_at_risk) filter (where status = 'open'), 0) as open_amount_at_risk,
            round(max(hours_past_due) filter (where status = 'open') / 24, 1) as oldest_open_days_past_due
        from fct_workflow_exceptions
        where {where}
        group by {column}
        order by open desc, exceptions desc, {column}
        """,
        params,
        build=build,
    )


#: The exception table and its drill-down show at most this many rows (the most urgent); the CSV has them all.
EXCEPTION_ROWS_SHOWN = 1000


def _exception_list_sql(where: str) -> str:
    return f"""
        select
            exception_id, exception_type, severity, status, owner, route, source_system, entity_type, entity_id,
            detected_at, due_at, resolved_at, sla_hours, hours_past_due, round(hours_past_due / 24, 1) as days_past_due,
            amount_at_risk, details, expected_outcome, clears_by_itself,
            case
                when status = 'resolved' then 'resolved ' || strftime(resolved_at, '%Y-%m-%d %H:%M')
                when clears_by_itself then 'clears by itself when: ' || lower(expected_outcome)
                else 'needs an owner''s action'
            end as waiting_for
        from fct_workflow_exceptions
        where {where}
        order by
            status = 'resolved',
            case severity when 'critical' then 0 when 'high' then 1 when 'medium' then 2 else 3 end,
            hours_past_due desc,
            exception_id
    """


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=SPINNER)
def exception_list(
    build: Build,
    filters: Filters,
    statuses: tuple[str, ...] = (),
    severities: tuple[str, ...] = (),
    owners: tuple[str, ...] = (),
    search: str = "",
    limit: int = EXCEPTION_ROWS_SHOWN,
) -> pd.DataFrame:
    """The exceptions themselves, most severe and most overdue first: the first `limit` of them (a page lists
    what a person can work through; at 10M cart events there are ~80 000 exceptions)."""
    where, params = _exception_page_where(filters, statuses, severities, owners, search)
    return query(f"{_exception_list_sql(where)} limit ?", [*params, limit], build=build)


def exception_csv(
    build: Build,
    filters: Filters,
    statuses: tuple[str, ...] = (),
    severities: tuple[str, ...] = (),
    owners: tuple[str, ...] = (),
    search: str = "",
) -> bytes:
    """Every exception under the filters as CSV, in the list's order. Not cached and not run by a page render:
    the download button calls it when clicked (outside the script run, so no Streamlit calls in here)."""
    where, params = _exception_page_where(filters, statuses, severities, owners, search)
    return query(_exception_list_sql(where), params, build=build).to_csv(index=False).encode("utf-8")


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=SPINNER)
def exception_ageing(
    build: Build,
    filters: Filters,
    severities: tuple[str, ...] = (),
    owners: tuple[str, ...] = (),
    search: str = "",
) -> pd.DataFrame:
    """Open exceptions by how far past their SLA they are, per severity."""
    where, params = _exception_page_where(filters, ("open",), severities, owners, search)
    return query(
        f"""
        with open_exceptions as (
            select
                severity,
                case
                    when hours_past_due < 24 then 1
                    when hours_past_due < 24 * 7 then 2
                    when hours_past_due < 24 * 30 then 3
                    else 4
                end as bucket_order
            from fct_workflow_exceptions
            where {where}
        )
        select
            bucket_order,
            case bucket_order
                when 1 then 'under 1 day'
                when 2 then '1-7 days'
                when 3 then '7-30 days'
                else 'over 30 days'
            end as past_sla,
            severity,
            count(*) as open_exceptions
        from open_exceptions
        group by all
        order by bucket_order, severity
        """,
        params,
        build=build,
    )


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=SPINNER)
def exception_history(build: Build, exception_id: str) -> pd.DataFrame:
    """Every version of one exception that the builds have seen (the dbt snapshot), oldest first."""
    return query(
        """
        select
            dbt_valid_from as seen_from, dbt_valid_to as seen_until, status, resolved_at, hours_past_due,
            amount_at_risk, details
        from snap_workflow_exceptions
        where exception_id = ?
        order by dbt_valid_from
        """,
        [exception_id],
        build=build,
    )


# --- reconciliation (rpt_source_reconciliation) ------------------------------------------------------------


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=SPINNER)
def reconciliation_summary(build: Build, filters: Filters) -> pd.DataFrame:
    """Per source system x measure over the date range: days aligned and the differences, explained or not."""
    where, params = _where(filters, "recon_date", None, None)
    return query(
        f"""
        select
            source_system,
            measure,
            any_value(unit) as unit,
            count(*) as days,
            count(*) filter (where is_aligned) as days_aligned,
            sum(source_value) as source_value,
            sum(warehouse_value) as warehouse_value,
            sum(difference) as difference,
            sum(explained_by_rejected) as explained_by_rejected,
            sum(explained_by_exceptions) as explained_by_exceptions,
            sum(unexplained_difference) as unexplained_difference,
            bool_and(is_aligned) as is_aligned
        from rpt_source_reconciliation
        where {where}
        group by source_system, measure
        order by is_aligned, source_system, measure
        """,
        params,
        build=build,
    )


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=SPINNER)
def reconciliation_daily(build: Build, filters: Filters) -> pd.DataFrame:
    """One row per day x source system x measure, as the mart holds it."""
    where, params = _where(filters, "recon_date", None, None)
    return query(
        f"""
        select
            recon_date, source_system, measure, unit, source_value, warehouse_value, difference,
            explained_by_rejected, explained_by_exceptions, unexplained_difference, is_aligned
        from rpt_source_reconciliation
        where {where}
        order by recon_date, source_system, measure
        """,
        params,
        build=build,
    )


# --- data health (build metadata tables, rejected_records) -------------------------------------------------


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=SPINNER)
def build_info(build: Build) -> dict[str, Any]:
    """The build recorded inside the published file."""
    return _records(
        query(
            "select invocation_id, built_at, dbt_version, nodes_passed from warehouse_build "
            "order by built_at desc limit 1",
            build=build,
        )
    )


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=SPINNER)
def node_results_summary(build: Build) -> pd.DataFrame:
    """dbt node results of the published build per resource type and status."""
    return query(
        """
        select resource_type, status, count(*) as nodes, round(sum(execution_time), 1) as seconds
        from warehouse_node_results
        group by all
        order by resource_type, status
        """,
        build=build,
    )


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=SPINNER)
def test_results(build: Build) -> pd.DataFrame:
    """Every data and unit test of the published build, problems first."""
    return query(
        """
        select
            case when resource_type = 'test' then split_part(unique_id, '.', 3) else name end as name,
            resource_type,
            status,
            failures,
            round(execution_time, 2) as seconds,
            message
        from warehouse_node_results
        where resource_type in ('test', 'unit_test')
        order by status = 'pass', name
        """,
        build=build,
    )


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=SPINNER)
def source_freshness(build: Build) -> pd.DataFrame:
    """`dbt source freshness` at build time, one row per source table."""
    return query(
        """
        select source_name, table_name, status, max_loaded_at, checked_at, age_hours
        from warehouse_source_freshness
        order by case status when 'error' then 0 when 'runtime error' then 0 when 'warn' then 1 else 2 end,
            source_name, table_name
        """,
        build=build,
    )


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=SPINNER)
def rejected_by_reason(build: Build, filters: Filters) -> pd.DataFrame:
    """Rejected landed rows per source table and reason (landed within the date range)."""
    where, params = _where(filters, "cast(loaded_at as date)", None, None)
    return query(
        f"""
        select source_table, reason, count(*) as rejected_rows, max(loaded_at) as last_loaded_at
        from rejected_records
        where {where}
        group by all
        order by rejected_rows desc, source_table, reason
        """,
        params,
        build=build,
    )

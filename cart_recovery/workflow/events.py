"""The exception events the published warehouse implies: opened, escalated, resolved, per version.

Read from `fct_workflow_exceptions` (the current state) and `snap_workflow_exceptions` (the history across
builds). An exception's version counts its re-openings: 1, plus one each time the history shows it open again
after resolved. Per (exception, version):
- `opened` while it is open;
- `escalated` while it is open past `escalates_at` (due_at + the rule's escalate_after_hours), unless an owner
  snoozed it until later than now (the event goes out once the snooze ends, if it is still escalated);
- `resolved` once it is resolved after an earlier build saw it open; also when it left the mart after an earlier
  build saw it open (its condition no longer holds at all), with `resolved_at` = when that build published. Its
  `resolution` says how: auto, or manual (an owner's, with resolved_by and resolution_reason).
An exception that opened and resolved between two builds was never seen open: no event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import duckdb

DEFAULT_DASHBOARD_URL = "http://localhost:8501"
COLUMNS = (
    "exception_id, exception_type, owner, route, route_description, entity_type, entity_id, severity, "
    "amount_at_risk, due_at, escalates_at, status, is_escalated, resolved_at, resolution, resolved_by, "
    "resolution_reason, snoozed_until"
)


@dataclass(frozen=True)
class Event:
    exception_id: str
    event: str
    version: int
    route: str
    payload: dict[str, Any]

    @property
    def idempotency_key(self) -> str:
        return f"{self.exception_id}:{self.event}:{self.version}"


@dataclass
class History:
    version: int = 1
    seen_open: bool = False  # some build saw it open in the current version
    current: bool = False  # its newest snapshot row is current (not invalidated)
    left_at: dt.datetime | None = None


def _iso(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return aware.isoformat().replace("+00:00", "Z")
    if isinstance(value, Decimal):
        return str(value)
    return value


def _histories(connection: duckdb.DuckDBPyConnection) -> dict[str, History]:
    histories: dict[str, History] = {}
    tables = connection.execute(
        "select count(*) from information_schema.tables where table_name = 'snap_workflow_exceptions'"
    ).fetchall()
    if not tables[0][0]:
        return histories
    rows = connection.execute(
        "select exception_id, status, dbt_valid_to from snap_workflow_exceptions order by exception_id, dbt_valid_from"
    ).fetchall()
    previous: dict[str, str] = {}
    for exception_id, status, valid_to in rows:
        history = histories.setdefault(exception_id, History())
        if status == "open" and previous.get(exception_id) == "resolved":
            history.version += 1
            history.seen_open = False
        history.seen_open = history.seen_open or status == "open"
        history.current = valid_to is None
        history.left_at = valid_to
        previous[exception_id] = status
    return histories


def reporting_currency(connection: duckdb.DuckDBPyConnection) -> str | None:
    return connection.execute(
        "select coalesce((select any_value(reporting_currency) from fct_orders), "
        "(select any_value(reporting_currency) from fct_cart_recovery))"
    ).fetchall()[0][0]


def _snoozed(row: dict[str, Any], now: dt.datetime) -> bool:
    until = row.get("snoozed_until")
    if until is None:
        return False
    return (until if until.tzinfo else until.replace(tzinfo=dt.UTC)) > now


def exception_events(
    connection: duckdb.DuckDBPyConnection, dashboard_url: str, now: dt.datetime | None = None
) -> Iterator[Event]:
    """Every event the warehouse implies at `now` (notify queues those not queued before)."""
    now = now or dt.datetime.now(dt.UTC)
    currency = reporting_currency(connection)
    histories = _histories(connection)
    names = [name.strip() for name in COLUMNS.split(",")]
    current = connection.execute(f"select {COLUMNS} from fct_workflow_exceptions order by exception_id").fetchall()
    seen = set()
    for values in current:
        row = dict(zip(names, values, strict=True))
        seen.add(row["exception_id"])
        history = histories.get(row["exception_id"], History())
        if row["status"] == "open":
            yield _event(row, "opened", history.version, currency, dashboard_url)
            if row["is_escalated"] and not _snoozed(row, now):
                yield _event(row, "escalated", history.version, currency, dashboard_url)
        elif history.seen_open:
            yield _event(row, "resolved", history.version, currency, dashboard_url)
    gone = [eid for eid, h in histories.items() if eid not in seen and h.seen_open and not h.current]
    if gone:
        placeholders = ", ".join("?" for _ in gone)
        rows = connection.execute(
            f"select {COLUMNS}, dbt_valid_to from snap_workflow_exceptions "
            f"where exception_id in ({placeholders}) and dbt_valid_to is not null "
            "qualify row_number() over (partition by exception_id order by dbt_valid_from desc) = 1 "
            "order by exception_id",
            gone,
        ).fetchall()
        for values in rows:
            row = dict(zip([*names, "left_at"], values, strict=True))
            row.update(status="resolved", resolved_at=row.pop("left_at"), is_escalated=False)
            history = histories[row["exception_id"]]
            yield _event(row, "resolved", history.version, currency, dashboard_url, "auto: no longer an exception")


def _event(
    row: dict[str, Any], event: str, version: int, currency: str | None, dashboard_url: str, how: str | None = None
) -> Event:
    """`how` overrides the mart's `resolution` (auto / manual, with resolved_by and resolution_reason beside it)."""
    link = f"{dashboard_url.rstrip('/')}/exceptions?{urlencode({'exception_id': row['exception_id']})}"
    payload = {key: _iso(value) for key, value in row.items()}
    payload.update(
        event=event,
        version=version,
        currency=currency,
        link=link,
        idempotency_key=f"{row['exception_id']}:{event}:{version}",
    )
    if event == "resolved":
        payload["resolution"] = how or row.get("resolution") or "auto"
    return Event(row["exception_id"], event, version, row["route"], payload)

"""The workflow state database: a small SQLite file beside the published warehouse.

The warehouse file is replaced on every publish, so nothing an owner does and nothing notify delivers may live in
it. This file holds both, and is never replaced:
- `deliveries`: one row per (route, idempotency key), the event to send and whether the route acknowledged it;
- `delivery_attempts`: every attempt, with its status code, error and latency (append-only);
- `exception_actions`: owners' actions from the dashboard (append-only; the next build reads them as a source);
  a resolve keeps the condition the owner saw (`condition_amount_at_risk`, `condition_details`), which decides
  whether the resolution still stands (docs/definitions.md "Owners' resolutions").

Every write is one SQLite transaction (rollback journal, `synchronous=FULL`), so a process killed mid-write leaves
the file as it was before the transaction. Append-only tables refuse UPDATE and DELETE by trigger.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ACTIONS = ("acknowledge", "assign", "comment", "snooze", "resolve")
EVENTS = ("opened", "escalated", "resolved")
DELIVERY_STATUSES = ("pending", "delivered")

SCHEMA = f"""
create table if not exists deliveries (
    route text not null,
    idempotency_key text not null,
    exception_id text not null,
    event text not null check (event in {EVENTS!r}),
    version integer not null,
    payload text not null,
    status text not null check (status in {DELIVERY_STATUSES!r}),
    created_at text not null,
    delivered_at text,
    attempts integer not null default 0,
    next_attempt_at text,
    primary key (route, idempotency_key)
);
create table if not exists delivery_attempts (
    attempt_id integer primary key autoincrement,
    route text not null,
    idempotency_key text not null,
    attempted_at text not null,
    status_code integer,
    error text,
    latency_ms real not null
);
create table if not exists exception_actions (
    action_id integer primary key autoincrement,
    exception_id text not null,
    action text not null check (action in {ACTIONS!r}),
    actor text not null check (length(trim(actor)) > 0),
    acted_at text not null,
    assignee text,
    snooze_until text,
    reason text,
    comment text,
    condition_amount_at_risk text,
    condition_details text
);
create trigger if not exists delivery_attempts_append_only_u before update on delivery_attempts
    begin select raise(abort, 'delivery_attempts is append-only'); end;
create trigger if not exists delivery_attempts_append_only_d before delete on delivery_attempts
    begin select raise(abort, 'delivery_attempts is append-only'); end;
create trigger if not exists exception_actions_append_only_u before update on exception_actions
    begin select raise(abort, 'exception_actions is append-only'); end;
create trigger if not exists exception_actions_append_only_d before delete on exception_actions
    begin select raise(abort, 'exception_actions is append-only'); end;
"""


def path_beside(published_path: Path) -> Path:
    """The state database of a published warehouse: `<name>.state.sqlite` beside it (Paths.state_path)."""
    return published_path.with_name(published_path.stem + ".state.sqlite")


#: A delivery attempt that failed: an error (timeout, refused connection) or a status code outside 2xx.
FAILED_ATTEMPT = "(attempts.error is not null or coalesce(attempts.status_code, 0) not between 200 and 299)"


def read_rows(path: Path, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """The rows of one query on the state database, as dicts; none when there is no state file. Read-only: never
    creates the file (the dashboard and the build only read it)."""
    if not path.exists():
        return []
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    connection.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in connection.execute(sql, list(params)).fetchall()]
    finally:
        connection.close()


def deliveries_of(path: Path, exception_id: str) -> list[dict]:
    """The deliveries of one exception with their failed-attempt count, oldest first; none without a state file."""
    return read_rows(
        path,
        f"""
        select deliveries.route, deliveries.event, deliveries.status, deliveries.created_at,
            deliveries.delivered_at, deliveries.attempts,
            (select count(*) from delivery_attempts as attempts
             where attempts.route = deliveries.route and attempts.idempotency_key = deliveries.idempotency_key
                 and {FAILED_ATTEMPT}
            ) as failed_attempts
        from deliveries where exception_id = ? order by created_at, route
        """,
        [exception_id],
    )


def failing_deliveries_by_exception(path: Path) -> dict[str, int]:
    """Pending deliveries with at least one failed attempt, counted per exception; empty without a state file."""
    rows = read_rows(
        path,
        f"""
        select deliveries.exception_id, count(*) as failing from deliveries
        where deliveries.status = 'pending' and exists (
            select 1 from delivery_attempts as attempts
            where attempts.route = deliveries.route and attempts.idempotency_key = deliveries.idempotency_key
                and {FAILED_ATTEMPT})
        group by deliveries.exception_id
        """,
    )
    return {row["exception_id"]: row["failing"] for row in rows}


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) the state database; times in it are UTC ISO-8601 text."""
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, timeout=30, isolation_level=None)
    connection.execute("pragma journal_mode=delete")
    connection.execute("pragma synchronous=full")
    connection.execute("pragma busy_timeout=30000")
    connection.executescript(SCHEMA)
    return connection

"""`cart_recovery notify`: queue the published warehouse's exception events, then deliver them (at least once).

1. Queue: every event (events.py) for a configured route that wants it becomes a `deliveries` row keyed by
   (route, `<exception_id>:<event>:<version>`), all in one transaction; a key already there is left alone.
2. Send: each pending message (one event, or for a `daily` route one message per finished UTC day) is tried up to
   `tries` times with doubling backoff; every try is a `delivery_attempts` row, and a 2xx marks the events
   `delivered` in its own transaction right after. A route whose message still fails stops for this run; its
   events stay pending for the next. A kill between a 2xx and that commit re-sends once: the receiver
   recognises it by its Idempotency-Key.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import sqlite3
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from cart_recovery.paths import Paths
from cart_recovery.publish import open_read_only
from cart_recovery.workflow import state
from cart_recovery.workflow.events import DEFAULT_DASHBOARD_URL, Event, exception_events
from cart_recovery.workflow.routes import Route, RoutesError, configured, project_routes
from cart_recovery.workflow.senders import Message, send

EXIT_PENDING = 3
EXIT_BUSY = 4


@contextlib.contextmanager
def _alone(state_path: Path) -> Iterator[bool]:
    """Hold `<state>.notify.lock` (flock, released even by SIGKILL) so two notify runs never send the same event
    at once; yields False when another run holds it."""
    lock_path = state_path.with_name(state_path.name + ".notify.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True


@dataclass
class RouteSummary:
    queued: int = 0
    sent: int = 0
    pending: int = 0
    failed: int = 0
    held: int = 0  # a daily route's events of today, sent in tomorrow's digest


@dataclass(frozen=True)
class Retry:
    tries: int = 3
    backoff_seconds: float = 0.5
    timeout_seconds: float = 5.0


def _now_text(now: dt.datetime) -> str:
    return now.astimezone(dt.UTC).isoformat()


def queue(connection: sqlite3.Connection, events: list[Event], routes: Mapping[str, Route], now: dt.datetime) -> dict:
    """Insert the events each configured route wants, in one transaction; the number new per route."""
    queued: dict[str, int] = {}
    connection.execute("begin immediate")
    try:
        for event in events:
            route = routes.get(event.route)
            if route is None or event.event not in route.notify_on:
                continue
            cursor = connection.execute(
                "insert or ignore into deliveries (route, idempotency_key, exception_id, event, version, payload,"
                " status, created_at) values (?, ?, ?, ?, ?, ?, 'pending', ?)",
                (
                    event.route,
                    event.idempotency_key,
                    event.exception_id,
                    event.event,
                    event.version,
                    json.dumps(event.payload, sort_keys=True),
                    _now_text(now),
                ),
            )
            queued[event.route] = queued.get(event.route, 0) + cursor.rowcount
        connection.execute("commit")
    except BaseException:
        connection.execute("rollback")
        raise
    return queued


def pending_messages(connection: sqlite3.Connection, route: Route, now: dt.datetime) -> list[Message]:
    """The route's pending events as messages, oldest first; a daily route's events wait for their day to end."""
    rows = connection.execute(
        "select idempotency_key, payload, created_at from deliveries where route = ? and status = 'pending' "
        "order by created_at, idempotency_key",
        (route.route,),
    ).fetchall()
    if route.digest == "immediate":
        return [Message(route.route, key, (json.loads(payload),)) for key, payload, _ in rows]
    today = now.astimezone(dt.UTC).date().isoformat()
    days: dict[str, list[dict]] = {}
    for _, payload, created_at in rows:
        day = created_at[:10]
        if day < today:
            days.setdefault(day, []).append(json.loads(payload))
    return [
        Message(route.route, f"digest:{route.route}:{day}", tuple(payloads), digest_day=day)
        for day, payloads in sorted(days.items())
    ]


def _keys(message: Message) -> list[str]:
    return [payload["idempotency_key"] for payload in message.payloads]


def deliver(
    connection: sqlite3.Connection, route: Route, target: str, message: Message, retry: Retry, clock=None
) -> bool:
    """Try one message up to retry.tries times; record every try; mark it delivered right after a 2xx."""
    clock = clock or (lambda: dt.datetime.now(dt.UTC))
    for attempt in range(retry.tries):
        if attempt:
            time.sleep(retry.backoff_seconds * 2 ** (attempt - 1))
        outcome = send(route.kind, target, message, retry.timeout_seconds)
        keys = _keys(message)
        with connection:
            connection.execute("begin immediate")
            for key in keys:
                connection.execute(
                    "insert into delivery_attempts (route, idempotency_key, attempted_at, status_code, error, "
                    "latency_ms) values (?, ?, ?, ?, ?, ?)",
                    (route.route, key, _now_text(clock()), outcome.status_code, outcome.error, outcome.latency_ms),
                )
                connection.execute(
                    "update deliveries set attempts = attempts + 1, status = ?, delivered_at = ? "
                    "where route = ? and idempotency_key = ?",
                    (
                        "delivered" if outcome.acknowledged else "pending",
                        _now_text(clock()) if outcome.acknowledged else None,
                        route.route,
                        key,
                    ),
                )
        if outcome.acknowledged:
            return True
    return False


def send_route(
    connection: sqlite3.Connection, route: Route, target: str, now: dt.datetime, retry: Retry
) -> RouteSummary:
    summary = RouteSummary()
    for message in pending_messages(connection, route, now):
        if deliver(connection, route, target, message, retry):
            summary.sent += len(message.payloads)
        else:
            summary.failed += 1
            break
    waiting = connection.execute(
        "select created_at < ? from deliveries where route = ? and status = 'pending'",
        (now.astimezone(dt.UTC).date().isoformat(), route.route),
    ).fetchall()
    summary.pending = sum(1 for (before_today,) in waiting if before_today or route.digest == "immediate")
    summary.held = len(waiting) - summary.pending
    return summary


def notify(
    warehouse_path: Path,
    state_path: Path,
    routes: Mapping[str, Route],
    env: Mapping[str, str] | None = None,
    now: dt.datetime | None = None,
    retry: Retry | None = None,
) -> tuple[int, list[str]]:
    """Queue then send for every configured route; the exit code and one line per route."""
    env = os.environ if env is None else env
    now = now or dt.datetime.now(dt.UTC)
    retry = retry or Retry()
    targets = {key: route.resolve_target(env) for key, route in routes.items()}
    lines = [
        f"route {key}: not configured ({routes[key].target} is unset), skipped" for key in routes if not targets[key]
    ]
    live = {key: routes[key] for key, target in targets.items() if target}
    if not live:
        return 0, [*lines, "no route is configured: nothing to deliver"]
    with _alone(state_path) as alone:
        if not alone:
            return EXIT_BUSY, [*lines, f"another notify is delivering from {state_path}: run notify again after it"]
        dashboard_url = env.get("CART_RECOVERY_DASHBOARD_URL") or DEFAULT_DASHBOARD_URL
        warehouse = open_read_only(warehouse_path)
        try:
            events = list(exception_events(warehouse, dashboard_url, now))
        finally:
            warehouse.close()
        connection = state.connect(state_path)
        try:
            queued = queue(connection, events, live, now)
            summaries = {key: send_route(connection, route, targets[key], now, retry) for key, route in live.items()}
        finally:
            connection.close()
    for key, summary in summaries.items():
        lines.append(
            f"route {key}: queued {queued.get(key, 0)}, sent {summary.sent}, pending {summary.pending}, "
            f"failed {summary.failed}" + (f", held for the daily digest {summary.held}" if summary.held else "")
        )
    pending = sum(summary.pending for summary in summaries.values())
    if pending:
        lines.append(f"{pending} events stay pending; the next `cart_recovery notify` retries them")
        return EXIT_PENDING, lines
    return 0, lines


def notify_published(paths: Paths) -> int:
    """The CLI's notify: the project's routes, the published warehouse, the state beside it; prints one line per
    route and returns the exit code (0 all sent, 3 events pending, 4 another notify running, 2 invalid routes or
    nothing published)."""
    try:
        routes = project_routes(paths.project_dir)
    except RoutesError as error:
        print(error, file=sys.stderr)
        return 2
    if not paths.published_path.exists():
        print(f"{paths.published_path}: no published warehouse; run `cart_recovery build` first", file=sys.stderr)
        return 2
    code, lines = notify(paths.published_path, paths.state_path, routes)
    print("\n".join(lines))
    return code


def any_route_configured(paths: Paths, env: Mapping[str, str] | None = None) -> bool:
    try:
        return bool(configured(project_routes(paths.project_dir), env))
    except RoutesError:
        return True  # notify then says what is wrong with the routes

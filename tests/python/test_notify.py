"""Exception routes and `cart_recovery notify`: the routes validator, JSONL digests, and (marked workflow) real
builds delivering to a real loopback HTTP server, failing endpoints, a SIGKILL mid-notify and a later resolution."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest
from conftest import REPO_ROOT, Warehouse, make_env

from cart_recovery.workflow import state
from cart_recovery.workflow.events import exception_events
from cart_recovery.workflow.notify import Retry, pending_messages, send_route
from cart_recovery.workflow.routes import Route, RoutesError, load_routes

ROUTES_HEADER = "route,kind,target,notify_on,digest\n"
RULES_HEADER = "exception_type,route\n"


# ------------------------------------------------------------------------------------------------ validator
def _seeds(tmp_path: Path, routes: str, rules: str) -> tuple[Path, Path]:
    (tmp_path / "routes.csv").write_text(ROUTES_HEADER + routes)
    (tmp_path / "rules.csv").write_text(RULES_HEADER + rules)
    return tmp_path / "routes.csv", tmp_path / "rules.csv"


def test_shipped_routes_are_valid_and_send_nothing_unconfigured() -> None:
    routes = load_routes(REPO_ROOT / "seeds" / "exception_routes.csv", REPO_ROOT / "seeds" / "exception_rules.csv")
    assert set(routes) == {"payments-ops", "finance", "fulfilment", "merchandising", "crm"}
    assert all(route.target.startswith("env:CART_RECOVERY_ROUTE_") for route in routes.values())
    assert all(route.resolve_target({}) is None for route in routes.values())


def test_unknown_kind_names_the_row(tmp_path: Path) -> None:
    routes, rules = _seeds(
        tmp_path, "a,webhook,env:A,opened,immediate\nb,email,env:B,opened,immediate\n", "t1,a\nt2,b\n"
    )
    with pytest.raises(RoutesError) as error:
        load_routes(routes, rules)
    assert str(error.value).splitlines()[0].startswith(f"{routes}, row 3: kind 'email'")


def test_rule_whose_route_has_no_row_names_the_rule(tmp_path: Path) -> None:
    routes, rules = _seeds(tmp_path, "a,webhook,env:A,opened|resolved,daily\n", "t1,a\nt2,missing\n")
    with pytest.raises(RoutesError) as error:
        load_routes(routes, rules)
    first = str(error.value).splitlines()[0]
    assert first.startswith(f"{rules}, row 3: exception type 't2' names route 'missing'")


def test_unknown_event_names_the_row(tmp_path: Path) -> None:
    routes, rules = _seeds(tmp_path, "a,jsonl,/tmp/x.jsonl,opened|closed,immediate\n", "t1,a\n")
    with pytest.raises(RoutesError, match=r"row 2: notify_on names 'closed'"):
        load_routes(routes, rules)


# ------------------------------------------------------------------------------------------- JSONL, digest
def _queue_fake(connection: sqlite3.Connection, route: str, keys: list[tuple[str, str]]) -> None:
    for key, created_at in keys:
        exception_id, event, version = key.split(":")
        payload = {"idempotency_key": key, "exception_id": exception_id, "event": event}
        connection.execute(
            "insert into deliveries (route, idempotency_key, exception_id, event, version, payload, status,"
            " created_at) values (?, ?, ?, ?, ?, ?, 'pending', ?)",
            (route, key, exception_id, event, int(version), json.dumps(payload), created_at),
        )


def test_jsonl_daily_digest_one_line_per_finished_day_never_twice(tmp_path: Path) -> None:
    out = tmp_path / "events.jsonl"
    route = Route("m", "jsonl", str(out), ("opened", "resolved"), "daily")
    connection = state.connect(tmp_path / "state.sqlite")
    _queue_fake(
        connection,
        "m",
        [
            ("e1:opened:1", "2026-11-01T08:00:00+00:00"),
            ("e2:opened:1", "2026-11-01T20:00:00+00:00"),
            ("e3:opened:1", "2026-11-02T09:00:00+00:00"),
        ],
    )
    now = dt.datetime(2026, 11, 2, 12, tzinfo=dt.UTC)
    summary = send_route(connection, route, str(out), now, Retry(tries=1))
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["idempotency_key"] for line in lines] == ["digest:m:2026-11-01"]
    assert [event["idempotency_key"] for event in lines[0]["events"]] == ["e1:opened:1", "e2:opened:1"]
    assert (summary.sent, summary.pending, summary.held) == (2, 0, 1)
    # the state forgets the delivery (as after a kill before the commit): the file's keys still stop a duplicate
    connection.execute(
        "update deliveries set status = 'pending' where idempotency_key like 'e1%' or idempotency_key like 'e2%'"
    )
    next_day = now + dt.timedelta(days=1)
    assert len(pending_messages(connection, route, next_day)) == 2
    send_route(connection, route, str(out), next_day, Retry(tries=1))
    keys = [json.loads(line)["idempotency_key"] for line in out.read_text().splitlines()]
    assert keys == ["digest:m:2026-11-01", "digest:m:2026-11-02"]
    connection.close()


# ---------------------------------------------------------------------------------------- real HTTP server
class Endpoint:
    """A loopback webhook: mode 'ok' answers 200, 'fail' 500, 'hang' holds the request until released, then 500."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.acknowledged: list[tuple[str, str, dict]] = []  # (path, Idempotency-Key, body) answered 2xx
        self.received = 0
        self.hanging = threading.Event()
        self.release = threading.Event()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                endpoint.received += 1
                mode = endpoint.mode
                if mode == "hang":
                    endpoint.hanging.set()
                    endpoint.release.wait(60)
                status = 200 if mode == "ok" else 500
                if status == 200:
                    endpoint.acknowledged.append((self.path, self.headers["Idempotency-Key"], body))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def keys(self, path_prefix: str = "/") -> list[str]:
        return [key for path, key, _ in self.acknowledged if path.startswith(path_prefix)]


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    served = Endpoint()
    yield served
    served.release.set()
    served.server.shutdown()


WEBHOOK_ROUTES = {"payments-ops": "PAYMENTS_OPS", "finance": "FINANCE", "fulfilment": "FULFILMENT"}
WANTS = {
    "payments-ops": {"opened", "escalated", "resolved"},
    "finance": {"opened", "escalated", "resolved"},
    "fulfilment": {"opened", "escalated"},
    "crm": {"opened", "escalated", "resolved"},
}
FIRST_AS_OF = "2026-10-29 00:00:00"


@pytest.fixture(scope="module")
def small_world(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """300 carts ending 2026-11-01, built with as-of pinned three days earlier (the later build resolves some)."""
    from cart_recovery.generate import generate

    root = tmp_path_factory.mktemp("notify")
    generate(root / "raw", carts=300, seed=7, as_of=dt.datetime(2026, 11, 1, tzinfo=dt.UTC))
    built = Warehouse(root=root, env=make_env(root, root / "raw"))
    result = built.build("--vars", f"{{as_of: '{FIRST_AS_OF}'}}")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    shutil.copy(built.published_path, root / "first.duckdb")
    return built


def _expected_keys(published: Path) -> set[str]:
    con = duckdb.connect(str(published), read_only=True)
    rows = con.execute("select exception_id, route, is_escalated from fct_workflow_exceptions where status = 'open'")
    keys = set()
    for exception_id, route, escalated in rows.fetchall():
        if route in WANTS:
            keys.add(f"{exception_id}:opened:1")
            if escalated and "escalated" in WANTS[route]:
                keys.add(f"{exception_id}:escalated:1")
    con.close()
    return keys


def _notify(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cart_recovery", "notify"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _route_env(env: dict[str, str], endpoint: Endpoint) -> dict[str, str]:
    routed = dict(env, CART_RECOVERY_DASHBOARD_URL="http://dash.example:8501")
    for route, name in WEBHOOK_ROUTES.items():
        routed[f"CART_RECOVERY_ROUTE_{name}"] = f"{endpoint.url}/hook/{route}"
    routed["CART_RECOVERY_ROUTE_CRM"] = f"{endpoint.url}/slack"
    return routed


@pytest.mark.workflow
def test_build_notify_retry_and_resolution_each_key_once(small_world: Warehouse, endpoint: Endpoint) -> None:
    env = _route_env(small_world.env, endpoint)
    expected = _expected_keys(small_world.published_path)
    assert len(expected) > 10

    endpoint.mode = "fail"
    failed = _notify(env)
    assert failed.returncode == 3, failed.stdout + failed.stderr
    assert "retries them" in failed.stdout and endpoint.acknowledged == [] and endpoint.received > 0

    endpoint.mode = "ok"
    started = time.monotonic()
    sent = _notify(env)
    assert sent.returncode == 0, sent.stdout + sent.stderr
    assert sorted(endpoint.keys()) == sorted(expected), "every open exception's events, each exactly once"
    for path, key, body in endpoint.acknowledged:
        if path == "/slack":
            assert set(body) == {"text"}
        else:
            assert body["idempotency_key"] == key and body["link"].startswith("http://dash.example:8501/exceptions?")
            assert body["currency"] == "USD" and path == f"/hook/{body['route']}"
    slack = [body["text"] for path, _, body in endpoint.acknowledged if path == "/slack"]
    assert slack and all("recovery_stalled" in text and "crm" in text and " USD at risk" in text for text in slack)

    again = _notify(env)
    assert again.returncode == 0 and len(endpoint.acknowledged) == len(expected), "nothing new: nothing sent"
    assert "queued 0, sent 0" in again.stdout

    con = duckdb.connect(str(small_world.published_path), read_only=True)
    first_open = dict(
        con.execute("select exception_id, route from fct_workflow_exceptions where status = 'open'").fetchall()
    )
    con.close()
    second = Warehouse(root=small_world.root, env=env).build()  # unpinned: as-of moves 3 days on
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert "route payments-ops: queued" in second.stdout, "the build ran notify after its publish"
    con = duckdb.connect(str(small_world.published_path), read_only=True)
    still_open = {
        eid
        for (eid,) in con.execute("select exception_id from fct_workflow_exceptions where status = 'open'").fetchall()
    }
    con.close()
    resolved = {
        f"{eid}:resolved:1" for eid, route in first_open.items() if eid not in still_open and "resolved" in WANTS[route]
    }
    assert resolved, "the later build resolves at least one exception of a route that wants resolutions"
    keys = endpoint.keys()
    assert {key for key in keys if ":resolved:" in key} == resolved
    assert len(keys) == len(set(keys)), "every key acknowledged once"
    truth = duckdb.sql(
        f"select md5(exception_type || ':' || entity_id) from read_parquet("
        f"'{small_world.raw_dir}/manifest/exceptions.parquet') where status = 'open'"
    ).fetchall()
    truth_open = {eid for (eid,) in truth}
    assert still_open == truth_open, "the unpinned build sees what the generator injected"
    assert {f"{eid}:opened:1" for eid in truth_open} <= set(keys), "new exceptions of the later build went out too"
    assert time.monotonic() - started < 600


@pytest.mark.workflow
def test_sigkill_mid_notify_loses_nothing(small_world: Warehouse, endpoint: Endpoint, tmp_path: Path) -> None:
    published = tmp_path / "wh" / "cart_recovery.duckdb"
    published.parent.mkdir()
    shutil.copy(small_world.root / "first.duckdb", published)
    env = dict(_route_env(small_world.env, endpoint), CART_RECOVERY_WAREHOUSE=str(published))
    expected = _expected_keys(published)

    endpoint.mode = "ok"
    process = subprocess.Popen(
        [sys.executable, "-m", "cart_recovery", "notify"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while len(endpoint.acknowledged) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    endpoint.mode = "hang"  # the next request waits; the process is killed while it waits (no 2xx given)
    assert endpoint.hanging.wait(60), "notify reached the hanging request"
    process.send_signal(signal.SIGKILL)
    process.wait(30)
    endpoint.release.set()
    delivered_before = list(endpoint.keys())

    state_path = published.with_name("cart_recovery.state.sqlite")
    connection = sqlite3.connect(state_path)
    assert connection.execute("pragma integrity_check").fetchone()[0] == "ok"
    queued = {key for (key,) in connection.execute("select idempotency_key from deliveries")}
    marked = {key for (key,) in connection.execute("select idempotency_key from deliveries where status = 'delivered'")}
    connection.close()
    assert queued == expected, "every event was queued before the first send"
    assert marked <= set(delivered_before)

    endpoint.mode = "ok"
    rerun = _notify(env)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    keys = endpoint.keys()
    assert sorted(keys) == sorted(expected), "after the kill every event is acknowledged exactly once"


def test_timeouts_are_retried_recorded_and_left_pending(tmp_path: Path, endpoint: Endpoint) -> None:
    route = Route("r", "webhook", f"{endpoint.url}/hook", ("opened",), "immediate")
    connection = state.connect(tmp_path / "state.sqlite")
    _queue_fake(connection, "r", [("e1:opened:1", "2026-11-01T08:00:00+00:00")])
    now = dt.datetime(2026, 11, 1, 9, tzinfo=dt.UTC)
    endpoint.mode = "hang"
    summary = send_route(connection, route, endpoint.url + "/hook", now, Retry(2, 0.05, timeout_seconds=0.3))
    assert (summary.sent, summary.pending, summary.failed) == (0, 1, 1)
    endpoint.mode = "ok"
    summary = send_route(connection, route, endpoint.url + "/hook", now, Retry(2, 0.05, timeout_seconds=0.3))
    assert (summary.sent, summary.pending, summary.failed) == (1, 0, 0)
    attempts = connection.execute(
        "select status_code, error like '%timed out%', latency_ms >= 300 from delivery_attempts order by attempt_id"
    ).fetchall()
    assert attempts == [(None, 1, 1), (None, 1, 1), (200, None, 0)]
    row = connection.execute("select status, attempts, delivered_at is not null from deliveries").fetchone()
    assert row == ("delivered", 3, 1)
    assert endpoint.keys() == ["e1:opened:1"]
    connection.close()


def test_a_second_notify_waits_for_the_first(tmp_path: Path) -> None:
    import fcntl

    from cart_recovery.workflow.notify import EXIT_BUSY, notify

    state_path = tmp_path / "cart_recovery.state.sqlite"
    route = Route("r", "jsonl", str(tmp_path / "out.jsonl"), ("opened",), "immediate")
    with open(tmp_path / "cart_recovery.state.sqlite.notify.lock", "a") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        code, lines = notify(tmp_path / "absent.duckdb", state_path, {"r": route}, env={})
    assert code == EXIT_BUSY and lines[-1].startswith("another notify is delivering from")
    assert not state_path.exists() and not (tmp_path / "out.jsonl").exists()


def test_a_snoozed_exception_escalates_only_after_its_snooze() -> None:
    """Hand-made mart rows: an owner's snooze holds back the escalated event until it ends; opened is never held."""
    now = dt.datetime(2026, 7, 10, 12, tzinfo=dt.UTC)
    con = duckdb.connect()
    con.execute("create table fct_orders as select 'USD' as reporting_currency")
    con.execute("create table fct_cart_recovery as select 'USD' as reporting_currency where false")
    con.execute(
        "create table fct_workflow_exceptions (exception_id varchar, exception_type varchar, owner varchar, "
        "route varchar, route_description varchar, entity_type varchar, entity_id varchar, severity varchar, "
        "amount_at_risk decimal(18, 2), due_at timestamp, escalates_at timestamp, status varchar, "
        "is_escalated boolean, resolved_at timestamp, resolution varchar, resolved_by varchar, "
        "resolution_reason varchar, snoozed_until timestamp)"
    )
    for exception_id, escalated, snoozed_until in (
        ("snoozed", True, "2026-07-11 00:00:00"),  # snoozed past now: no escalated event yet
        ("snooze_over", True, "2026-07-10 11:00:00"),  # the snooze ended an hour ago
        ("never_snoozed", True, None),
        ("not_escalated", False, "2026-07-11 00:00:00"),
    ):
        con.execute(
            "insert into fct_workflow_exceptions values (?, 'oversell', 'fulfilment', 'fulfilment', 'd', 'sku', "
            "'SKU-1', 'medium', 1.00, '2026-07-08', '2026-07-09', 'open', ?, null, null, null, null, ?)",
            [exception_id, escalated, snoozed_until],
        )
    keys = {event.idempotency_key for event in exception_events(con, "http://dash", now)}
    assert keys == {
        "snoozed:opened:1",
        "snooze_over:opened:1",
        "snooze_over:escalated:1",
        "never_snoozed:opened:1",
        "never_snoozed:escalated:1",
        "not_escalated:opened:1",
    }

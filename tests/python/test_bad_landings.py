"""Bad landings, clocks and concurrent builds: a build never publishes wrong data and always says what is wrong.

Small generated landings (600 carts) with one defect each. Defects of the files themselves are found before dbt
runs (a second or two each); defects of rows are put into one landing and built once. For each: the exit code,
the first line of the message (naming the file, column or row), the published file unchanged when it must be,
and nothing lost: the conservation test compares dbt's counts with the build's own listing of the files.
Run with `make test-reliability` (not part of `make test`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import REPO_ROOT, make_env

from cart_recovery.errors import EXIT_BAD_LANDING, EXIT_BUILD_LOCKED
from cart_recovery.generate import generate

pytestmark = pytest.mark.reliability

CARTS = 600
SEED = 3


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_build(env: dict[str, str], *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cart_recovery", "build", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def copy_landing(source: Path, target: Path) -> Path:
    """A private copy of a landing (hard links: rewrite a file by unlinking it first)."""
    shutil.copytree(source, target, copy_function=os.link)
    return target


def rewrite(path: Path, table: pa.Table) -> None:
    path.unlink()
    pq.write_table(table, path)


def first_part(raw: Path, table: str) -> Path:
    return sorted((raw / table).glob("*.parquet"))[0]


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    raw = tmp_path_factory.mktemp("bad_landings") / "raw"
    generate(raw, carts=CARTS, seed=SEED)
    return raw


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory, landing: Path) -> Path:
    """A good build of the landing, published: every failing case starts from a copy of it."""
    root = tmp_path_factory.mktemp("good")
    result = run_build(make_env(root, landing))
    assert result.returncode == 0, result.stderr[-3000:]
    return root / "warehouse" / "cart_recovery.duckdb"


def failing_case(tmp_path: Path, landing: Path, published: Path, defect) -> tuple[subprocess.CompletedProcess, Path]:
    """Copy the landing and the published warehouse, apply `defect(raw)`, build; return the result and the copy."""
    raw = copy_landing(landing, tmp_path / "raw")
    defect(raw)
    env = make_env(tmp_path, raw)
    warehouse = Path(env["CART_RECOVERY_WAREHOUSE"])
    warehouse.parent.mkdir(parents=True)
    shutil.copyfile(published, warehouse)
    before = sha256(warehouse)
    result = run_build(env)
    assert sha256(warehouse) == before, "a failed build never replaces the published warehouse"
    return result, raw


def drop_column(raw: Path, table: str, column: str) -> None:
    path = first_part(raw, table)
    rewrite(path, pq.read_table(path).drop_columns([column]))


def text_column(raw: Path, table: str, column: str) -> None:
    path = first_part(raw, table)
    data = pq.read_table(path)
    index = data.schema.get_field_index(column)
    rewrite(path, data.set_column(index, column, data.column(column).cast(pa.string())))


FILE_DEFECTS = {
    "missing table folder": (
        lambda raw: shutil.rmtree(raw / "shop" / "fulfillments"),
        "{raw}/shop/fulfillments: no files for the required table shop.fulfillments",
    ),
    "missing column": (
        lambda raw: drop_column(raw, "shop/orders", "currency"),
        "shop/orders/part-00010.parquet: column currency is missing (expected varchar)",
    ),
    "column landed as text": (
        lambda raw: text_column(raw, "shop/orders", "total_price"),
        "shop/orders/part-00010.parquet: column total_price is string, expected decimal(18,2)",
    ),
    "non-Parquet file": (
        lambda raw: (raw / "shop" / "orders" / "export.csv").write_text("order_id\n1\n"),
        "shop/orders/export.csv: not a Parquet file",
    ),
    "corrupt file": (
        lambda raw: (raw / "stripe" / "charges" / "part-99999.parquet").write_bytes(b"PAR1 this is not parquet"),
        "stripe/charges/part-99999.parquet: cannot be read as Parquet",
    ),
}


@pytest.mark.parametrize("case", FILE_DEFECTS, ids=lambda case: case.replace(" ", "_"))
def test_a_file_that_breaks_the_contract_stops_the_build_before_dbt(
    tmp_path: Path, landing: Path, published: Path, case: str
) -> None:
    defect, first_line = FILE_DEFECTS[case]
    result, raw = failing_case(tmp_path, landing, published, defect)
    assert result.returncode == EXIT_BAD_LANDING, result.stderr[-2000:]
    assert result.stderr.splitlines()[0] == first_line.format(raw=raw) or result.stderr.splitlines()[0].startswith(
        first_line.format(raw=raw)
    ), result.stderr
    assert "Running with dbt" not in result.stdout, "dbt never ran"


def test_an_empty_landing_dir_fails_at_once(tmp_path: Path) -> None:
    (tmp_path / "raw").mkdir()
    started = dt.datetime.now()
    result = run_build(make_env(tmp_path, tmp_path / "raw"))
    assert result.returncode == EXIT_BAD_LANDING
    assert result.stderr.splitlines()[0].startswith(f"Nothing is landed under {tmp_path / 'raw'}")
    assert len(result.stderr.splitlines()) == 1
    assert (dt.datetime.now() - started).total_seconds() < 30


# --- defects of rows: one landing, one build ------------------------------------------------------------------

LOADED = dt.datetime(2026, 10, 28, 12)


def append_file(raw: Path, table: str, name: str, rows: list[dict], like: Path | None = None) -> None:
    """A new part file with `rows`, in the schema of the table's first part file (or `like`)."""
    schema = pq.read_schema(like or first_part(raw, table))
    columns = {field.name: [row.get(field.name) for row in rows] for field in schema}
    pq.write_table(pa.table(columns, schema=schema), raw / table / name)


def cart_event(event_id: str, occurred_at: str, loaded_at: dt.datetime = LOADED, **values: object) -> dict:
    return {
        "event_id": event_id,
        "cart_token": "cart-bad-landing",
        "event_name": "product_added_to_cart",
        "occurred_at": occurred_at,
        "customer_id": None,
        "email": "Someone@Example.com",
        "sku": "SKU-00001",
        "quantity": 1,
        "unit_price": pa.scalar(19.99).cast(pa.decimal128(18, 2)).as_py(),
        "currency": "USD",
        "_loaded_at": loaded_at,
        **values,
    }


def add_row_defects(raw: Path) -> None:
    # times: an event years ahead of its landing, a landing in 2099, events in 1900 and 9999
    messages = pq.read_table(first_part(raw, "messaging/events")).slice(0, 1).to_pylist()[0]
    append_file(
        raw,
        "messaging/events",
        "part-90001.parquet",
        [{**messages, "event_id": "kl_future", "datetime": "2031-05-01T10:00:00Z", "_loaded_at": LOADED}],
    )
    append_file(
        raw,
        "shop/cart_events",
        "part-90001.parquet",
        [
            cart_event("ev_loaded_2099", "2026-10-28T10:00:00Z", dt.datetime(2099, 1, 1)),
            cart_event("ev_1900", "1900-01-01T00:00:00Z"),
            cart_event("ev_9999", "9999-12-31T23:59:59Z"),
            # DST: the same wall-clock time on the night New York falls back, once per offset
            cart_event("ev_dst_edt", "2026-11-01T01:30:00-04:00", dt.datetime(2026, 11, 1, 7)),
            cart_event("ev_dst_est", "2026-11-01T01:30:00-05:00", dt.datetime(2026, 11, 1, 7)),
            # strings: quotes, emoji, a NUL, 200 KB
            cart_event("ev_strings", "2026-10-28T09:00:00Z", sku='say "hi" \U0001f6d2 it\'s\x00here'),
            cart_event("ev_long", "2026-10-28T09:00:01Z", sku="x" * 200_000),
            # the same key twice in one load, with different values: the later file wins, and it is reported
            cart_event("ev_conflict", "2026-10-28T09:00:02Z", quantity=1),
        ],
    )
    append_file(
        raw, "shop/cart_events", "part-90002.parquet", [cart_event("ev_conflict", "2026-10-28T09:00:02Z", quantity=3)]
    )
    # money: an amount that does not fit DECIMAL(18,2), negative money
    orders = pq.read_table(first_part(raw, "shop/orders")).slice(0, 1).to_pylist()[0]
    huge = pa.schema(
        [
            field.with_type(pa.decimal128(38, 2)) if field.name == "total_price" else field
            for field in pq.read_schema(first_part(raw, "shop/orders"))
        ]
    )
    pq.write_table(
        pa.table(
            {name: [value] for name, value in {**orders, "order_id": 990001, "total_price": 10**18}.items()},
            schema=huge,
        ),
        raw / "shop" / "orders" / "part-90001.parquet",
    )
    append_file(raw, "shop/orders", "part-90002.parquet", [{**orders, "order_id": 990002, "total_price": -5}])
    # layouts loaders write: a hive partition folder, an upper-case extension, an extra column, an empty file
    transactions = first_part(raw, "shop/transactions")
    (raw / "shop" / "transactions" / "dt=2026-07-01").mkdir()
    transactions.rename(raw / "shop" / "transactions" / "dt=2026-07-01" / transactions.name)
    fulfillments = first_part(raw, "shop/fulfillments")
    fulfillments.rename(fulfillments.with_name("PART-00010.PARQUET"))
    refunds = first_part(raw, "stripe/refunds")
    data = pq.read_table(refunds)
    rewrite(refunds, data.append_column("loader_batch", pa.array(["b1"] * data.num_rows)))
    pq.write_table(data.schema.empty_table(), raw / "stripe" / "refunds" / "part-90001.parquet")


@pytest.fixture(scope="module")
def row_defects(tmp_path_factory: pytest.TempPathFactory, landing: Path) -> tuple[dict[str, str], Path]:
    """The landing with every row defect, in a folder whose path has an apostrophe, built once."""
    root = tmp_path_factory.mktemp("rows")
    raw = copy_landing(landing, root / "it's landed" / "raw")
    add_row_defects(raw)
    env = make_env(root, raw)
    result = run_build(env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return env, raw


def query(env: dict[str, str], sql: str) -> list[tuple]:
    con = duckdb.connect(env["CART_RECOVERY_WAREHOUSE"], read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_implausible_times_are_rejected_and_move_nothing(row_defects: tuple[dict[str, str], Path]) -> None:
    env, _ = row_defects
    rejected = dict(
        query(
            env,
            "select raw_key, reason from rejected_records where raw_key in "
            "('kl_future', 'ev_loaded_2099', 'ev_1900', 'ev_9999')",
        )
    )
    assert rejected == dict.fromkeys(["kl_future", "ev_loaded_2099", "ev_1900", "ev_9999"], "implausible_time")
    # as-of is the newest plausible event (the later DST row, 2026-11-01 06:30 UTC), not 2031
    assert query(env, "select max(as_of) from fct_workflow_exceptions") == [(dt.datetime(2026, 11, 1, 6, 30),)]


def test_a_future_load_time_does_not_block_the_next_incremental_build(
    row_defects: tuple[dict[str, str], Path],
) -> None:
    env, raw = row_defects
    append_file(
        raw,
        "shop/cart_events",
        "part-90003.parquet",
        [cart_event("ev_next_batch", "2026-11-01T07:30:00Z", dt.datetime(2026, 11, 1, 8))],
    )
    result = run_build(env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert query(env, "select count(*) from staging.stg_shop__cart_events where event_id = 'ev_next_batch'") == [(1,)]


def test_money_that_cannot_be_used_is_rejected(row_defects: tuple[dict[str, str], Path]) -> None:
    env, _ = row_defects
    assert dict(query(env, "select raw_key, reason from rejected_records where raw_key in ('990001', '990002')")) == {
        "990001": "invalid_amount",
        "990002": "invalid_amount",
    }


def test_awkward_strings_and_dst_edges_are_read(row_defects: tuple[dict[str, str], Path]) -> None:
    env, _ = row_defects
    staged = dict(
        query(env, "select event_id, occurred_at from staging.stg_shop__cart_events where event_id like 'ev_dst_%'")
    )
    assert staged == {"ev_dst_edt": dt.datetime(2026, 11, 1, 5, 30), "ev_dst_est": dt.datetime(2026, 11, 1, 6, 30)}
    skus = dict(
        query(
            env, "select event_id, sku from staging.stg_shop__cart_events where event_id in ('ev_strings', 'ev_long')"
        )
    )
    assert skus == {"ev_strings": 'say "hi" \U0001f6d2 it\'s\x00here', "ev_long": "x" * 200_000}


def test_conflicting_duplicates_resolve_the_same_way_every_time_and_are_reported(
    row_defects: tuple[dict[str, str], Path],
) -> None:
    env, _ = row_defects
    # same key, same load time: the later file (then the later row) wins, in every build
    assert query(env, "select quantity from staging.stg_shop__cart_events where event_id = 'ev_conflict'") == [(3,)]
    finding = query(
        env,
        "select status, failures from warehouse_node_results "
        "where name like 'conflicting_duplicates_stg_shop__cart_events%'",
    )
    assert finding == [("warn", 1)]


def test_every_layout_loaders_write_is_read_and_conserved(
    row_defects: tuple[dict[str, str], Path], landing: Path
) -> None:
    env, _ = row_defects
    manifest = json.loads((landing / "manifest.json").read_text())["tables"]
    staged_and_rejected = dict(
        query(
            env,
            "select 'shop.transactions', (select count(*) from staging.stg_shop__transactions) + "
            "(select count(*) from rejected_records where source_table = 'shop.transactions') union all "
            "select 'shop.fulfillments', (select count(*) from staging.stg_shop__fulfillments) + "
            "(select count(*) from rejected_records where source_table = 'shop.fulfillments')",
        )
    )
    for table in ("shop.transactions", "shop.fulfillments"):
        stats = manifest[table]
        assert staged_and_rejected[table] == stats["landed_rows"] - stats["duplicates_removed"], table
    conserved = query(
        env,
        "select count(*), count(*) filter (where status = 'pass') from warehouse_node_results "
        "where name like 'landed_rows_conserved%'",
    )
    assert conserved == [(11, 11)]


# --- as-of pinned to the past -----------------------------------------------------------------------------------

PINNED = dt.datetime(2026, 9, 15)
PUBLIC_MARTS = [
    "fct_orders",
    "fct_payments",
    "fct_cart_recovery",
    "fct_recovery_funnel_daily",
    "fct_workflow_exceptions",
    "rpt_source_reconciliation",
    "rejected_records",
]


def differences(a: Path, b: Path, table: str) -> tuple[int, int, int]:
    """(rows in a, rows only in a, rows only in b), EXCEPT ALL both ways on every column."""
    con = duckdb.connect()
    try:
        con.execute(f"attach '{a}' as a (read_only)")
        con.execute(f"attach '{b}' as b (read_only)")
        rows = con.execute(f"select count(*) from a.main.{table}").fetchone()[0]
        only_a, only_b = (
            con.execute(f"select count(*) from (from {x}.main.{table} except all from {y}.main.{table})").fetchone()[0]
            for x, y in (("a", "b"), ("b", "a"))
        )
        return rows, only_a, only_b
    finally:
        con.close()


@pytest.fixture(scope="module")
def pinned_builds(tmp_path_factory: pytest.TempPathFactory, landing: Path) -> tuple[Path, Path]:
    """Pinned to PINNED: a build of the whole landing, and one of only what had landed by then."""
    from cart_recovery.landing import split_by_loaded_at

    root = tmp_path_factory.mktemp("pinned")
    by_then, later = root / "landed_by_then", root / "landed_later"
    split_by_loaded_at(landing, [by_then, later], [PINNED + dt.timedelta(microseconds=1)])
    pin = json.dumps({"as_of": PINNED.isoformat(sep=" ")})
    published = []
    for name, raw in (("whole", landing), ("by_then", by_then)):
        env = make_env(root / name, raw)
        result = run_build(env, "--vars", pin)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        published.append(Path(env["CART_RECOVERY_WAREHOUSE"]))
    return published[0], published[1]


@pytest.mark.parametrize("table", PUBLIC_MARTS)
def test_a_pinned_as_of_reads_only_what_had_landed_by_then(pinned_builds: tuple[Path, Path], table: str) -> None:
    whole, by_then = pinned_builds
    rows, only_whole, only_by_then = differences(whole, by_then, table)
    assert rows > 0
    assert (only_whole, only_by_then) == (0, 0)


def test_a_pinned_build_is_recorded_and_the_next_build_starts_from_scratch(
    pinned_builds: tuple[Path, Path], landing: Path
) -> None:
    whole, _ = pinned_builds
    assert query({"CART_RECOVERY_WAREHOUSE": str(whole)}, "select pinned_as_of from warehouse_build") == [(PINNED,)]
    assert query({"CART_RECOVERY_WAREHOUSE": str(whole)}, "select max(as_of) from fct_workflow_exceptions") == [
        (PINNED,)
    ]
    env = make_env(whole.parent.parent, landing)
    result = run_build(env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Continuing from the published warehouse" not in result.stdout
    assert query(env, "select pinned_as_of from warehouse_build") == [(None,)]


# --- concurrent builds and kills at every phase ---------------------------------------------------------------


def start_build(env: dict[str, str], pause_file: Path, pause_at: str | None = None) -> subprocess.Popen:
    """A build in the background, its output in a file beside `pause_file` (a pipe nobody reads would block it)."""
    env = dict(env)
    if pause_at:
        env.update(CART_RECOVERY_PAUSE_AT=pause_at, CART_RECOVERY_PAUSE_FILE=str(pause_file))
    with open(pause_file.with_name("build.log"), "w") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "cart_recovery", "build"],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def wait_for(path: Path, build: subprocess.Popen, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        log = path.with_name("build.log")
        assert build.poll() is None, f"the build ended first: {log.read_text()[-3000:]}"
        assert time.monotonic() < deadline, f"{path} never appeared: {log.read_text()[-3000:]}"
        time.sleep(0.1)


def published_copy(tmp_path: Path, landing: Path, published: Path) -> dict[str, str]:
    env = make_env(tmp_path, landing)
    Path(env["CART_RECOVERY_WAREHOUSE"]).parent.mkdir(parents=True)
    shutil.copyfile(published, env["CART_RECOVERY_WAREHOUSE"])
    return env


def test_a_second_build_of_the_same_warehouse_fails_fast_whatever_its_build_path(
    tmp_path: Path, landing: Path, published: Path
) -> None:
    env = published_copy(tmp_path, landing, published)
    first = start_build(env, tmp_path / "paused", "before_dbt")
    try:
        wait_for(tmp_path / "paused", first)
        other = {**env, "CART_RECOVERY_BUILD_PATH": str(tmp_path / "elsewhere" / "other.build.duckdb")}
        started = time.monotonic()
        second = run_build(other, timeout=60)
        assert second.returncode == EXIT_BUILD_LOCKED
        assert second.stderr.startswith("Another build is already running (lock ")
        assert f"{env['CART_RECOVERY_WAREHOUSE']}.lock" in second.stderr.splitlines()[0]
        assert time.monotonic() - started < 30
    finally:
        first.kill()
        first.wait()


def phase_reached(build: subprocess.Popen, env: dict[str, str], phase: str, pause_file: Path) -> None:
    if phase == "mid_dbt":
        # dbt is running and writing the build file
        build_file = Path(env["CART_RECOVERY_BUILD_PATH"])
        deadline = time.monotonic() + 300
        while not (build_file.exists() and build_file.stat().st_size > 1_000_000):
            assert time.monotonic() < deadline and build.poll() is None, "dbt never got going"
            time.sleep(0.1)
        time.sleep(2)
    else:
        wait_for(pause_file, build)


@pytest.mark.parametrize("phase", ["locked", "before_dbt", "mid_dbt", "before_replace", "after_replace"])
def test_a_build_killed_at_any_phase_leaves_a_warehouse_the_dashboard_reads_and_labels(
    tmp_path: Path, landing: Path, published: Path, phase: str
) -> None:
    env = published_copy(tmp_path, landing, published)
    warehouse = Path(env["CART_RECOVERY_WAREHOUSE"])
    before = sha256(warehouse)
    old_invocation = query(env, "select invocation_id from warehouse_build")[0][0]
    build = start_build(env, tmp_path / "paused", None if phase == "mid_dbt" else phase)
    try:
        phase_reached(build, env, phase, tmp_path / "paused")
    finally:
        build.send_signal(signal.SIGKILL)
        build.wait()
    # published: the old file up to the replace, the new one after it; never anything in between
    if phase == "after_replace":
        assert sha256(warehouse) != before
    else:
        assert sha256(warehouse) == before
    # the dashboard opens it and labels it with the build the file itself holds
    shown = subprocess.run(
        [sys.executable, "-c", "import db; b = db.current_build(); print(b.invocation_id)"],
        cwd=REPO_ROOT / "dashboard",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout.split()[-1]
    inside = query(env, "select invocation_id from warehouse_build")[0][0]
    assert shown == inside
    assert (inside == old_invocation) == (phase != "after_replace")
    # and the next build runs (locks are released with the killed process)
    result = run_build(env)
    assert result.returncode == 0, result.stderr[-3000:]

"""Publishing (docs/operations.md "How a build publishes"): only passing builds are published, atomically, without being
blocked by readers."""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest
from conftest import BUILD_OUTPUT, REPO_ROOT, Warehouse, make_env

from cart_recovery.errors import EXIT_BAD_LANDING, EXIT_BUILD_LOCKED
from cart_recovery.publish import BUILD_INFO_TABLE


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def invocation_id(path: Path) -> str:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(f"select invocation_id from {BUILD_INFO_TABLE}").fetchall()[0][0]
    finally:
        con.close()


def test_an_optional_source_that_is_not_landed_is_one_plain_line(warehouse: Warehouse) -> None:
    """The session's landing has no reference/fx_rates (the FX seed is used): freshness skips it in one line that
    is not an error, and checks the ten landed tables. That landing is on the generator's fixed calendar, months
    old, so each table is reported stale, truthfully, with its age and what to check."""
    output = BUILD_OUTPUT[warehouse.root]
    assert "Freshness: reference.fx_rates is not landed (an optional source); not checked." in output
    assert "Freshness: 0 of 10 landed source tables are fresh." in output
    stale = [line for line in output.splitlines() if line.startswith(("Freshness ERROR: ", "Freshness WARN: "))]
    assert len(stale) == 10
    assert stale[0].startswith("Freshness ERROR: messaging.events last landed ")
    assert "(error after 72 hours). Check the loader or connector that lands messaging/events" in stale[0]
    assert "fx_rates" not in "".join(stale)


def test_published_warehouse_has_tables_and_marker(warehouse: Warehouse) -> None:
    marker = warehouse.marker()
    assert marker["published_path"] == str(warehouse.published_path)
    assert marker["dbt_invocation_id"] == invocation_id(warehouse.published_path)
    # Exposures are `no-op` nodes of a dbt build.
    assert set(marker["node_counts"]) <= {"pass", "success", "warn", "no-op"}
    assert marker["tables"]["reference.currencies"] == 4
    assert marker["tables"][BUILD_INFO_TABLE] == 1
    assert not warehouse.build_path.exists(), "the build file is moved, not copied"


def test_failing_test_leaves_published_file_untouched(warehouse: Warehouse) -> None:
    before = sha256(warehouse.published_path)
    marker_before = warehouse.marker_path.read_text()

    result = warehouse.build("--vars", "{force_failing_test: true}")

    assert result.returncode != 0
    # the root cause first, then the skipped nodes in one line
    assert result.stderr.startswith("Build failed: test.cart_recovery.publish_canary failed [fail]: ")
    assert "left unchanged" in result.stderr
    assert sha256(warehouse.published_path) == before
    assert warehouse.marker_path.read_text() == marker_before


READER = textwrap.dedent(
    """
    import sys, duckdb
    con = duckdb.connect(sys.argv[1], read_only=True)

    def snapshot():
        tables = [row[0] for row in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'main' order by 1").fetchall()]
        counts = {t: con.execute(f'select count(*) from "{t}"').fetchall()[0][0] for t in tables}
        build = con.execute("select invocation_id from warehouse_build").fetchall()[0][0]
        return repr((build, counts))

    print("BEFORE", snapshot(), flush=True)
    sys.stdin.readline()  # hold the connection open until the build has published
    print("AFTER", snapshot(), flush=True)
    con.close()
    """
)


@pytest.mark.reliability
def test_open_reader_does_not_block_build(warehouse: Warehouse) -> None:
    old_invocation = invocation_id(warehouse.published_path)
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(warehouse.published_path)],
        cwd=REPO_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = reader.stdout.readline()
        assert first.startswith("BEFORE"), reader.stderr.read()

        result = warehouse.build()
        assert result.returncode == 0, result.stderr[-3000:]

        out, err = reader.communicate("go\n", timeout=60)
    finally:
        if reader.poll() is None:
            reader.kill()
    assert reader.returncode == 0, err
    second = out.strip()
    assert second.removeprefix("AFTER") == first.strip().removeprefix("BEFORE"), "reader saw a mixed state"
    assert old_invocation in first

    new_invocation = invocation_id(warehouse.published_path)
    assert new_invocation != old_invocation
    assert new_invocation == warehouse.marker()["dbt_invocation_id"]


@pytest.mark.reliability
def test_concurrent_builds_one_fails_with_lock_message(warehouse: Warehouse) -> None:
    first = warehouse.start_build()
    time.sleep(0.2)
    second = warehouse.start_build()
    results = [(proc, *proc.communicate(timeout=900)) for proc in (first, second)]

    codes = sorted(proc.returncode for proc, _, _ in results)
    assert codes == [0, EXIT_BUILD_LOCKED], [(p.returncode, err[-2000:]) for p, _, err in results]
    loser_err = next(err for proc, _, err in results if proc.returncode == EXIT_BUILD_LOCKED)
    assert "Another build is already running" in loser_err

    con = warehouse.connect()
    try:
        assert con.execute(f"select count(*) from {BUILD_INFO_TABLE}").fetchall() == [(1,)]
        assert con.execute("select count(*) from reference.currencies").fetchall() == [(4,)]
    finally:
        con.close()


def test_build_refuses_a_missing_landing_dir_and_never_makes_data_up(tmp_path: Path) -> None:
    env = make_env(tmp_path, tmp_path / "no-such-dir")
    result = subprocess.run(
        [sys.executable, "-m", "cart_recovery", "build", "--full-refresh"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == EXIT_BAD_LANDING
    assert result.stderr.splitlines()[0].startswith(f"No landing directory at {tmp_path / 'no-such-dir'}")
    assert not (tmp_path / "no-such-dir").exists(), "no demo data was generated"
    assert not Path(env["CART_RECOVERY_WAREHOUSE"]).exists(), "nothing was published"


@pytest.mark.reliability
def test_demo_builds_without_an_error_line_and_its_as_of_is_now(tmp_path: Path) -> None:
    """`demo` on a fresh checkout (nothing landed): data ending now, a clean build (no ERROR line, not even from
    source freshness or the optional FX source), and a published as-of within a minute of the build."""
    env = make_env(tmp_path, tmp_path / "raw")
    started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    result = subprocess.run(
        [sys.executable, "-m", "cart_recovery", "demo", "--carts", "1500"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    # dbt's summary "PASS=365 WARN=0 ERROR=0" counts errors; any other mention of ERROR is one
    errors = [line for line in output.splitlines() if "ERROR" in line.replace("ERROR=0", "")]
    assert not errors, errors
    # the demo ends now: its FX rates are landed too (the seed's dates do not reach today), and every table is fresh
    assert "Freshness: 11 of 11 landed source tables are fresh." in output
    con = duckdb.connect(env["CART_RECOVERY_WAREHOUSE"], read_only=True)
    try:
        (as_of,) = con.execute("select max(as_of) from fct_workflow_exceptions").fetchall()[0]
    finally:
        con.close()
    assert abs((as_of - started).total_seconds()) <= 60, (as_of, started)
    # demo refuses a landing dir it did not write
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "notes.txt").write_text("landed by a loader")
    refused = subprocess.run(
        [sys.executable, "-m", "cart_recovery", "demo"],
        cwd=REPO_ROOT,
        env=make_env(tmp_path, tmp_path / "real"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert refused.returncode == 2
    assert "did not write" in refused.stderr
    assert (tmp_path / "real" / "notes.txt").exists()

"""Publishing (SPEC §8): only passing builds are published, atomically, without being blocked by readers."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
from conftest import REPO_ROOT, Warehouse

from cart_recovery.publish import BUILD_INFO_TABLE, EXIT_BUILD_LOCKED


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def invocation_id(path: Path) -> str:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(f"select invocation_id from {BUILD_INFO_TABLE}").fetchall()[0][0]
    finally:
        con.close()


def test_published_warehouse_has_tables_and_marker(warehouse: Warehouse) -> None:
    marker = warehouse.marker()
    assert marker["published_path"] == str(warehouse.published_path)
    assert marker["dbt_invocation_id"] == invocation_id(warehouse.published_path)
    # Exposures are `no-op` nodes of a dbt build.
    assert set(marker["node_counts"]) <= {"pass", "success", "warn", "no-op"}
    assert marker["tables"]["currencies"] == 4
    assert marker["tables"][BUILD_INFO_TABLE] == 1
    assert not warehouse.build_path.exists(), "the build file is moved, not copied"


def test_failing_test_leaves_published_file_untouched(warehouse: Warehouse) -> None:
    before = sha256(warehouse.published_path)
    marker_before = warehouse.marker_path.read_text()

    result = warehouse.build("--vars", "{force_failing_test: true}")

    assert result.returncode != 0
    assert "test.cart_recovery.publish_canary" in result.stderr
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
        assert con.execute("select count(*) from currencies").fetchall() == [(4,)]
    finally:
        con.close()

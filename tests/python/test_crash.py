"""Crash safety (docs/operations.md "How a build publishes"): a build killed with SIGKILL mid-run changes nothing
readers see, leaves no process behind, and the next build succeeds."""

from __future__ import annotations

import hashlib
import os
import signal
import time
from pathlib import Path

import pytest
from conftest import Warehouse

pytestmark = pytest.mark.reliability  # make test-reliability


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def children_of(pid: int) -> list[int]:
    """Direct children of a process, from /proc (Linux)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_sigkill_mid_build_leaves_the_published_file_and_the_next_build_works(warehouse: Warehouse) -> None:
    before = sha256(warehouse.published_path)
    marker_before = warehouse.marker_path.read_text()

    build = warehouse.start_build()
    # wait until dbt (the build's child process) is writing the build file, then kill the build without warning
    deadline = time.monotonic() + 120
    dbt_pids: list[int] = []
    while time.monotonic() < deadline:
        dbt_pids = children_of(build.pid)
        if dbt_pids and warehouse.build_path.exists() and warehouse.build_path.stat().st_size > 0:
            break
        time.sleep(0.2)
    assert dbt_pids, "dbt never started"
    time.sleep(2.0)
    os.kill(build.pid, signal.SIGKILL)
    build.wait(timeout=30)
    assert build.returncode == -signal.SIGKILL

    # the dbt child dies with it: no writer is left behind
    deadline = time.monotonic() + 30
    while any(alive(pid) for pid in dbt_pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(alive(pid) for pid in dbt_pids), "dbt survived the killed build"

    assert sha256(warehouse.published_path) == before
    assert warehouse.marker_path.read_text() == marker_before

    result = warehouse.build()
    assert result.returncode == 0, result.stderr[-3000:]
    assert warehouse.marker_path.read_text() != marker_before

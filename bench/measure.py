"""Wall time and peak resident memory of a command and every process it starts (Linux /proc).

`ru_maxrss` and `/usr/bin/time -v` report the peak of one process; a build is a tree (the build-and-publish
process starts dbt in a child). So the tree is polled: every `interval` seconds the VmRSS of the command and all
its descendants is summed, and the largest sum is the tree's peak. The sum counts pages shared between the
processes (libraries) once per process, so it slightly overstates; a process that lives shorter than one
interval can be missed.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class Measurement:
    """One measured command."""

    wall_s: float
    peak_rss_bytes: int
    returncode: int
    log_path: str | None

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def _parent_map() -> dict[int, int]:
    """pid -> parent pid for every process visible in /proc."""
    parents: dict[int, int] = {}
    with os.scandir("/proc") as entries:
        for entry in entries:
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as handle:
                    stat = handle.read()
            except OSError:
                continue
            # The command name (field 2) is in parentheses and may contain spaces: split after the last ')'.
            fields = stat[stat.rfind(b")") + 2 :].split()
            parents[int(entry.name)] = int(fields[1])
    return parents


def descendants(root: int) -> list[int]:
    """root and every process below it."""
    children: dict[int, list[int]] = {}
    for pid, parent in _parent_map().items():
        children.setdefault(parent, []).append(pid)
    tree, stack = [], [root]
    while stack:
        pid = stack.pop()
        tree.append(pid)
        stack.extend(children.get(pid, []))
    return tree


def rss_bytes(pid: int) -> int:
    """Resident set size of one process (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as handle:
            return int(handle.read().split()[1]) * PAGE_SIZE
    except (OSError, IndexError, ValueError):
        return 0


def tree_rss_bytes(root: int) -> int:
    return sum(rss_bytes(pid) for pid in descendants(root))


class TreePeakSampler:
    """Polls the peak summed RSS of a process tree in a background thread.

    RSS is read every `interval`; the tree itself (a walk over all of /proc) is re-read every `rescan` polls
    and whenever a known process is gone, which keeps the sampler's own CPU use around 1 % of a core.
    """

    def __init__(self, root: int, interval: float = 0.1, rescan: int = 5) -> None:
        self.root = root
        self.interval = interval
        self.rescan = rescan
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        tree: list[int] = []
        polls = 0
        while not self._stop.is_set():
            if polls % self.rescan == 0:
                tree = descendants(self.root)
            sizes = [rss_bytes(pid) for pid in tree]
            if 0 in sizes and polls % self.rescan:
                tree = descendants(self.root)
                sizes = [rss_bytes(pid) for pid in tree]
            self.peak = max(self.peak, sum(sizes))
            polls += 1
            self._stop.wait(self.interval)

    def __enter__(self) -> TreePeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run_measured(
    command: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    log_path: Path | None = None,
    timeout: float | None = None,
    interval: float = 0.1,
) -> Measurement:
    """Run a command to completion; its output goes to log_path (or is discarded)."""
    if log_path is not None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path or os.devnull, "w") as log:
        started = time.perf_counter()
        process = subprocess.Popen(
            list(command), env=dict(env) if env is not None else None, cwd=cwd, stdout=log, stderr=subprocess.STDOUT
        )
        with TreePeakSampler(process.pid, interval) as sampler:
            try:
                returncode = process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                returncode = -9
        wall = time.perf_counter() - started
    return Measurement(
        wall_s=wall, peak_rss_bytes=sampler.peak, returncode=returncode, log_path=str(log_path) if log_path else None
    )

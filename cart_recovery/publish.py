"""Build the warehouse into a build file and publish it atomically (SPEC §8).

DuckDB allows one writing process per file, and a reader holding the published file open must never block
`dbt build`. So dbt always writes a separate *build file*; only when every node passed is that file moved onto
the published path with `os.replace` (readers that still have the old file open keep reading the old inode).
A failed build leaves the published file untouched. An exclusive lock next to the build file keeps two builds
from writing the same build file at once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

PROJECT_DIR = Path(__file__).resolve().parent.parent

DEFAULT_RAW_DIR = "data/raw"
DEFAULT_WAREHOUSE = "warehouse/cart_recovery.duckdb"
DEFAULT_BUILD_PATH = "warehouse/build/cart_recovery.build.duckdb"

BUILD_INFO_TABLE = "warehouse_build"
NODE_RESULTS_TABLE = "warehouse_node_results"  # every model/test/seed/snapshot result of the build
FRESHNESS_TABLE = "warehouse_source_freshness"  # `dbt source freshness` at build time
HISTORY_TABLE_PREFIX = "snap_"  # dbt snapshots: carried over from the published file into each build
FAILED_STATUSES = frozenset({"error", "fail", "runtime error", "skipped"})

EXIT_BUILD_FAILED = 1
EXIT_BAD_LANDING = 2
EXIT_BUILD_LOCKED = 3


class BuildError(RuntimeError):
    """The build did not pass; nothing was published."""

    exit_code = EXIT_BUILD_FAILED


class LandingError(BuildError):
    """The landing directory cannot be built from (missing, empty or not the contract's shape)."""

    exit_code = EXIT_BAD_LANDING


class BuildLockedError(BuildError):
    """Another build holds the build lock."""

    exit_code = EXIT_BUILD_LOCKED


@dataclass(frozen=True)
class Paths:
    """Every location a build touches, absolute."""

    project_dir: Path
    raw_dir: Path
    build_path: Path
    published_path: Path
    target_path: Path
    log_path: Path

    @property
    def lock_path(self) -> Path:
        return self.build_path.with_name(self.build_path.name + ".lock")

    @property
    def marker_path(self) -> Path:
        return self.published_path.with_suffix(".build.json")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Paths:
        """Resolve paths from the environment; relative paths are relative to the project directory."""
        env = dict(os.environ if env is None else env)
        project_dir = Path(env.get("CART_RECOVERY_PROJECT_DIR", PROJECT_DIR)).resolve()

        def resolve(name: str, default: str) -> Path:
            path = Path(env.get(name) or default).expanduser()
            return path if path.is_absolute() else project_dir / path

        return cls(
            project_dir=project_dir,
            raw_dir=resolve("CART_RECOVERY_RAW_DIR", DEFAULT_RAW_DIR),
            build_path=resolve("CART_RECOVERY_BUILD_PATH", DEFAULT_BUILD_PATH),
            published_path=resolve("CART_RECOVERY_WAREHOUSE", DEFAULT_WAREHOUSE),
            target_path=resolve("DBT_TARGET_PATH", "target"),
            log_path=resolve("DBT_LOG_PATH", "logs"),
        )


@contextlib.contextmanager
def build_lock(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive, non-blocking lock for the duration of one build."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise BuildLockedError(
                f"Another build is already running (lock {lock_path} held by {holder}). "
                "Wait for it to finish and run the build again."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} since {_utc_now().isoformat()}\n")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def require_landing_data(raw_dir: Path) -> None:
    """A build reads only what is landed: a missing or empty landing directory is an error, never a reason to
    make data up (the demo data set is generated only when asked: `python -m cart_recovery demo`)."""
    if not raw_dir.is_dir():
        raise LandingError(
            f"No landing directory at {raw_dir} (CART_RECOVERY_RAW_DIR). Land your data there "
            "(README 'Landing your data'), or run `make demo` to generate and build the demo data set."
        )
    if not any(raw_dir.glob("*/*/*.parquet")):
        raise LandingError(
            f"Nothing is landed under {raw_dir}: no <system>/<table>/*.parquet files. Land your data there "
            "(README 'Landing your data'), or run `make demo` to generate and build the demo data set."
        )


def remove_database_file(path: Path) -> None:
    """Remove a DuckDB file and its write-ahead log, if present."""
    for candidate in (path, path.with_name(path.name + ".wal")):
        candidate.unlink(missing_ok=True)


def carry_over_history(published_path: Path, build_path: Path) -> list[str]:
    """Copy the snapshot tables (`snap_*`) of the published warehouse into a fresh build file.

    Every build starts from an empty build file, so without this the dbt snapshots would forget every earlier
    build. Reading the published file read-only works while dashboards hold it open.
    """
    if not published_path.exists():
        return []
    con = duckdb.connect(str(build_path))
    try:
        quoted = str(published_path).replace("'", "''")
        con.execute(f"attach '{quoted}' as published (read_only)")
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() "
            f"where database_name = 'published' and starts_with(table_name, '{HISTORY_TABLE_PREFIX}') "
            "order by schema_name, table_name"
        ).fetchall()
        for schema, table in tables:
            con.execute(f'create schema if not exists "{schema}"')
            con.execute(f'create table "{schema}"."{table}" as select * from published."{schema}"."{table}"')
        con.execute("detach published")
        con.execute("checkpoint")
    finally:
        con.close()
    return [f"{schema}.{table}" for schema, table in tables]


def run_dbt(paths: Paths, args: Sequence[str], quiet: bool = False) -> int:
    """Run one dbt command in a child process (so that DuckDB is closed and checkpointed when it ends); with
    `quiet` its output goes to the dbt log only."""
    env = dict(os.environ)
    env.update(
        CART_RECOVERY_RAW_DIR=str(paths.raw_dir),
        CART_RECOVERY_BUILD_PATH=str(paths.build_path),
        DBT_PROFILES_DIR=str(paths.project_dir),
        DBT_TARGET_PATH=str(paths.target_path),
        DBT_LOG_PATH=str(paths.log_path),
    )
    command = [
        sys.executable,
        "-c",
        "from dbt.cli.main import cli; cli()",
        *args,
        "--project-dir",
        str(paths.project_dir),
        "--profiles-dir",
        str(paths.project_dir),
        "--target-path",
        str(paths.target_path),
    ]
    output = subprocess.DEVNULL if quiet else None
    return subprocess.run(
        command,
        cwd=paths.project_dir,
        env=env,
        check=False,
        stdout=output,
        stderr=output,
        preexec_fn=_die_with_parent,
    ).returncode


def _die_with_parent() -> None:
    """In the dbt child: get SIGKILL when the build process dies, so a killed build leaves no writer behind."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def source_tables(target_path: Path) -> list[tuple[str, str]]:
    """(source, table) of every dbt source of the project, from the manifest the build just wrote."""
    manifest = json.loads((target_path / "manifest.json").read_text())
    return sorted((node["source_name"], node["name"]) for node in manifest["sources"].values())


def is_landed(raw_dir: Path, source: str, table: str) -> bool:
    folder = raw_dir / source / table
    return folder.is_dir() and any(folder.glob("*.parquet"))


def check_freshness(paths: Paths, log: Any = print) -> dict[str, Any] | None:
    """Run `dbt source freshness` on the landed source tables and say, one line each, which are stale and what to
    do. A table that is not landed (an optional source) is skipped with a plain line; stale sources are reported,
    never a reason to withhold a build."""
    (paths.target_path / "sources.json").unlink(missing_ok=True)
    tables = source_tables(paths.target_path)
    landed = [(source, table) for source, table in tables if is_landed(paths.raw_dir, source, table)]
    for source, table in tables:
        if (source, table) not in landed:
            log(f"Freshness: {source}.{table} is not landed (an optional source); not checked.")
    if not landed:
        return None
    selection = [f"source:{source}.{table}" for source, table in landed]
    run_dbt(paths, ["source", "freshness", "--quiet", "--select", *selection], quiet=True)
    path = paths.target_path / "sources.json"
    sources_json = json.loads(path.read_text()) if path.exists() else None
    for line in freshness_report(sources_json):
        log(line)
    return sources_json


#: ANSI colours of the freshness report when it goes to a terminal.
_COLOURS = {"warn": "\033[33m", "error": "\033[31m", "runtime error": "\033[31m"}


def freshness_report(sources_json: dict[str, Any] | None, colour: bool | None = None) -> list[str]:
    """One line for the fresh sources, and one per stale source with its age, its threshold and what to do."""
    if sources_json is None:
        return ["Freshness: not checked (dbt source freshness wrote no results; see its log)."]
    colour = sys.stdout.isatty() if colour is None else colour
    results = sources_json.get("results", [])
    fresh = [result for result in results if result.get("status") == "pass"]
    lines = [f"Freshness: {len(fresh)} of {len(results)} landed source tables are fresh."]
    for result in results:
        status = result.get("status")
        if status == "pass":
            continue
        name = result["unique_id"].split(".", 2)[-1]
        if status == "runtime error":
            line = f"Freshness {status}: {name}: {(result.get('message') or '').strip()[:200]}"
        else:
            criteria = result.get("criteria") or {}
            limit = criteria.get("error_after" if status == "error" else "warn_after") or {}
            age = float(result.get("max_loaded_at_time_ago_in_s") or 0) / 3600
            line = (
                f"Freshness {status.upper()}: {name} last landed {age:,.1f} h ago "
                f"({status} after {limit.get('count')} {limit.get('period')}s). "
                f"Check the loader or connector that lands {name.replace('.', '/')}: "
                "the warehouse is built but its figures stop at that table's last landing."
            )
        prefix, suffix = (_COLOURS[status], "\033[0m") if colour and status in _COLOURS else ("", "")
        lines.append(prefix + line + suffix)
    return lines


def read_run_results(target_path: Path) -> dict[str, Any] | None:
    path = target_path / "run_results.json"
    if not path.exists():
        return None
    return json.loads(path.read_text())


def failed_nodes(run_results: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(unique_id, status, message) of every node that did not pass."""
    return [
        (result["unique_id"], result["status"], (result.get("message") or "").strip())
        for result in run_results.get("results", [])
        if result["status"] in FAILED_STATUSES
    ]


def node_counts(run_results: dict[str, Any]) -> dict[str, int]:
    counts = Counter(result["status"] for result in run_results.get("results", []))
    return dict(sorted(counts.items()))


def node_result_rows(run_results: dict[str, Any]) -> list[tuple]:
    """(unique_id, resource_type, name, status, failures, execution_time, message) per node of the build."""
    rows = []
    for result in run_results.get("results", []):
        unique_id = result["unique_id"]
        rows.append(
            (
                unique_id,
                unique_id.split(".")[0],
                unique_id.split(".")[-1] if unique_id.startswith("test.") else unique_id.split(".", 2)[-1],
                result["status"],
                result.get("failures"),
                float(result.get("execution_time") or 0.0),
                (result.get("message") or "").strip()[:500],
            )
        )
    return rows


def freshness_rows(sources_json: dict[str, Any] | None) -> list[tuple]:
    """(source, table, status, max_loaded_at, checked_at, age_hours) per table from `dbt source freshness`."""
    rows = []
    for result in (sources_json or {}).get("results", []):
        unique_id = result["unique_id"]  # source.<project>.<source>.<table>
        _, _, source_name, table_name = unique_id.split(".", 3)
        max_loaded = result.get("max_loaded_at")
        snapshotted = result.get("snapshotted_at")
        age = result.get("max_loaded_at_time_ago_in_s")
        rows.append(
            (
                source_name,
                table_name,
                result.get("status"),
                _parse_time(max_loaded),
                _parse_time(snapshotted),
                None if age is None else round(float(age) / 3600.0, 2),
            )
        )
    return rows


def _parse_time(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed.astimezone(dt.UTC).replace(tzinfo=None) if parsed.tzinfo else parsed


def record_build_info(
    build_path: Path,
    run_results: dict[str, Any],
    built_at: dt.datetime,
    sources_json: dict[str, Any] | None = None,
) -> None:
    """Store the build's identity, its node results and source freshness inside the file, so readers see the
    build they actually read (the dashboard's Data health page reads these tables)."""
    metadata = run_results.get("metadata", {})
    con = duckdb.connect(str(build_path))
    try:
        con.execute(
            f"create or replace table {NODE_RESULTS_TABLE} (unique_id varchar, resource_type varchar, "
            "name varchar, status varchar, failures bigint, execution_time double, message varchar)"
        )
        con.executemany(f"insert into {NODE_RESULTS_TABLE} values (?, ?, ?, ?, ?, ?, ?)", node_result_rows(run_results))
        con.execute(
            f"create or replace table {FRESHNESS_TABLE} (source_name varchar, table_name varchar, status varchar, "
            "max_loaded_at timestamp, checked_at timestamp, age_hours double)"
        )
        fresh = freshness_rows(sources_json)
        if fresh:
            con.executemany(f"insert into {FRESHNESS_TABLE} values (?, ?, ?, ?, ?, ?)", fresh)
        con.execute(
            f"create or replace table {BUILD_INFO_TABLE} ("
            "invocation_id varchar, built_at timestamp, dbt_version varchar, nodes_passed integer)"
        )
        con.execute(
            f"insert into {BUILD_INFO_TABLE} values (?, ?, ?, ?)",
            [
                metadata.get("invocation_id"),
                built_at.replace(tzinfo=None),
                metadata.get("dbt_version"),
                sum(node_counts(run_results).values()),
            ],
        )
        con.execute("checkpoint")
    finally:
        con.close()
    wal = build_path.with_name(build_path.name + ".wal")
    if wal.exists():
        raise BuildError(f"{wal} still exists after closing the build file; refusing to publish.")


def open_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection that cannot touch other files and cannot be reconfigured."""
    con = duckdb.connect(str(path), read_only=True, config={"enable_external_access": False})
    con.execute("set TimeZone = 'UTC'")
    con.execute("set lock_configuration = true")
    return con


def table_row_counts(path: Path) -> dict[str, int]:
    """Row count of every base table in a warehouse file (views read landing files and are skipped)."""
    con = open_read_only(path)
    try:
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where database_name = current_database() and not internal "
            "order by schema_name, table_name"
        ).fetchall()
        counts = {}
        for schema, table in tables:
            name = table if schema == "main" else f"{schema}.{table}"
            rows = con.execute(f'select count(*) from "{schema}"."{table}"').fetchall()
            counts[name] = int(rows[0][0])
        return counts
    finally:
        con.close()


def publish_file(build_path: Path, published_path: Path) -> None:
    """Atomically make the build file the published file."""
    published_path.parent.mkdir(parents=True, exist_ok=True)
    if os.stat(build_path.parent).st_dev == os.stat(published_path.parent).st_dev:
        os.replace(build_path, published_path)
    else:
        # Different filesystems: copy next to the published file first, then rename (still atomic).
        staged = published_path.with_name(f".{published_path.name}.{os.getpid()}.tmp")
        try:
            shutil.copyfile(build_path, staged)
            with open(staged, "rb") as handle:
                os.fsync(handle.fileno())
            os.replace(staged, published_path)
        finally:
            staged.unlink(missing_ok=True)
        build_path.unlink()
    _fsync_dir(published_path.parent)


def write_json_atomically(path: Path, payload: dict[str, Any]) -> None:
    staged = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    staged.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")
    os.replace(staged, path)


def start_from_published(published_path: Path, build_path: Path) -> bool:
    """Copy the published warehouse to the build path, so incremental models only process new batches.

    The published file is never written after it is published, so a plain copy is consistent even while
    readers hold it open.
    """
    if not published_path.exists():
        return False
    staged = build_path.with_name(f".{build_path.name}.{os.getpid()}.tmp")
    try:
        shutil.copyfile(published_path, staged)
        os.replace(staged, build_path)
    finally:
        staged.unlink(missing_ok=True)
    return True


def build(
    paths: Paths | None = None, dbt_vars: str | None = None, full_refresh: bool = False, log: Any = print
) -> dict[str, Any]:
    """Build, test and publish the warehouse. Returns the build marker; raises BuildError on failure.

    By default the build continues from a copy of the published warehouse (incremental models add the new
    landing batches); with `full_refresh`, or when nothing is published yet, it starts from an empty file and
    only the snapshot history is carried over.
    """
    paths = paths or Paths.from_env()
    paths.build_path.parent.mkdir(parents=True, exist_ok=True)
    with build_lock(paths.lock_path):
        require_landing_data(paths.raw_dir)
        remove_database_file(paths.build_path)
        (paths.target_path / "run_results.json").unlink(missing_ok=True)
        args = ["build"]
        if not full_refresh and start_from_published(paths.published_path, paths.build_path):
            log(f"Continuing from the published warehouse {paths.published_path} (incremental)")
        else:
            carried = carry_over_history(paths.published_path, paths.build_path)
            if carried:
                log(f"Full refresh; carried over history from the published warehouse: {', '.join(carried)}")
            args.append("--full-refresh")
        if dbt_vars:
            args += ["--vars", dbt_vars]
        log(f"Building {paths.build_path} from {paths.raw_dir}")
        returncode = run_dbt(paths, args)
        run_results = read_run_results(paths.target_path)
        failures = failed_nodes(run_results) if run_results else []
        if returncode != 0 or run_results is None or failures:
            lines = [f"Build failed (dbt exit code {returncode}); {paths.published_path} was left unchanged."]
            if failures:
                lines.append("Failing nodes:")
                lines += [f"  {unique_id} [{status}] {message}" for unique_id, status, message in failures]
            else:
                lines.append("dbt failed before running any node; see its output above.")
            lines.append(f"The failed build file is kept for inspection: {paths.build_path}")
            raise BuildError("\n".join(lines))

        built_at = _utc_now()
        sources_json = check_freshness(paths, log=log)
        record_build_info(paths.build_path, run_results, built_at, sources_json)
        publish_file(paths.build_path, paths.published_path)

        tables = table_row_counts(paths.published_path)
        marker = {
            "published_at": built_at.isoformat(),
            "published_path": str(paths.published_path),
            "raw_dir": str(paths.raw_dir),
            "dbt_invocation_id": run_results.get("metadata", {}).get("invocation_id"),
            "dbt_version": run_results.get("metadata", {}).get("dbt_version"),
            "node_counts": node_counts(run_results),
            "tables": tables,
        }
        write_json_atomically(paths.marker_path, marker)
    log(format_summary(marker))
    return marker


def format_summary(marker: dict[str, Any]) -> str:
    lines = [
        f"Published {marker['published_path']} at {marker['published_at']}",
        f"dbt invocation {marker['dbt_invocation_id']}: "
        + ", ".join(f"{status}={count}" for status, count in marker["node_counts"].items()),
        "Tables:",
    ]
    width = max((len(name) for name in marker["tables"]), default=0)
    lines += [f"  {name:<{width}}  {count:>10,}" for name, count in marker["tables"].items()]
    return "\n".join(lines)


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

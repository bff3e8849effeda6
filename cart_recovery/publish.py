"""The warehouse files of a build: start from the published file, record the build inside it, publish it.

The published file is never written in place: a build writes its own build file and `publish_file` moves it onto
the published path with `os.replace`, so readers see either the old complete file or the new complete file.
Everything a reader needs to know about the build it reads (`warehouse_build`, node results, freshness) is in
the file itself; the JSON marker beside it is a summary for people and is written last.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path
from typing import Any

import duckdb

from cart_recovery import comments
from cart_recovery.dbt_run import freshness_rows, node_counts, node_result_rows
from cart_recovery.errors import BuildError
from cart_recovery.paths import Paths
from cart_recovery.workflow import actions

BUILD_INFO_TABLE = "warehouse_build"
NODE_RESULTS_TABLE = "warehouse_node_results"  # every model/test/seed/snapshot result of the build
FRESHNESS_TABLE = "warehouse_source_freshness"  # `dbt source freshness` at build time
LANDED_ROWS_TABLE = "warehouse_landed_rows"  # rows per landed table, counted from the files before dbt runs
HISTORY_TABLE_PREFIX = "snap_"  # dbt snapshots: carried over from the published file into each build
# The build's own tables, documented in docs/marts.md "What the published file holds": public beside the marts.
ACTIONS_TABLE = actions.BUILD_TABLE  # the owners' actions the build read (cart_recovery/workflow/actions.py)
METADATA_TABLES = (BUILD_INFO_TABLE, NODE_RESULTS_TABLE, FRESHNESS_TABLE, LANDED_ROWS_TABLE, ACTIONS_TABLE)
# Where the relations live. 1: everything in `main`; 2: only the interface in `main`, staging, intermediate, seeds
# and the connector's history in schemas of their own. A build does not continue from a file of another layout.
SCHEMA_LAYOUT = 2


def remove_database_file(path: Path) -> None:
    """Remove a DuckDB file and its write-ahead log, if present."""
    for candidate in (path, path.with_name(path.name + ".wal")):
        candidate.unlink(missing_ok=True)


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


def carry_over_history(published_path: Path, build_path: Path) -> list[str]:
    """Copy the snapshot tables (`snap_*`) of the published warehouse into a fresh build file.

    A full refresh starts from an empty build file, so without this the dbt snapshots would forget every earlier
    build. Reading the published file read-only works while dashboards hold it open.
    """
    if not published_path.exists():
        return []
    con = duckdb.connect(str(build_path))
    try:
        con.execute(f"attach '{_quoted(published_path)}' as published (read_only)")
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


def _published_build_value(published_path: Path, column: str) -> Any:
    """One column of the published warehouse's warehouse_build row; None when there is no such file, table or
    column (a build from before it existed), or the file cannot be read (it is rebuilt from scratch anyway)."""
    if not published_path.exists():
        return None
    try:
        con = open_read_only(published_path)
    except duckdb.Error:
        return None
    try:
        columns = {row[0] for row in con.execute(f"describe {BUILD_INFO_TABLE}").fetchall()}
        if column not in columns:
            return None
        return con.execute(f"select max({column}) from {BUILD_INFO_TABLE}").fetchall()[0][0]
    except duckdb.CatalogException:
        return None
    finally:
        con.close()


def was_pinned(published_path: Path) -> bool:
    """True when the published warehouse was built with a pinned `as_of` (a view of the past, which the next
    build must not continue from)."""
    return _published_build_value(published_path, "pinned_as_of") is not None


def published_formats(published_path: Path) -> dict[str, str] | None:
    """The source format of each system the published warehouse was built from (None when unknown): a build
    that reads a system in another format starts from scratch."""
    value = _published_build_value(published_path, "source_formats")
    return json.loads(value) if value else None


def published_layout(published_path: Path) -> int | None:
    """The schema layout (SCHEMA_LAYOUT) of the published warehouse; None when unknown (an older build)."""
    return _published_build_value(published_path, "schema_layout")


def drop_non_public(database_path: Path, manifest_path: Path) -> list[str]:
    """Drop from the public schema every table and view that is neither a public table (comments.public_tables)
    nor one of METADATA_TABLES, e.g. a leftover of an older layout or a table someone added; returns their names.
    So `show tables` in the published file lists only the interface."""
    tables = comments.public_tables(comments.load_manifest(manifest_path))
    schemas = sorted({table.schema for table in tables})
    if len(schemas) != 1:
        raise BuildError(f"{manifest_path}: the public tables are in schemas {', '.join(schemas)}, not in one.")
    schema = schemas[0]
    keep = {table.name for table in tables} | set(METADATA_TABLES)
    con = duckdb.connect(str(database_path))
    try:
        found = con.execute(
            "select 'view', view_name from duckdb_views() "
            "where database_name = current_database() and schema_name = ? and not internal "
            "union all select 'table', table_name from duckdb_tables() "
            "where database_name = current_database() and schema_name = ? "
            "order by 1 desc, 2",
            [schema, schema],
        ).fetchall()
        dropped = [(kind, name) for kind, name in found if name not in keep]
        for kind, name in dropped:
            con.execute(f'drop {kind} "{schema}"."{name}"')
        con.execute("checkpoint")
    finally:
        con.close()
    return [f"{schema}.{name}" for _, name in dropped]


def record_landed_rows(build_path: Path, row_counts: dict[str, int]) -> None:
    """Store the build step's own count of landed rows per table ("<system>.<table>") in the build file, where
    the `landed_rows_conserved` test reads them. A table, not a dbt var: vars that change with every landing
    would make dbt re-parse the whole project on every build."""
    build_path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(build_path))
    try:
        con.execute(f"create or replace table {LANDED_ROWS_TABLE} (table_key varchar primary key, landed_rows bigint)")
        if row_counts:
            con.executemany(f"insert into {LANDED_ROWS_TABLE} values (?, ?)", sorted(row_counts.items()))
    finally:
        con.close()


def record_build_info(
    paths: Paths,
    run_results: dict[str, Any],
    built_at: dt.datetime,
    sources_json: dict[str, Any] | None = None,
    pinned_as_of: dt.datetime | None = None,
    formats: dict[str, str] | None = None,
) -> None:
    """Store the build's identity, its node results and source freshness inside the build file, so readers see
    the build they actually read (the dashboard's Data health page reads these tables)."""
    metadata = run_results.get("metadata", {})
    con = duckdb.connect(str(paths.build_path))
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
            f"create or replace table {BUILD_INFO_TABLE} (invocation_id varchar, built_at timestamp, "
            "dbt_version varchar, nodes_passed integer, raw_dir varchar, pinned_as_of timestamp, "
            "source_formats varchar, schema_layout integer)"
        )
        con.execute(
            f"insert into {BUILD_INFO_TABLE} values (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                metadata.get("invocation_id"),
                built_at.replace(tzinfo=None),
                metadata.get("dbt_version"),
                sum(node_counts(run_results).values()),
                str(paths.raw_dir),
                pinned_as_of,
                json.dumps(formats or {}, sort_keys=True),
                SCHEMA_LAYOUT,
            ],
        )
        con.execute("checkpoint")
    finally:
        con.close()
    wal = paths.build_path.with_name(paths.build_path.name + ".wal")
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
    build_path.parent.mkdir(parents=True, exist_ok=True)
    staged = build_path.with_name(f".{build_path.name}.{os.getpid()}.tmp")
    try:
        shutil.copyfile(published_path, staged)
        os.replace(staged, build_path)
    finally:
        staged.unlink(missing_ok=True)
    return True


def write_marker(paths: Paths, run_results: dict[str, Any], built_at: dt.datetime) -> dict[str, Any]:
    """The human-readable summary beside the published file (the file itself is the authority)."""
    marker = {
        "published_at": built_at.isoformat(),
        "published_path": str(paths.published_path),
        "raw_dir": str(paths.raw_dir),
        "dbt_invocation_id": run_results.get("metadata", {}).get("invocation_id"),
        "dbt_version": run_results.get("metadata", {}).get("dbt_version"),
        "node_counts": node_counts(run_results),
        "tables": table_row_counts(paths.published_path),
    }
    write_json_atomically(paths.marker_path, marker)
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


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

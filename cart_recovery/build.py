"""Build the warehouse into a build file and publish it atomically, or say what is wrong and publish nothing.

DuckDB allows one writing process per file, and a reader holding the published file open must never block
`dbt build`. So dbt always writes a separate *build file*; only when every node passed is that file moved onto
the published path with `os.replace` (readers that still have the old file open keep reading the old inode).
A failed build leaves the published file untouched. Before dbt runs, the landing is checked against its contract
(landing_check.py): a missing table, an unreadable file or a column of the wrong type stops the build with the
file and column named. The build's identity is written into the file itself before it is published, so what a
reader sees and what it reads cannot disagree.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from pathlib import Path
from typing import Any

import yaml

from cart_recovery import comments, publish
from cart_recovery.dbt_run import check_freshness, describe_failure, failed_nodes, read_run_results, run_dbt
from cart_recovery.errors import BuildError, BuildLockedError, LandingError
from cart_recovery.landing_check import check_landing, count_landed_by, load_contract
from cart_recovery.paths import LockHeldError, Paths, build_locks
from cart_recovery.workflow.actions import copy_into_build as copy_actions_into_build

SYSTEMS = ("shop", "stripe", "messaging")

#: Fault injection for the kill-at-every-phase tests: with CART_RECOVERY_PAUSE_AT=<phase> the build writes the
#: phase to $CART_RECOVERY_PAUSE_FILE when it gets there and waits, so a test can kill it at exactly that point.
PHASES = ("locked", "before_dbt", "before_replace", "after_replace")


def checkpoint(phase: str) -> None:
    if os.environ.get("CART_RECOVERY_PAUSE_AT") == phase:
        Path(os.environ["CART_RECOVERY_PAUSE_FILE"]).write_text(phase)
        time.sleep(600)


def require_landing_data(raw_dir: Path) -> None:
    """A build reads only what is landed: a missing or empty landing directory is an error, never a reason to
    make data up (the demo data set is generated only when asked: `python -m cart_recovery demo`)."""
    advice = (
        "Land your data there (README 'Landing real data'), or run `make demo` to generate and build the demo data set."
    )
    if not raw_dir.is_dir():
        raise LandingError(f"No landing directory at {raw_dir} (CART_RECOVERY_RAW_DIR). {advice}")
    if not any(path.suffix.lower() == ".parquet" for path in raw_dir.rglob("*")):
        raise LandingError(f"Nothing is landed under {raw_dir}: no <system>/<table>/*.parquet files. {advice}")


def user_vars(dbt_vars: str | None) -> dict[str, Any]:
    """The user's --vars (YAML or JSON)."""
    variables = yaml.safe_load(dbt_vars) if dbt_vars else {}
    if not isinstance(variables, dict):
        raise BuildError(f"--vars must be a YAML or JSON mapping, got {dbt_vars!r}")
    return variables


def effective_vars(project_dir: Path, variables: dict[str, Any]) -> dict[str, Any]:
    """dbt_project.yml's var defaults overridden by the user's vars (what the models will see)."""
    project = yaml.safe_load((project_dir / "dbt_project.yml").read_text())
    return {**(project.get("vars") or {}), **variables}


def source_formats(variables: dict[str, Any]) -> dict[str, str]:
    """Which format each system is read in (docs/connectors.md)."""
    return {system: str(variables.get(f"{system}_source_format", "native")) for system in SYSTEMS}


def pinned_as_of(variables: dict[str, Any]) -> dt.datetime | None:
    value = variables.get("as_of")
    if value is None:
        return None
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value).replace("Z", ""))
    return moment.astimezone(dt.UTC).replace(tzinfo=None) if moment.tzinfo else moment


def build(
    paths: Paths | None = None, dbt_vars: str | None = None, full_refresh: bool = False, log: Any = print
) -> dict[str, Any]:
    """Check the landing, build, test and publish the warehouse. Returns the build marker; raises BuildError.

    By default the build continues from a copy of the published warehouse (incremental models add the new
    landing batches); with `full_refresh`, when nothing is published yet, or when this build or the published
    one pins `as_of`, it starts from an empty file and only the snapshot history is carried over.
    """
    paths = paths or Paths.from_env()
    try:
        with build_locks(paths):
            return _build(paths, dbt_vars, full_refresh, log)
    except LockHeldError as error:
        raise BuildLockedError(str(error)) from None


def _build(paths: Paths, dbt_vars: str | None, full_refresh: bool, log: Any) -> dict[str, Any]:
    checkpoint("locked")
    variables = user_vars(dbt_vars)
    everything = effective_vars(paths.project_dir, variables)
    formats = source_formats(everything)
    # a Fivetran DuckDB destination attached as a database has no files to list (docs/connectors.md)
    attached = bool(os.environ.get("CART_RECOVERY_SOURCE_DB"))
    contracts = [
        contract
        for contract in load_contract(paths.project_dir, formats, everything)
        if not (attached and contract.source.startswith("fivetran_"))
    ]
    if not attached:
        require_landing_data(paths.raw_dir)
    report = check_landing(paths.raw_dir, contracts)
    if report.problems:
        raise LandingError(
            "\n".join(
                [
                    *report.problems[:50],
                    f"The landing under {paths.raw_dir} breaks its contract in {len(report.problems)} place(s) "
                    "(README 'Landing real data', docs/connectors.md); nothing was built.",
                ]
            )
        )
    as_of = pinned_as_of(variables)
    landed_rows = report.row_counts if as_of is None else count_landed_by(paths.raw_dir, report, as_of, contracts)
    publish.remove_database_file(paths.build_path)
    paths.target_path.mkdir(parents=True, exist_ok=True)
    # Unit tests check the models' logic, not the data: `make test` runs them (tests/python/test_unit_tests.py).
    args = ["build", "--exclude-resource-type", "unit_test", "--vars", json.dumps(variables, default=str)]
    continue_from_published = (
        not full_refresh
        and as_of is None
        and not publish.was_pinned(paths.published_path)
        and publish.published_formats(paths.published_path) in (None, formats)
        and publish.published_layout(paths.published_path) == publish.SCHEMA_LAYOUT
    )
    if continue_from_published and publish.start_from_published(paths.published_path, paths.build_path):
        log(f"Continuing from the published warehouse {paths.published_path} (incremental)")
    else:
        carried = publish.carry_over_history(paths.published_path, paths.build_path)
        if carried:
            log(f"Full refresh; carried over history from the published warehouse: {', '.join(carried)}")
        args.append("--full-refresh")
    publish.record_landed_rows(paths.build_path, landed_rows)
    actions_read = copy_actions_into_build(paths.state_path, paths.build_path)
    log(f"Read {actions_read} owners' action(s) from {paths.state_path}")
    log(f"Building {paths.build_path} from {paths.raw_dir}")
    checkpoint("before_dbt")
    started = dt.datetime.now(dt.UTC)
    dbt_errors: list[str] = []
    returncode = run_dbt(paths, args, errors=dbt_errors)
    run_results = read_run_results(paths.target_path, not_before=started)
    failures = failed_nodes(run_results) if run_results else []
    if returncode != 0 or run_results is None or failures:
        lines = describe_failure(failures) or [
            f"dbt stopped before running any node (exit code {returncode}): "
            + (dbt_errors[0] if dbt_errors else "see its output above")
        ]
        lines[0] = f"Build failed: {lines[0]}"
        lines.append(
            f"{paths.published_path} was left unchanged; the failed build file is kept for inspection: "
            f"{paths.build_path}"
        )
        raise BuildError("\n".join(lines))

    built_at = dt.datetime.now(dt.UTC)
    sources_json = check_freshness(paths, contracts, variables, attached, log=log)
    # the public schema lists only the interface: drop what an older layout (or anyone) left there
    dropped = publish.drop_non_public(paths.build_path, paths.target_path / "manifest.json")
    if dropped:
        log(f"Dropped from the public schema (not part of the interface): {', '.join(dropped)}")
    # the public tables' dbt descriptions, as DuckDB comments that analysts read in the published file
    comments.write_comments(paths.build_path, paths.target_path / "manifest.json")
    publish.record_build_info(paths, run_results, built_at, sources_json, as_of, formats)
    checkpoint("before_replace")
    publish.publish_file(paths.build_path, paths.published_path)
    checkpoint("after_replace")
    marker = publish.write_marker(paths, run_results, built_at)
    log(publish.format_summary(marker))
    return marker

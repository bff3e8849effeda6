"""Running dbt for a build, and reading what it says: node results, the root cause of a failure, freshness."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cart_recovery.landing_check import TableContract
from cart_recovery.paths import Paths

FAILED_STATUSES = frozenset({"error", "fail", "runtime error", "skipped"})
#: How each failed status reads in a message: a failing test found rows, an erroring node could not run.
ROOT_CAUSE_STATUSES = ("error", "runtime error", "fail")

#: What usually makes a generic test fail, and what to do about it (shown under the root cause).
HINTS = {
    "landed_rows_conserved": (
        "Landed rows are not all staged, rejected or counted as duplicates. Usually a late file stamped more than "
        "incremental_lookback_hours before the newest landing, rewritten landing files, or a row whose _loaded_at "
        "was in the future when it was first read. Run `python -m cart_recovery build --full-refresh`."
    ),
    "assert_attribution_by_person_has_emails": (
        "messaging_source_format is fivetran, so Klaviyo sends reach carts through the buyer's email, but no cart "
        "that reached checkout has one: no recovery could be attributed. Land the checkouts' emails "
        "(Shopify abandoned_checkout.email) or read messaging in the native format (docs/connectors.md)."
    ),
    "used_downstream": (
        "A staged row reaches no model downstream (e.g. an order line whose order was rejected). The test's "
        "failing values name the rows; fix or re-land their parents."
    ),
}


def run_dbt(
    paths: Paths,
    args: Sequence[str],
    quiet: bool = False,
    env: dict[str, str] | None = None,
    errors: list[str] | None = None,
) -> int:
    """Run one dbt command in a child process (so that DuckDB is closed and checkpointed when it ends); with
    `quiet` its output goes to the dbt log only, else it is passed through, and its lines that report an error
    are appended to `errors`. The child dies with this process (see _die_with_parent)."""
    child_env = dict(os.environ if env is None else env)
    child_env.update(
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
    if quiet:
        return subprocess.run(
            command,
            cwd=paths.project_dir,
            env=child_env,
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        ).returncode
    with subprocess.Popen(
        command,
        cwd=paths.project_dir,
        env=child_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        preexec_fn=_die_with_parent,
    ) as child:
        for line in child.stdout:
            sys.stdout.write(line)
            if errors is not None and "Error" in line:
                errors.append(_ANSI.sub("", line).strip())
        sys.stdout.flush()
    return child.returncode


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _die_with_parent() -> None:
    """In the dbt child: get SIGKILL when the build process dies, so a killed build leaves no writer behind."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def read_run_results(target_path: Path, not_before: dt.datetime | None = None) -> dict[str, Any] | None:
    """run_results.json of the build, or None when dbt wrote none (at or after `not_before`)."""
    path = target_path / "run_results.json"
    if not path.exists():
        return None
    if not_before is not None and dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC) < not_before:
        return None  # an earlier run's file: this run wrote none
    return json.loads(path.read_text())


def failed_nodes(run_results: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(unique_id, status, message) of every node that did not pass."""
    return [
        (result["unique_id"], result["status"], (result.get("message") or "").strip())
        for result in run_results.get("results", [])
        if result["status"] in FAILED_STATUSES
    ]


def describe_failure(failures: list[tuple[str, str, str]]) -> list[str]:
    """The root cause first (the first node that failed or erred, with its message and what usually causes it),
    then the other failures, then the skipped nodes counted in one line."""
    causes = [failure for failure in failures if failure[1] in ROOT_CAUSE_STATUSES]
    skipped = [failure for failure in failures if failure[1] == "skipped"]
    lines = []
    for position, (unique_id, status, message) in enumerate(causes):
        first_line = next((line for line in message.splitlines() if line.strip()), "")
        verb = "failed" if status == "fail" else "could not run"
        lines.append(f"{unique_id} {verb} [{status}]: {first_line}".rstrip(": "))
        if position == 0:
            hint = next((text for name, text in HINTS.items() if f".{name}" in unique_id), None)
            if hint:
                lines.append(f"  What usually causes it: {hint}")
            rest = [line for line in message.splitlines()[1:] if line.strip()]
            lines += [f"  {line}" for line in rest[:20]]
    if skipped:
        lines.append(f"{len(skipped)} nodes downstream were skipped because of it.")
    return lines


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
                # test.<project>.<name>[.<hash>]: the name; other nodes: everything after the project
                unique_id.split(".")[2] if unique_id.startswith("test.") else unique_id.split(".", 2)[-1],
                result["status"],
                result.get("failures"),
                float(result.get("execution_time") or 0.0),
                (result.get("message") or "").strip()[:500],
            )
        )
    return rows


# --- source freshness --------------------------------------------------------------------------------------


def check_freshness(
    paths: Paths,
    contracts: list[TableContract],
    variables: dict[str, Any],
    attached: bool = False,
    log: Any = print,
) -> dict[str, Any] | None:
    """Run `dbt source freshness` on the landed source tables of this build's formats and say, one line each,
    which are stale and what to do. A table that is not landed (an optional source) is skipped with a plain
    line; stale sources are reported, never a reason to withhold a build."""
    (paths.target_path / "sources.json").unlink(missing_ok=True)
    landed = []
    for contract in contracts:
        if (attached and contract.source.startswith("fivetran_")) or is_landed(paths.raw_dir / contract.folder):
            landed.append(contract.name)
        else:
            log(f"Freshness: {contract.name} is not landed (an optional source); not checked.")
    if not landed:
        return None
    # the build's own vars, so that dbt reuses the parse of the build instead of parsing the project again
    args = ["source", "freshness", "--quiet", "--vars", json.dumps(variables, default=str)]
    run_dbt(paths, [*args, "--select", *(f"source:{name}" for name in landed)], quiet=True)
    path = paths.target_path / "sources.json"
    sources_json = json.loads(path.read_text()) if path.exists() else None
    for line in freshness_report(sources_json):
        log(line)
    return sources_json


def is_landed(folder: Path) -> bool:
    return folder.is_dir() and any(path.suffix.lower() == ".parquet" for path in folder.rglob("*"))


#: ANSI colours of the freshness report when it goes to a terminal.
_COLOURS = {"warn": "\033[33m", "error": "\033[31m", "runtime error": "\033[31m"}


def freshness_report(sources_json: dict[str, Any] | None, colour: bool | None = None) -> list[str]:
    """One line for the fresh sources, and one per stale source with its age, its threshold and what to do."""
    if sources_json is None:
        return ["Freshness: not checked (dbt source freshness wrote no results; see its log)."]
    colour = sys.stdout.isatty() if colour is None else colour
    # in the order of their names, not of dbt's threads
    results = sorted(sources_json.get("results", []), key=lambda result: result["unique_id"])
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
                parse_time(max_loaded),
                parse_time(snapshotted),
                None if age is None else round(float(age) / 3600.0, 2),
            )
        )
    return rows


def parse_time(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed.astimezone(dt.UTC).replace(tzinfo=None) if parsed.tzinfo else parsed

"""MetricFlow over the published warehouse: `python -m cart_recovery metrics` (`make metrics`).

MetricFlow opens the warehouse through the dbt profile, read-write. So, as for the docs site, the published file is
copied to a temporary directory and the profile's `dev` target points at the copy (CART_RECOVERY_BUILD_PATH): the
published file is only read and no lock is held while MetricFlow runs. `dbt parse` writes the semantic manifest for
the copy, with the vars the published warehouse was built with, into a scratch project directory (MetricFlow reads
`<project dir>/target/semantic_manifest.json`), so the repository's own target/ is left alone. Then each query is one
`mf query` in that directory.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from cart_recovery.build import user_vars
from cart_recovery.dbt_run import run_dbt
from cart_recovery.docs_site import published_vars
from cart_recovery.errors import BuildError
from cart_recovery.paths import Paths

#: `make metrics`: the recovery rate (mature cohorts) by channel by cohort week, abandoned carts only.
DEFAULT_QUERY: tuple[str, ...] = (
    "--metrics",
    "recovery_rate",
    "--group-by",
    "metric_time__week,funnel_row__channel",
    "--where",
    "{{ Dimension('funnel_row__channel') }} != 'not_abandoned'",
    "--order",
    "metric_time__week,funnel_row__channel",
)


def mf_executable() -> str:
    """The `mf` beside this Python (the venv's), else the one on PATH."""
    beside = Path(sys.executable).with_name("mf")
    found = str(beside) if beside.exists() else shutil.which("mf")
    if not found:
        raise BuildError("mf (MetricFlow's CLI) is not installed: pip install -e '.[dev]' (dbt-metricflow)")
    return found


def query_metrics(
    paths: Paths,
    queries: Sequence[Sequence[str]] = (DEFAULT_QUERY,),
    dbt_vars: str | None = None,
    log=print,
) -> None:
    """Run each `mf query` (its arguments) against a copy of the published warehouse; their output is passed through.
    A failing parse or query raises BuildError naming it."""
    if not paths.published_path.exists():
        raise BuildError(
            f"{paths.published_path}: no published warehouse to query (CART_RECOVERY_WAREHOUSE); "
            "run `make build` or `make demo` first."
        )
    mf = mf_executable()
    variables = {**published_vars(paths.published_path), **user_vars(dbt_vars)}
    with tempfile.TemporaryDirectory(prefix="cart_recovery_metrics_") as scratch:
        scratch_dir = Path(scratch)
        copy = scratch_dir / paths.published_path.name
        shutil.copyfile(paths.published_path, copy)
        project = scratch_dir / "project"
        project.mkdir()
        shutil.copyfile(paths.project_dir / "dbt_project.yml", project / "dbt_project.yml")
        target = project / "target"
        errors: list[str] = []
        parse_paths = replace(paths, build_path=copy, target_path=target, log_path=scratch_dir / "logs")
        returncode = run_dbt(
            parse_paths, ["parse", "--quiet", "--vars", json.dumps(variables, default=str)], errors=errors
        )
        if returncode != 0 or not (target / "semantic_manifest.json").exists():
            first = errors[0] if errors else "see its output above"
            raise BuildError(f"dbt parse (for MetricFlow) failed (exit code {returncode}): {first}")
        env = {
            **os.environ,
            "CART_RECOVERY_BUILD_PATH": str(copy),
            "CART_RECOVERY_RAW_DIR": str(paths.raw_dir),
            "DBT_PROFILES_DIR": str(paths.project_dir),
            "DBT_PROJECT_DIR": str(project),
        }
        log(f"MetricFlow over {paths.published_path} (a copy; the published file is only read)")
        for arguments in queries:
            result = subprocess.run([mf, "query", *arguments], cwd=project, env=env, check=False)
            if result.returncode != 0:
                raise BuildError(f"mf query {' '.join(arguments)} failed (exit code {result.returncode})")

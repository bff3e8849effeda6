"""Measured builds for the benchmark: one isolated build environment, the dbt and `cart_recovery build` commands
run as measured process trees, and their samples (wall, peak RSS, dbt node times) summarised as medians.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.measure import Measurement, run_measured

REPO_ROOT = Path(__file__).resolve().parent.parent


def log(message: str) -> None:
    print(f"[bench {dt.datetime.now(dt.UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


# ----------------------------------------------------------------------------------------------------------------
# environment of one build (the same variables as the pytest fixtures)
# ----------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BuildEnv:
    """An isolated build: landing dir, build file, published file, dbt target and logs under `root`."""

    root: Path
    raw_dir: Path
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def published_path(self) -> Path:
        return self.root / "warehouse" / "cart_recovery.duckdb"

    @property
    def build_path(self) -> Path:
        return self.root / "warehouse" / "build" / "cart_recovery.build.duckdb"

    @property
    def target_path(self) -> Path:
        return self.root / "target"

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            CART_RECOVERY_RAW_DIR=str(self.raw_dir),
            CART_RECOVERY_WAREHOUSE=str(self.published_path),
            CART_RECOVERY_BUILD_PATH=str(self.build_path),
            DBT_TARGET_PATH=str(self.target_path),
            DBT_LOG_PATH=str(self.root / "logs"),
            DBT_PROFILES_DIR=str(REPO_ROOT),
            DBT_SEND_ANONYMOUS_USAGE_STATS="false",
            PYTHONUNBUFFERED="1",
        )
        env.update(self.extra)
        return env

    def reset(self) -> None:
        """Forget every earlier build (so the next build is a full one); keep dbt's partial-parse state."""
        shutil.rmtree(self.root / "warehouse", ignore_errors=True)
        (self.target_path / "run_results.json").unlink(missing_ok=True)

    def run_results(self) -> dict[str, Any]:
        return json.loads((self.target_path / "run_results.json").read_text())


def dbt_command(*args: str) -> list[str]:
    return [sys.executable, "-c", "from dbt.cli.main import cli; cli()", *args]


def prime_parse(build_env: BuildEnv) -> None:
    """`dbt parse` once, untimed, so that every timed run starts from the same partial-parse state."""
    build_env.root.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        dbt_command("parse", "--quiet", "--project-dir", str(REPO_ROOT), "--profiles-dir", str(REPO_ROOT)),
        cwd=REPO_ROOT,
        env=build_env.env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def node_seconds(run_results: dict[str, Any], resource_type: str) -> float:
    return sum(
        float(result.get("execution_time") or 0.0)
        for result in run_results.get("results", [])
        if result["unique_id"].split(".")[0] == resource_type
    )


def log_tail(measured: Measurement, chars: int = 3000) -> str | None:
    """The end of a failed command's output, kept in the results (the scratch folder is removed)."""
    if measured.ok or measured.log_path is None or not Path(measured.log_path).exists():
        return None
    return Path(measured.log_path).read_text(errors="replace")[-chars:]


def build_sample(measured: Measurement, build_env: BuildEnv) -> dict[str, Any]:
    sample: dict[str, Any] = {
        "ok": measured.ok,
        "returncode": measured.returncode,
        "wall_s": round(measured.wall_s, 3),
        "peak_rss_bytes": measured.peak_rss_bytes,
        "log": measured.log_path,
    }
    if not measured.ok:
        sample["log_tail"] = log_tail(measured)
    path = build_env.target_path / "run_results.json"
    if path.exists():
        results = json.loads(path.read_text())
        sample.update(
            model_s=round(node_seconds(results, "model"), 3),
            test_s=round(node_seconds(results, "test"), 3),
            unit_test_s=round(node_seconds(results, "unit_test"), 3),
            seed_s=round(node_seconds(results, "seed"), 3),
            dbt_elapsed_s=round(float(results.get("elapsed_time") or 0.0), 3),
            nodes=len(results.get("results", [])),
        )
    return sample


def run_build(build_env: BuildEnv, log_name: str, *args: str) -> dict[str, Any]:
    """`python -m cart_recovery build` (build, test, publish) measured as one process tree."""
    measured = run_measured(
        [sys.executable, "-m", "cart_recovery", "build", *args],
        env=build_env.env,
        cwd=REPO_ROOT,
        log_path=build_env.root / "logs" / f"{log_name}.log",
    )
    return build_sample(measured, build_env)


def summarise_builds(samples: list[dict[str, Any]]) -> dict[str, Any]:
    passed = [sample for sample in samples if sample["ok"]]
    summary: dict[str, Any] = {"runs": samples, "passed_runs": len(passed)}
    for key in ("wall_s", "model_s", "test_s", "peak_rss_bytes"):
        values = [sample[key] for sample in passed if sample.get(key) is not None]
        summary[f"median_{key}"] = median(values)
    if not passed:
        summary["null_reason"] = "every build failed (see log_tail of the runs)" if samples else "not run"
    return summary

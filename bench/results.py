"""The results file's context and verdicts: the machine and package versions, the flat figures taken from the
steps' details, and each figure judged against its performance goal.
"""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.builds import REPO_ROOT

GOAL_SCALE = 10_000_000
PACKAGES = ("dbt-core", "dbt-duckdb", "duckdb", "pandas", "pyarrow", "numpy", "streamlit")

#: Every figure of the results file, in the order written.
FIGURES = (
    "generate_s",
    "generate_peak_rss_bytes",
    "scan_s",
    "build_wall_s",
    "build_model_s",
    "build_peak_rss_bytes",
    "build_over_scan_10m",
    "incremental_wall_s",
    "incremental_model_s",
    "incremental_over_full_model_time",
    "pandas_wall_s",
    "pandas_peak_rss_bytes",
    "funnel_build_wall_s",
    "funnel_build_peak_rss_bytes",
    "build_over_pandas_wall",
    "build_over_pandas_peak_rss",
    "memlimit_1gb_30m_ok",
    "dashboard_page_ms_p95",
    "dashboard_page_ms_p95_warm",
)

#: figure -> (comparison, target): the performance goals.
GOALS: dict[str, tuple[str, float | bool]] = {
    "build_over_scan_10m": ("<=", 12),
    "incremental_over_full_model_time": ("<=", 0.15),
    "build_over_pandas_wall": ("<=", 0.625),
    "build_over_pandas_peak_rss": ("<=", 0.5),
    "memlimit_1gb_30m_ok": ("==", True),
    "dashboard_page_ms_p95": ("<=", 300),
}


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return round(numerator / denominator, 4)


def machine() -> dict[str, Any]:
    cpu_model = None
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    ram = None
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = int(line.split()[1]) * 1024
    return {
        "nproc": os.cpu_count(),
        "cpu_model": cpu_model or platform.processor() or None,
        "ram_bytes": ram,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "load_average_at_start": list(os.getloadavg()),
    }


def versions() -> dict[str, Any]:
    found: dict[str, Any] = {}
    for package in PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = None

    def git(*args: str) -> str | None:
        completed = subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=False)
        return completed.stdout.strip() if completed.returncode == 0 else None

    found["git_commit"] = git("rev-parse", "HEAD")
    status = git("status", "--porcelain")
    found["git_dirty"] = None if status is None else bool(status)
    return found


def judge(figures: dict[str, Any], at_goal_scale: bool) -> dict[str, Any]:
    goals = {}
    for name, (comparison, target) in GOALS.items():
        value = figures.get(name)
        if value is None:
            passed = None
        elif comparison == "<=":
            passed = value <= target
        else:
            passed = value == target
        goals[name] = {"target": f"{comparison} {target}", "value": value, "pass": passed}
    return {"at_goal_scale": at_goal_scale, "goal_scale_cart_events": GOAL_SCALE, "goals": goals}


def figures_from(details: dict[str, Any]) -> dict[str, Any]:
    """The flat figures of the results file from the steps' details (None where a step was skipped or failed)."""

    def get(step: str, *keys: str) -> Any:
        value: Any = details.get(step)
        for key in keys:
            if not isinstance(value, dict):
                return None
            value = value.get(key)
        return value

    full_model = get("build", "median_model_s")
    figures: dict[str, Any] = {
        "generate_s": get("generate", "median_wall_s"),
        "generate_peak_rss_bytes": get("generate", "median_peak_rss_bytes"),
        "scan_s": get("scan", "median_s"),
        "build_wall_s": get("build", "median_wall_s"),
        "build_model_s": full_model,
        "build_peak_rss_bytes": get("build", "median_peak_rss_bytes"),
        "incremental_wall_s": get("incremental", "median_wall_s"),
        "incremental_model_s": get("incremental", "median_model_s"),
        "pandas_wall_s": get("funnel", "pandas", "median_wall_s"),
        "pandas_peak_rss_bytes": get("funnel", "pandas", "median_peak_rss_bytes"),
        "funnel_build_wall_s": get("funnel", "dbt", "median_wall_s"),
        "funnel_build_peak_rss_bytes": get("funnel", "dbt", "median_peak_rss_bytes"),
        "memlimit_1gb_30m_ok": get("memlimit", "ok"),
        "dashboard_page_ms_p95": get("dashboard", "summary", "cold_p95_ms"),
        "dashboard_page_ms_p95_warm": get("dashboard", "summary", "warm_p95_ms"),
    }
    figures["build_over_scan_10m"] = ratio(figures["build_wall_s"], figures["scan_s"])
    figures["incremental_over_full_model_time"] = ratio(figures["incremental_model_s"], full_model)
    figures["build_over_pandas_wall"] = ratio(figures["funnel_build_wall_s"], figures["pandas_wall_s"])
    figures["build_over_pandas_peak_rss"] = ratio(
        figures["funnel_build_peak_rss_bytes"], figures["pandas_peak_rss_bytes"]
    )
    return {name: figures[name] for name in FIGURES}

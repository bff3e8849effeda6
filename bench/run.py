"""`make bench`: benchmarks of the warehouse against the physical floor, written to one JSON file.

    python -m bench.run --scale 10000000 --runs 3 --out bench/results

Every figure is the median of `--runs` runs (peak memory too); the samples are kept under "details". Steps:

generate      the demo generator for `scale` cart events (carts = scale / 4.86), wall and peak RSS;
scan          one DuckDB query over every raw table: count(distinct cart_token) of the cart events, row counts and
              sums of every numeric column of every table: the floor any build has to read through;
build         `python -m cart_recovery build --full-refresh` (dbt build + tests + publish) from an empty warehouse:
              wall, model time (Σ execution_time of the model nodes in run_results.json), peak RSS of the tree;
incremental   the newest 1 % of the landed rows (by `_loaded_at`, cut where 1 % of the cart events are newer) is held
              back, the rest built and published, then the held-back files are landed and `cart_recovery build`
              runs again, continuing from that published warehouse (restored before each run); wall and model time
              of that second build ("incremental_models" lists the incremental models);
funnel        a pandas script (bench/pandas_funnel.py) computing fct_recovery_funnel_daily from the raw files
              against `dbt build -s +fct_recovery_funnel_daily` into a fresh file: wall and peak RSS of both;
memlimit      a build at `--memlimit-scale` cart events (default 3 x scale) under DuckDB memory_limit=1GB
              (env CART_RECOVERY_DUCKDB_MEMORY_LIMIT, read by profiles.yml): passes or not;
dashboard     every dashboard page rendered server-side through AppTest on the full build's warehouse
              (bench/dashboard_render.py): p95 of the cold renders (caches cleared), and of the warm ones.

Everything is written under --work-dir (default bench/work, git-ignored), one sub-directory per step.
Goals are judged only at the issue's scale (10M cart events); at another scale they are reported with
"at_goal_scale": false.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import duckdb

from bench.measure import Measurement, run_measured
from cart_recovery.landing import land, landed_tables, loaded_at_quantile, split_by_loaded_at

REPO_ROOT = Path(__file__).resolve().parent.parent
EVENTS_PER_CART = 4.86
GOAL_SCALE = 10_000_000
DEFAULT_SEED = 42
LATE_FRACTION = 0.01
MEMORY_LIMIT_ENV = "CART_RECOVERY_DUCKDB_MEMORY_LIMIT"
FUNNEL_SELECTOR = "+fct_recovery_funnel_daily"
STEPS = ("scan", "build", "incremental", "funnel", "memlimit", "dashboard")
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


def log(message: str) -> None:
    print(f"[bench {dt.datetime.now(dt.UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return round(numerator / denominator, 4)


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


# ----------------------------------------------------------------------------------------------------------------
# steps
# ----------------------------------------------------------------------------------------------------------------
def carts_for(scale: int) -> int:
    return max(100, round(scale / EVENTS_PER_CART))


def generate(out: Path, carts: int, seed: int, log_path: Path) -> Measurement:
    command = [sys.executable, "-m", "cart_recovery", "generate", "--carts", str(carts), "--seed", str(seed)]
    return run_measured([*command, "--out", str(out)], cwd=REPO_ROOT, log_path=log_path)


def step_generate(work: Path, carts: int, seed: int, runs: int) -> tuple[Path, dict[str, Any]]:
    raw = work / "raw"
    samples = []
    for run in range(runs):
        log(f"generate {carts:,} carts (run {run + 1}/{runs})")
        measured = generate(raw, carts, seed, work / "logs" / f"generate-{run + 1}.log")
        if not measured.ok:
            raise RuntimeError(f"the generator failed:\n{log_tail(measured)}")
        samples.append({"wall_s": round(measured.wall_s, 3), "peak_rss_bytes": measured.peak_rss_bytes})
    manifest = json.loads((raw / "manifest.json").read_text())
    landed = {table: stats["landed_rows"] for table, stats in manifest["tables"].items()}
    return raw, {
        "runs": samples,
        "median_wall_s": median([s["wall_s"] for s in samples]),
        "median_peak_rss_bytes": median([s["peak_rss_bytes"] for s in samples]),
        "carts": carts,
        "seed": seed,
        "landed_rows": landed,
        "bytes_on_disk": sum(path.stat().st_size for path in raw.rglob("*.parquet") if "manifest" not in path.parts),
    }


NUMERIC_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE", "DECIMAL", "UBIGINT")


def scan_query(con: duckdb.DuckDBPyConnection, raw_dir: Path) -> str:
    """One query over every raw table: count(distinct cart_token) of cart events, row counts, numeric sums."""
    parts = []
    for index, (system, table) in enumerate(landed_tables(raw_dir)):
        source = f"read_parquet('{raw_dir / system / table}/*.parquet', union_by_name = true)"
        columns = con.execute(f"describe select * from {source}").fetchall()
        aggregates = [f"count(*) as t{index}_rows"]
        if (system, table) == ("shop", "cart_events"):
            aggregates.append("count(distinct cart_token) as carts")
        aggregates += [
            f'sum("{name}") as "t{index}_{name}"'
            for name, column_type, *_ in columns
            if column_type.upper().startswith(NUMERIC_TYPES)
        ]
        parts.append(f"(select {', '.join(aggregates)} from {source}) as t{index}")
    return "select * from " + " cross join ".join(parts)


def step_scan(raw_dir: Path, runs: int) -> dict[str, Any]:
    samples = []
    query = ""
    for run in range(runs):
        con = duckdb.connect()
        try:
            query = scan_query(con, raw_dir)
            started = time.perf_counter()
            cursor = con.execute(query)
            row = dict(zip([column[0] for column in cursor.description], cursor.fetchall()[0], strict=True))
            samples.append(round(time.perf_counter() - started, 4))
        finally:
            con.close()
        log(f"scan run {run + 1}/{runs}: {samples[-1]:.2f} s")
    return {"runs_s": samples, "median_s": median(samples), "query": query, "carts_counted": row.get("carts")}


def step_build(work: Path, raw_dir: Path, runs: int) -> tuple[BuildEnv, dict[str, Any]]:
    build_env = BuildEnv(work / "full", raw_dir)
    prime_parse(build_env)
    samples = []
    for run in range(runs):
        build_env.reset()
        log(f"full build run {run + 1}/{runs}")
        samples.append(run_build(build_env, f"build-{run + 1}", "--full-refresh"))
        log(f"  {samples[-1]['wall_s']:.1f} s wall, ok={samples[-1]['ok']}")
    summary = summarise_builds(samples)
    summary["incremental_models"] = incremental_models(build_env.target_path)
    return build_env, summary


def incremental_models(target_path: Path) -> list[str]:
    manifest_path = target_path / "manifest.json"
    if not manifest_path.exists():
        return []
    nodes = json.loads(manifest_path.read_text())["nodes"].values()
    return sorted(
        node["name"]
        for node in nodes
        if node["resource_type"] == "model" and node["config"].get("materialized") == "incremental"
    )


def split_landing(raw_dir: Path, base_dir: Path, late_dir: Path, fraction: float = LATE_FRACTION) -> dict[str, Any]:
    """raw_dir's tables as two landings: base_dir without the newest rows, late_dir with them (hard links).

    The cut is one `_loaded_at` instant for every table (a load batch lands every system at once), chosen so that
    `fraction` of the cart events land at or after it (cart_recovery.landing).
    """
    cut = loaded_at_quantile(raw_dir, 1 - fraction)
    base_rows, late_rows = split_by_loaded_at(raw_dir, [base_dir, late_dir], [cut])
    return {
        "cut_loaded_at": cut.isoformat(),
        "base_rows": base_rows,
        "late_rows": late_rows,
        "fraction_of_cart_events": fraction,
    }


def step_incremental(work: Path, raw_dir: Path, runs: int) -> dict[str, Any]:
    base_dir, late_dir = work / "incremental" / "raw", work / "incremental" / "late"
    split = split_landing(raw_dir, base_dir, late_dir)
    build_env = BuildEnv(work / "incremental" / "build", base_dir)
    snapshot = work / "incremental" / "base_warehouse.duckdb"
    prime_parse(build_env)
    build_env.reset()
    log("incremental: base build on the landing data without the newest 1 %")
    base = run_build(build_env, "incremental-base", "--full-refresh")
    result: dict[str, Any] = {"split": split, "base_build": base, "incremental_models": []}
    if not base["ok"]:
        result["null_reason"] = "the base build failed (see base_build.log_tail)"
        return result
    shutil.copyfile(build_env.published_path, snapshot)
    marker = build_env.published_path.with_suffix(".build.json")
    marker_copy = marker.read_text() if marker.exists() else None
    samples = []
    for run in range(runs):
        # Restore the warehouse as the base build left it, then land the batch and build again.
        shutil.rmtree(build_env.build_path.parent, ignore_errors=True)
        shutil.copyfile(snapshot, build_env.published_path)
        if marker_copy is not None:
            marker.write_text(marker_copy)
        landed = land(late_dir, base_dir)
        log(f"incremental build run {run + 1}/{runs}")
        try:
            samples.append(run_build(build_env, f"incremental-{run + 1}"))
        finally:
            for path in landed:
                path.unlink()
        log(f"  {samples[-1]['wall_s']:.1f} s wall, ok={samples[-1]['ok']}")
    result.update(summarise_builds(samples))
    result["incremental_models"] = incremental_models(build_env.target_path)
    if not result["incremental_models"]:
        result["note"] = "no incremental models yet: this measures a full rebuild with the new batch landed"
    snapshot.unlink(missing_ok=True)
    return result


def step_funnel(work: Path, raw_dir: Path, runs: int) -> dict[str, Any]:
    build_env = BuildEnv(work / "funnel", raw_dir)
    prime_parse(build_env)
    dbt_samples, pandas_samples = [], []
    # cautious: only the tests whose every parent is selected (a test that also reads fct_cart_recovery is not).
    select = dbt_command(
        "build",
        "--select",
        FUNNEL_SELECTOR,
        "--indirect-selection",
        "cautious",
        "--project-dir",
        str(REPO_ROOT),
        "--profiles-dir",
        str(REPO_ROOT),
    )
    for run in range(runs):
        build_env.reset()
        build_env.build_path.parent.mkdir(parents=True)
        log(f"dbt build -s {FUNNEL_SELECTOR} run {run + 1}/{runs}")
        measured = run_measured(
            select, env=build_env.env, cwd=REPO_ROOT, log_path=build_env.root / "logs" / f"dbt-{run + 1}.log"
        )
        dbt_samples.append(build_sample(measured, build_env))
        log(f"pandas funnel run {run + 1}/{runs}")
        out = build_env.root / "pandas_funnel.parquet"
        measured = run_measured(
            [sys.executable, "-m", "bench.pandas_funnel", "--raw-dir", str(raw_dir), "--out", str(out)],
            cwd=REPO_ROOT,
            log_path=build_env.root / "logs" / f"pandas-{run + 1}.log",
        )
        pandas_samples.append(
            {
                "ok": measured.ok,
                "wall_s": round(measured.wall_s, 3),
                "peak_rss_bytes": measured.peak_rss_bytes,
                "log": measured.log_path,
                "log_tail": log_tail(measured),
            }
        )
    dbt_summary = summarise_builds(dbt_samples)
    pandas_ok = [sample for sample in pandas_samples if sample["ok"]]
    pandas_summary: dict[str, Any] = {
        "runs": pandas_samples,
        "median_wall_s": median([s["wall_s"] for s in pandas_ok]),
        "median_peak_rss_bytes": median([s["peak_rss_bytes"] for s in pandas_ok]),
    }
    if not pandas_ok:
        pandas_summary["null_reason"] = "the pandas script failed (see log_tail of the runs)"
    return {"dbt": dbt_summary, "pandas": pandas_summary, "selector": FUNNEL_SELECTOR}


def memory_limit_wired() -> bool:
    return MEMORY_LIMIT_ENV in (REPO_ROOT / "profiles.yml").read_text()


def step_memlimit(work: Path, scale: int, seed: int, limit: str) -> dict[str, Any]:
    result: dict[str, Any] = {"scale": scale, "memory_limit": limit, "env": MEMORY_LIMIT_ENV}
    if not memory_limit_wired():
        result["null_reason"] = f"profiles.yml does not read {MEMORY_LIMIT_ENV}: the limit would not apply"
        return result
    raw = work / "memlimit" / "raw"
    carts = carts_for(scale)
    log(f"memlimit: generate {carts:,} carts")
    measured = generate(raw, carts, seed, work / "memlimit" / "generate.log")
    if not measured.ok:
        result["null_reason"] = f"the generator failed:\n{log_tail(measured)}"
        return result
    result["generate"] = {"wall_s": round(measured.wall_s, 3), "peak_rss_bytes": measured.peak_rss_bytes}
    build_env = BuildEnv(work / "memlimit" / "build", raw, extra={MEMORY_LIMIT_ENV: limit})
    build_env.reset()
    log(f"memlimit: build under memory_limit={limit}")
    result["build"] = run_build(build_env, "memlimit-build", "--full-refresh")
    result["ok"] = result["build"]["ok"]
    shutil.rmtree(raw, ignore_errors=True)
    return result


def step_dashboard(published: Path, renders: int) -> dict[str, Any]:
    if not published.exists():
        return {"null_reason": f"no published warehouse at {published} (the full build failed or was skipped)"}
    command = [sys.executable, "-m", "bench.dashboard_render", "--warehouse", str(published)]
    completed = subprocess.run(
        [*command, "--renders", str(renders)], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        return {"null_reason": f"bench.dashboard_render exited {completed.returncode}: {completed.stderr[-1000:]}"}
    return json.loads(completed.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------------------------------------------
# results
# ----------------------------------------------------------------------------------------------------------------
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


def run(args: argparse.Namespace) -> dict[str, Any]:
    started = dt.datetime.now(dt.UTC)
    work: Path = args.work_dir.resolve()
    work.mkdir(parents=True, exist_ok=True)
    skipped = set(args.skip)
    carts = carts_for(args.scale)
    details: dict[str, Any] = {}
    results: dict[str, Any] = {
        "schema_version": 1,
        "started_at": started.isoformat(),
        "scale": {"cart_events": args.scale, "carts": carts, "events_per_cart_assumed": EVENTS_PER_CART},
        "runs": args.runs,
        "seed": args.seed,
        "skipped_steps": sorted(skipped),
        "machine": machine(),
        "versions": versions(),
        "definitions": {
            "medians": f"every figure is the median of {args.runs} run(s); samples under details",
            "build_over_scan_10m": "full build wall ÷ one-pass scan time",
            "incremental_over_full_model_time": "model time of the 1 % batch build ÷ model time of the full build",
            "build_over_pandas_wall": f"`dbt build -s {FUNNEL_SELECTOR}` wall ÷ pandas script wall",
            "build_over_pandas_peak_rss": f"`dbt build -s {FUNNEL_SELECTOR}` peak RSS ÷ pandas script peak RSS",
            "memlimit_1gb_30m_ok": f"a {args.memlimit_scale:,}-cart-event build passes under memory_limit=1GB",
            "dashboard_page_ms_p95": "p95 of cold server-side page renders (AppTest, caches cleared), all pages",
            "dashboard_page_ms_p95_warm": "p95 of warm renders (caches kept), all pages; not a goal",
            "peak_rss": "peak of the summed VmRSS of the process tree, polled every 0.1 s",
        },
    }

    def attempt(step: str, action: Callable[[], dict[str, Any]]) -> None:
        if step in skipped:
            details[step] = {"null_reason": "skipped (--skip)"}
            return
        try:
            details[step] = action()
        except Exception as error:  # a failed step is reported, the others still run
            log(f"{step} failed: {error}")
            details[step] = {"null_reason": f"{type(error).__name__}: {error}"}

    raw_dir, details["generate"] = step_generate(work, carts, args.seed, args.runs)
    results["scale"]["cart_events_landed"] = details["generate"]["landed_rows"].get("shop.cart_events")
    attempt("scan", lambda: step_scan(raw_dir, args.runs))
    build_env: BuildEnv | None = None

    def full_build() -> dict[str, Any]:
        nonlocal build_env
        build_env, summary = step_build(work, raw_dir, args.runs)
        return summary

    attempt("build", full_build)
    attempt("incremental", lambda: step_incremental(work, raw_dir, args.runs))
    attempt("funnel", lambda: step_funnel(work, raw_dir, args.runs))
    published = build_env.published_path if build_env else work / "full" / "warehouse" / "cart_recovery.duckdb"
    attempt("dashboard", lambda: step_dashboard(published, args.dashboard_renders))
    attempt("memlimit", lambda: step_memlimit(work, args.memlimit_scale, args.seed, args.memory_limit))

    results["figures"] = figures_from(details)
    results.update(judge(results["figures"], args.scale == GOAL_SCALE))
    results["details"] = details
    results["finished_at"] = dt.datetime.now(dt.UTC).isoformat()
    return results


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=GOAL_SCALE, help="cart events to generate [10000000]")
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement; figures are medians [3]")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"generator seed [{DEFAULT_SEED}]")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench" / "results", help="results folder")
    parser.add_argument("--work-dir", type=Path, default=REPO_ROOT / "bench" / "work", help="scratch folder")
    parser.add_argument("--skip", action="append", default=[], choices=STEPS, help="skip a step (repeatable)")
    parser.add_argument(
        "--memlimit-scale", type=int, default=None, help="cart events of the memory-limited build [3 x scale]"
    )
    parser.add_argument("--memory-limit", default="1GB", help="DuckDB memory_limit of that build [1GB]")
    parser.add_argument("--dashboard-renders", type=int, default=5, help="cold and warm renders per page [5]")
    parser.add_argument("--keep-work", action="store_true", help="keep --work-dir afterwards")
    args = parser.parse_args(argv)
    if args.memlimit_scale is None:
        args.memlimit_scale = 3 * args.scale
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    results = run(args)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    if not args.keep_work:
        shutil.rmtree(args.work_dir, ignore_errors=True)
    print(json.dumps({"figures": results["figures"], "results": str(path)}, indent=2))
    for name, goal in results["goals"].items():
        log(f"goal {name} {goal['target']}: value={goal['value']} pass={goal['pass']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

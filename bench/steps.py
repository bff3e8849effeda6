"""The benchmark's steps (bench/run.py describes each): generate, scan, full build, incremental build, the pandas
funnel against its dbt selection, the memory-limited build and the dashboard renders. Each returns its details.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb

from bench.builds import (
    REPO_ROOT,
    BuildEnv,
    build_sample,
    dbt_command,
    log,
    log_tail,
    median,
    prime_parse,
    run_build,
    summarise_builds,
)
from bench.measure import Measurement, run_measured
from cart_recovery.landing import land, landed_tables, loaded_at_quantile, split_by_loaded_at

EVENTS_PER_CART = 4.86
LATE_FRACTION = 0.01
MEMORY_LIMIT_ENV = "CART_RECOVERY_DUCKDB_MEMORY_LIMIT"
FUNNEL_SELECTOR = "+fct_recovery_funnel_daily"


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

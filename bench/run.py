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
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.builds import REPO_ROOT, BuildEnv, log
from bench.results import FIGURES, GOAL_SCALE, GOALS, figures_from, judge, machine, versions
from bench.steps import (
    EVENTS_PER_CART,
    FUNNEL_SELECTOR,
    carts_for,
    land,
    split_landing,
    step_build,
    step_dashboard,
    step_funnel,
    step_generate,
    step_incremental,
    step_memlimit,
    step_scan,
)

# Names tests and callers reach through bench.run, which are defined in the modules above.
__all__ = ["FIGURES", "GOALS", "figures_from", "judge", "land", "main", "run", "split_landing"]

DEFAULT_SEED = 42
STEPS = ("scan", "build", "incremental", "funnel", "memlimit", "dashboard")


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

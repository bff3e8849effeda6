"""The benchmark harness (bench/): its results file has every figure and goal, the 1 % late batch is a clean split
of the landing data, and peak memory covers the whole process tree. No timing or memory figure of the warehouse
is asserted here: those are measured by `make bench`, never as timed tests. (A whole tiny `bench.run` takes a few
minutes, mostly dbt's fixed cost per build, so only its cheap steps run here.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
from conftest import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT))
from bench import run as bench_run
from bench.dashboard_render import APP, discover_pages, percentile
from bench.measure import run_measured
from cart_recovery.landing import landed_tables


def table_rows(raw_dir: Path) -> dict[str, int]:
    return {
        f"{system}.{table}": sum(
            pq.read_metadata(path).num_rows for path in (raw_dir / system / table).glob("*.parquet")
        )
        for system, table in landed_tables(raw_dir)
    }


def test_results_file_has_every_figure_goal_and_context(tmp_path: Path) -> None:
    heavy = ["build", "incremental", "funnel", "memlimit", "dashboard"]
    command = [sys.executable, "-m", "bench.run", "--scale", "2000", "--runs", "1"]
    command += ["--out", str(tmp_path / "results"), "--work-dir", str(tmp_path / "work")]
    command += [arg for step in heavy for arg in ("--skip", step)]
    completed = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert completed.returncode == 0, completed.stderr[-3000:]

    (path,) = (tmp_path / "results").glob("*.json")
    results = json.loads(path.read_text())
    assert list(results["figures"]) == list(bench_run.FIGURES)
    assert set(results["goals"]) == set(bench_run.GOALS)
    assert all(set(goal) == {"target", "value", "pass"} for goal in results["goals"].values())
    assert results["at_goal_scale"] is False
    assert {"nproc", "cpu_model", "ram_bytes"} <= set(results["machine"])
    assert {"duckdb", "dbt-core", "dbt-duckdb", "pandas", "git_commit"} <= set(results["versions"])
    assert results["scale"]["cart_events"] == 2000 and results["runs"] == 1
    # Steps that ran have figures; skipped ones are null and say why.
    assert results["figures"]["generate_s"] is not None and results["figures"]["scan_s"] is not None
    assert results["details"]["scan"]["carts_counted"] > 0
    for step in heavy:
        assert results["details"][step]["null_reason"] == "skipped (--skip)"
    assert results["figures"]["build_over_scan_10m"] is None and results["goals"]["build_over_scan_10m"]["pass"] is None
    assert not (tmp_path / "work").exists(), "the scratch folder is removed unless --keep-work"


def test_figures_are_medians_and_ratios_of_the_steps() -> None:
    details = {
        "scan": {"median_s": 2.0},
        "build": {"median_wall_s": 20.0, "median_model_s": 10.0, "median_peak_rss_bytes": 100},
        "incremental": {"median_wall_s": 5.0, "median_model_s": 1.0},
        "funnel": {
            "dbt": {"median_wall_s": 3.0, "median_peak_rss_bytes": 50},
            "pandas": {"median_wall_s": 6.0, "median_peak_rss_bytes": 200},
        },
        "memlimit": {"null_reason": "skipped (--skip)"},
        "dashboard": {"summary": {"cold_p95_ms": 250.0, "warm_p95_ms": 20.0}},
    }
    figures = bench_run.figures_from(details)
    assert figures["build_over_scan_10m"] == 10.0
    assert figures["incremental_over_full_model_time"] == 0.1
    assert figures["build_over_pandas_wall"] == 0.5
    assert figures["build_over_pandas_peak_rss"] == 0.25
    assert figures["memlimit_1gb_30m_ok"] is None
    goals = bench_run.judge(figures, at_goal_scale=True)["goals"]
    assert goals["build_over_scan_10m"]["pass"] is True
    assert goals["dashboard_page_ms_p95"]["pass"] is True
    assert goals["memlimit_1gb_30m_ok"]["pass"] is None
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 0.5) == 3.0


def test_late_batch_is_the_newest_percent_and_splits_cleanly(raw_dir: Path, tmp_path: Path) -> None:
    base, late = tmp_path / "base", tmp_path / "late"
    split = bench_run.split_landing(raw_dir, base, late)

    landed, kept, held = table_rows(raw_dir), table_rows(base), table_rows(late)
    assert set(kept) == set(landed)
    for table, rows in landed.items():
        assert kept[table] + held.get(table, 0) == rows, table
        assert split["late_rows"][table] == held.get(table, 0)
    assert 0.01 <= held["shop.cart_events"] / landed["shop.cart_events"] < 0.02
    cut = pq.read_table(late / "shop" / "cart_events", columns=["_loaded_at"]).column("_loaded_at")
    before = pq.read_table(base / "shop" / "cart_events", columns=["_loaded_at"]).column("_loaded_at")
    assert pc.max(before).as_py() < pc.min(cut).as_py()

    landed_files = bench_run.land(late, base)
    assert table_rows(base) == landed
    for path in landed_files:
        path.unlink()
    assert table_rows(base) == kept


def test_peak_memory_covers_the_whole_process_tree(tmp_path: Path) -> None:
    grandchild = "import time; block = bytearray(300 * 2**20); time.sleep(1.0)"
    child = f"import subprocess, sys; sys.exit(subprocess.call([sys.executable, '-c', {grandchild!r}]) + 3)"
    measured = run_measured([sys.executable, "-c", child], log_path=tmp_path / "log.txt", interval=0.05)
    assert measured.returncode == 3
    assert measured.peak_rss_bytes > 300 * 2**20
    assert measured.wall_s >= 1.0


def test_dashboard_pages_are_discovered_from_the_navigation() -> None:
    pages = discover_pages(APP)
    assert all((APP.parent / page).is_file() for page in pages)
    if "st.navigation" in APP.read_text():
        assert pages

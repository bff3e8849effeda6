"""Session fixtures: landing data from the real generator and one published warehouse, all in a temp dir."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
TEST_CARTS = 2000
TEST_SEED = 7
#: stdout + stderr of each session fixture's build, by the Warehouse root
BUILD_OUTPUT: dict[Path, str] = {}


@dataclass(frozen=True)
class Warehouse:
    """One isolated build environment (landing dir, build file, published file, dbt target)."""

    root: Path
    env: dict[str, str]

    @property
    def raw_dir(self) -> Path:
        return Path(self.env["CART_RECOVERY_RAW_DIR"])

    @property
    def published_path(self) -> Path:
        return Path(self.env["CART_RECOVERY_WAREHOUSE"])

    @property
    def build_path(self) -> Path:
        return Path(self.env["CART_RECOVERY_BUILD_PATH"])

    @property
    def target_path(self) -> Path:
        return Path(self.env["DBT_TARGET_PATH"])

    @property
    def marker_path(self) -> Path:
        return self.published_path.with_suffix(".build.json")

    def marker(self) -> dict:
        return json.loads(self.marker_path.read_text())

    def manifest(self) -> dict:
        return json.loads((self.target_path / "manifest.json").read_text())

    def build(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cart_recovery", "build", *args],
            cwd=REPO_ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def start_build(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "cart_recovery", "build", *args],
            cwd=REPO_ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def attached(self, truth: str | None = None) -> duckdb.DuckDBPyConnection:
        """In-memory UTC session with the published file attached read-only as `wh` (landing files readable);
        with `truth`, the generator's manifest/<truth>.parquet is the view `truth`. Close it after use."""
        connection = duckdb.connect()
        connection.execute("set TimeZone = 'UTC'")
        connection.execute(f"attach '{self.published_path}' as wh (read_only)")
        if truth:
            manifest_file = self.raw_dir / "manifest" / f"{truth}.parquet"
            connection.execute(f"create view truth as select * from read_parquet('{manifest_file}')")
        return connection

    def connect(self) -> duckdb.DuckDBPyConnection:
        """Read-only connection to the published file; close it before the next build publishes."""
        return duckdb.connect(str(self.published_path), read_only=True)


def make_env(root: Path, raw_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        CART_RECOVERY_RAW_DIR=str(raw_dir),
        CART_RECOVERY_BUILD_PATH=str(root / "warehouse" / "build" / "cart_recovery.build.duckdb"),
        CART_RECOVERY_WAREHOUSE=str(root / "warehouse" / "cart_recovery.duckdb"),
        DBT_TARGET_PATH=str(root / "target"),
        DBT_LOG_PATH=str(root / "logs"),
        DBT_PROFILES_DIR=str(REPO_ROOT),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
    )
    return env


@pytest.fixture(scope="session")
def raw_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from cart_recovery.generate import generate

    raw = tmp_path_factory.mktemp("landing") / "raw"
    generate(raw, carts=TEST_CARTS, seed=TEST_SEED)
    return raw


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory: pytest.TempPathFactory, raw_dir: Path) -> Iterator[Warehouse]:
    """The warehouse built and published once per session."""
    root = tmp_path_factory.mktemp("warehouse")
    built = Warehouse(root=root, env=make_env(root, raw_dir))
    result = built.build()
    assert result.returncode == 0, f"build failed:\n{result.stdout[-5000:]}\n{result.stderr[-5000:]}"
    BUILD_OUTPUT[root] = result.stdout + result.stderr
    yield built


SECOND_SEED = 13


@pytest.fixture(scope="session")
def second_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    """A second warehouse from another seed (acceptance on two seeds), built once per session."""
    from cart_recovery.generate import generate

    raw = tmp_path_factory.mktemp("landing_second") / "raw"
    generate(raw, carts=TEST_CARTS, seed=SECOND_SEED)
    root = tmp_path_factory.mktemp("warehouse_second")
    built = Warehouse(root=root, env=make_env(root, raw))
    result = built.build()
    assert result.returncode == 0, f"build failed:\n{result.stdout[-5000:]}\n{result.stderr[-5000:]}"
    yield built


@pytest.fixture(scope="session", params=[TEST_SEED, SECOND_SEED], ids=lambda seed: f"seed{seed}")
def seeded_warehouse(request: pytest.FixtureRequest) -> Warehouse:
    """Each of the two warehouses in turn: use it for checks that must hold on both seeds."""
    return request.getfixturevalue("warehouse" if request.param == TEST_SEED else "second_warehouse")


@dataclass(frozen=True)
class MetricflowRun:
    """One `python -m cart_recovery metrics` over the session warehouse (MetricFlow is slow: run once)."""

    stdout: str
    weekly_csv: Path  # the default query (recovery rate by channel by week) written as CSV
    headline_csv: Path  # recovery_rate over the cohorts first_cohort..last_cohort
    first_cohort: str
    last_cohort: str


@pytest.fixture(scope="session")
def metricflow(tmp_path_factory: pytest.TempPathFactory, warehouse: Warehouse) -> MetricflowRun:
    """`make metrics`'s command with three queries: the default (printed), the default again into a CSV, and the
    headline recovery rate over every cohort (the dashboard's and the notebook's filters) into a CSV."""
    import shlex

    from cart_recovery.semantic_query import DEFAULT_QUERY

    out = tmp_path_factory.mktemp("metricflow")
    con = warehouse.connect()
    try:
        bounds = "select min(cohort_date), max(cohort_date) from fct_recovery_funnel_daily"
        first, last = con.execute(bounds).fetchall()[0]
    finally:
        con.close()
    default = shlex.join(DEFAULT_QUERY)
    headline = f"--metrics recovery_rate --start-time {first} --end-time {last} --csv {out / 'headline.csv'}"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "cart_recovery",
            "metrics",
            f"--query={default}",
            f"--query={default} --csv {out / 'weekly.csv'}",
            f"--query={headline}",
        ],
        cwd=REPO_ROOT,
        env=warehouse.env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, f"metrics failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return MetricflowRun(result.stdout, out / "weekly.csv", out / "headline.csv", str(first), str(last))

"""`make test-spark`: the same demo landing data built by dbt on DuckDB and on Spark, once per session.

DuckDB builds all of it at once. Spark builds it in two load batches (split by `_loaded_at`): a first build of
the older 80 %, then the newest 20 % landed and an incremental build (insert_overwrite of the staging models'
date partitions), so the comparison also proves Spark's incremental path. The first Spark build and the DuckDB
build run side by side in a temporary directory (landing files, DuckDB build file, Spark warehouse, Derby
metastore, JVM temp files, dbt targets and logs): nothing is written into the working tree.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from cart_recovery.landing import land, loaded_at_quantile, split_by_loaded_at

REPO_ROOT = Path(__file__).resolve().parents[2]
SPARK_CARTS = 1500
SPARK_SEED = 7
BUILD_TIMEOUT_SECONDS = 1500
# Only for this tiny data set: one shuffle partition makes Spark's many small queries cheaper. It is not in
# profiles.yml, whose `spark` target is meant for real data. (The C1-only JIT, -XX:TieredStopAtLevel=1, would
# save a few seconds of start-up but runs out of code cache on this project.)
SPARK_CI_SUBMIT_ARGS = "--conf spark.sql.shuffle.partitions=1 pyspark-shell"


@dataclass
class EngineBuilds:
    """Where each engine's build of the same landing data can be read."""

    root: Path
    duckdb_path: Path
    spark_dir: Path
    manifest_path: Path
    seconds: dict[str, float] = field(default_factory=dict)

    def spark_table_glob(self, table: str, schema: str = "cart_recovery") -> str:
        """The parquet files of a Spark table; the marts are in the target's schema, the layers in their own."""
        return str(self.spark_dir / "warehouse" / f"{schema}.db" / table / "*.parquet")


def _java_major_version() -> int | None:
    java = shutil.which("java")
    if java is None:
        return None
    output = subprocess.run([java, "-version"], capture_output=True, text=True, check=False).stderr
    match = re.search(r'version "(\d+)', output)
    return int(match.group(1)) if match else None


def _dbt_env(root: Path, engine: str, raw_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        CART_RECOVERY_RAW_DIR=str(raw_dir),
        DBT_PROFILES_DIR=str(REPO_ROOT),
        DBT_TARGET_PATH=str(root / engine / "target"),
        DBT_LOG_PATH=str(root / engine / "logs"),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
    )
    return env


def _dbt_build(
    dbt: str, target: str, env: dict[str, str], log_path: Path, args: list[str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    """`dbt build --target <target> [args]` to the end, its output in log_path."""
    with log_path.open("w") as out:
        return subprocess.run(
            [dbt, "build", "--target", target, *(args or [])],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=BUILD_TIMEOUT_SECONDS,
            check=False,
        )


def _failure_report(engine: str, log_path: Path) -> str:
    lines = log_path.read_text(errors="replace").splitlines()
    # Spark's JVM stack traces drown the dbt summary: keep dbt's lines.
    dbt_lines = [line for line in lines if not line.lstrip().startswith("at ")]
    return f"dbt build on {engine} failed; last lines of {log_path}:\n" + "\n".join(dbt_lines[-80:])


def _build_side_by_side(
    dbt: str,
    builds: EngineBuilds,
    duckdb_env: dict[str, str],
    spark_env: dict[str, str],
    args: list[str],
    spark_args: tuple[str, ...] = (),
) -> None:
    """One dbt invocation per engine (each Spark one starts a JVM), side by side; both must succeed. `spark_args`
    go to the Spark build only."""
    root = builds.root
    spark_log, duckdb_log = root / "spark_build.log", root / "duckdb_build.log"
    started = time.monotonic()
    with spark_log.open("w") as spark_out:
        spark = subprocess.Popen(
            [dbt, "build", "--target", "spark", *args, *spark_args],
            cwd=REPO_ROOT,
            env=spark_env,
            stdout=spark_out,
            stderr=subprocess.STDOUT,
        )
        try:
            duckdb = _dbt_build(dbt, "dev", duckdb_env, duckdb_log, args)
            builds.seconds["duckdb build"] = time.monotonic() - started
            spark.wait(timeout=BUILD_TIMEOUT_SECONDS)
            builds.seconds["spark first batch"] = time.monotonic() - started
        finally:
            if spark.poll() is None:
                spark.kill()
                spark.wait()
    assert duckdb.returncode == 0, _failure_report("DuckDB", duckdb_log)
    assert spark.returncode == 0, _failure_report("Spark", spark_log)


def _spark_env(root: Path, builds: EngineBuilds, raw_dir: Path) -> dict[str, str]:
    env = _dbt_env(root, "spark", raw_dir)
    env.update(
        CART_RECOVERY_SPARK_DIR=str(builds.spark_dir),
        SPARK_LOCAL_IP="127.0.0.1",
        PYSPARK_SUBMIT_ARGS=SPARK_CI_SUBMIT_ARGS,
    )
    return env


@pytest.fixture(scope="session")
def engine_builds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineBuilds]:
    java_version = _java_major_version()
    if java_version is None or java_version < 17:
        pytest.fail(f"Spark 4 needs Java 17 or newer on PATH (found: {java_version})")

    from cart_recovery.generate import generate

    root = tmp_path_factory.mktemp("engine_parity")
    generated = root / "generated"
    generate(generated, carts=SPARK_CARTS, seed=SPARK_SEED)
    batches = [root / "batches" / "older", root / "batches" / "newest"]
    split_by_loaded_at(generated, batches, [loaded_at_quantile(generated, 0.8)])
    raw_dir, spark_raw_dir = root / "raw", root / "spark_raw"
    for batch in batches:
        land(batch, raw_dir)
    land(batches[0], spark_raw_dir)
    builds = EngineBuilds(
        root=root,
        duckdb_path=root / "duckdb" / "cart_recovery.build.duckdb",
        spark_dir=root / "spark",
        manifest_path=root / "spark" / "target" / "manifest.json",
    )
    builds.duckdb_path.parent.mkdir(parents=True)
    dbt = str(Path(sys.executable).with_name("dbt"))

    spark_env = _spark_env(root, builds, spark_raw_dir)
    duckdb_env = _dbt_env(root, "duckdb", raw_dir)
    duckdb_env["CART_RECOVERY_BUILD_PATH"] = str(builds.duckdb_path)

    _build_side_by_side(dbt, builds, duckdb_env, spark_env, [])

    # The newest batch lands; Spark continues incrementally from its tables.
    land(batches[1], spark_raw_dir)
    spark_log = root / "spark_incremental_build.log"
    started = time.monotonic()
    spark_incremental = _dbt_build(dbt, "spark", spark_env, spark_log)
    builds.seconds["spark incremental batch"] = time.monotonic() - started
    assert spark_incremental.returncode == 0, _failure_report("Spark (incremental)", spark_log)
    _SECONDS.update(builds.seconds)
    yield builds


FIVETRAN_VARS = "{shop_source_format: fivetran, stripe_source_format: fivetran, messaging_source_format: fivetran}"


@pytest.fixture(scope="session")
def fivetran_builds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineBuilds]:
    """The same world landed as Fivetran's Shopify, Stripe and Klaviyo tables (docs/connectors.md), built once
    on each engine with every system read in the connector format."""
    from cart_recovery.generate import generate

    root = tmp_path_factory.mktemp("fivetran_parity")
    raw_dir = root / "raw"
    generate(raw_dir, carts=SPARK_CARTS, seed=SPARK_SEED, format="fivetran")
    builds = EngineBuilds(
        root=root,
        duckdb_path=root / "duckdb" / "cart_recovery.build.duckdb",
        spark_dir=root / "spark",
        manifest_path=root / "spark" / "target" / "manifest.json",
    )
    builds.duckdb_path.parent.mkdir(parents=True)
    duckdb_env = _dbt_env(root, "duckdb", raw_dir)
    duckdb_env["CART_RECOVERY_BUILD_PATH"] = str(builds.duckdb_path)
    dbt = str(Path(sys.executable).with_name("dbt"))
    # The data tests and unit tests run on DuckDB (above) and on Spark in the native builds; here Spark builds the
    # models and snapshots only, which is what the parity compares.
    _build_side_by_side(
        dbt,
        builds,
        duckdb_env,
        _spark_env(root, builds, raw_dir),
        ["--vars", FIVETRAN_VARS],
        spark_args=("--exclude-resource-type", "test", "unit_test"),
    )
    _SECONDS.update({f"fivetran {name}": seconds for name, seconds in builds.seconds.items()})
    yield builds


_SECONDS: dict[str, float] = {}


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _SECONDS:
        timings = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in _SECONDS.items())
        terminalreporter.write_line(f"engine parity: {SPARK_CARTS} carts (seed {SPARK_SEED}); {timings}")

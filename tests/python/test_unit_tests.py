"""The dbt unit tests: the models' logic on hand-written rows, run here rather than in every production build.

`cart_recovery build` excludes them (they check code, not data); this runs all of them once, against a copy of
the session's published warehouse, so that dbt finds every input relation's column types.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import REPO_ROOT, Warehouse

DBT = [sys.executable, "-c", "from dbt.cli.main import cli; cli()"]


def test_every_dbt_unit_test_runs_and_passes(warehouse: Warehouse, tmp_path: Path) -> None:
    target = tmp_path / "target"
    # the build's parse (same vars, same profile, so the same build path), so that dbt does not parse again
    shutil.copytree(warehouse.target_path, target)
    (target / "run_results.json").unlink(missing_ok=True)
    shutil.copy(warehouse.published_path, warehouse.build_path)
    env = {**warehouse.env, "DBT_TARGET_PATH": str(target), "DBT_LOG_PATH": str(tmp_path / "logs")}
    try:
        result = subprocess.run(
            [*DBT, "test", "--select", "test_type:unit", "--vars", "{}"],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
    finally:
        warehouse.build_path.unlink(missing_ok=True)
    output = result.stdout[-6000:] + result.stderr[-3000:]
    assert result.returncode == 0, output

    manifest = json.loads((target / "manifest.json").read_text())
    expected = sorted(manifest["unit_tests"])
    results = json.loads((target / "run_results.json").read_text())["results"]
    results = [item for item in results if item["unique_id"].startswith("unit_test.")]
    ran = sorted(item["unique_id"] for item in results)
    assert len(expected) >= 40, "the unit tests were not found in the manifest"
    assert ran == expected, output
    assert {item["status"] for item in results} == {"pass"}, output


def test_the_production_build_leaves_unit_tests_out(warehouse: Warehouse) -> None:
    con = warehouse.connect()
    try:
        kinds = dict(con.sql("select resource_type, count(*) from warehouse_node_results group by all").fetchall())
    finally:
        con.close()
    assert "unit_test" not in kinds
    assert kinds["test"] > 200 and kinds["model"] > 40

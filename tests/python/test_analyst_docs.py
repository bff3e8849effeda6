"""What analysts read about the published warehouse: the dbt descriptions as DuckDB comments inside the file, and
the dbt docs site generated from a copy of it (`python -m cart_recovery docs`, `make docs`)."""

from __future__ import annotations

import hashlib
import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import duckdb
import pytest
from conftest import REPO_ROOT, Warehouse

from cart_recovery.comments import write_comments
from cart_recovery.errors import BuildError

#: The public marts as docs/marts.md lists them (more may be added under models/marts/; these must be there).
PUBLIC_MARTS = {
    "fct_cart_recovery",
    "fct_recovery_funnel_daily",
    "fct_orders",
    "fct_payments",
    "fct_workflow_exceptions",
    "rpt_source_reconciliation",
    "rejected_records",
}


def mart_nodes(manifest: dict) -> dict[str, dict]:
    """Every model under models/marts/, by name."""
    return {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["original_file_path"].startswith("models/marts/")
    }


def published_columns(warehouse: Warehouse) -> dict[str, dict[str, tuple[str, str | None]]]:
    """table -> column -> (data type, comment), and '' -> table -> comment, as the published file holds them."""
    con = warehouse.connect()
    try:
        columns = con.execute(
            "select table_name, column_name, data_type, comment from duckdb_columns() where schema_name = 'main'"
        ).fetchall()
        tables = con.execute("select table_name, comment from duckdb_tables() where schema_name = 'main'").fetchall()
    finally:
        con.close()
    result: dict[str, dict[str, tuple[str, str | None]]] = {"": {name: ("", comment) for name, comment in tables}}
    for table, column, data_type, comment in columns:
        result.setdefault(table, {})[column] = (data_type, comment)
    return result


def test_every_public_table_and_column_carries_its_description(warehouse: Warehouse) -> None:
    manifest = warehouse.manifest()
    marts = mart_nodes(manifest)
    assert set(marts) >= PUBLIC_MARTS
    built = published_columns(warehouse)
    for name, node in marts.items():
        table_comment = built[""][name][1]
        assert table_comment and table_comment == node["description"].strip(), name
        assert set(built[name]) == set(node["columns"]), f"{name}: built columns = documented columns"
        for column, (_, comment) in built[name].items():
            expected = node["columns"][column]["description"].strip()
            assert expected and "{{" not in expected, f"{name}.{column}: rendered, non-empty description"
            assert comment == expected, f"{name}.{column}"
    # the exception history (a snapshot the dashboard reads): every column described, its own or its model's
    snapshot = manifest["nodes"]["snapshot.cart_recovery.snap_workflow_exceptions"]
    assert built[""]["snap_workflow_exceptions"][1] == snapshot["description"].strip()
    history = built["snap_workflow_exceptions"]
    assert all(comment for _, comment in history.values()), [c for c, (_, comment) in history.items() if not comment]
    assert history["dbt_valid_to"][1] == snapshot["columns"]["dbt_valid_to"]["description"].strip()
    assert history["owner"][1] == marts["fct_workflow_exceptions"]["columns"]["owner"]["description"].strip()


def test_a_documented_column_missing_from_the_file_is_named(tmp_path: Path) -> None:
    database = tmp_path / "small.duckdb"
    con = duckdb.connect(str(database))
    con.execute("create table fct_small (small_id integer)")
    con.close()
    node = {
        "resource_type": "model",
        "original_file_path": "models/marts/fct_small.sql",
        "schema": "main",
        "name": "fct_small",
        "alias": "fct_small",
        "description": "It's small.\n",
        "columns": {"small_id": {"description": "The id."}, "gone": {"description": "Not built."}},
        "depends_on": {"nodes": []},
    }
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"nodes": {"model.p.fct_small": node}, "exposures": {}}))
    with pytest.raises(BuildError) as raised:
        write_comments(database, manifest)
    assert str(raised.value).splitlines()[0].startswith(f"{database}: main.fct_small has no column gone")

    del node["columns"]["gone"]
    manifest.write_text(json.dumps({"nodes": {"model.p.fct_small": node}, "exposures": {}}))
    assert write_comments(database, manifest) == 2
    con = duckdb.connect(str(database), read_only=True)
    try:
        assert con.execute("select comment from duckdb_tables()").fetchall() == [("It's small.",)]
        assert con.execute("select comment from duckdb_columns() where table_name = 'fct_small'").fetchall() == [
            ("The id.",)
        ]
    finally:
        con.close()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def docs_site(tmp_path_factory: pytest.TempPathFactory, warehouse: Warehouse) -> Path:
    """`python -m cart_recovery docs --no-serve` over the session warehouse, while a reader holds it open."""
    site = tmp_path_factory.mktemp("docs") / "site"
    before = sha256(warehouse.published_path)
    reader = warehouse.connect()  # a notebook holding the published file must not stop the docs
    try:
        result = subprocess.run(
            [sys.executable, "-m", "cart_recovery", "docs", "--no-serve", "--out", str(site)],
            cwd=REPO_ROOT,
            env=warehouse.env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    finally:
        reader.close()
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert sha256(warehouse.published_path) == before, "the published file is only read"
    return site


def test_the_docs_catalog_lists_every_public_mart_with_columns_types_and_rows(
    docs_site: Path, warehouse: Warehouse
) -> None:
    catalog = json.loads((docs_site / "catalog.json").read_text())
    manifest = json.loads((docs_site / "manifest.json").read_text())
    built = published_columns(warehouse)
    con = warehouse.connect()
    try:
        for name, node in mart_nodes(manifest).items():
            entry = catalog["nodes"][node["unique_id"]]
            assert entry["metadata"]["comment"] == node["description"].strip()
            types = {column["name"]: column["type"] for column in entry["columns"].values()}
            assert types == {column: data_type for column, (data_type, _) in built[name].items()}, name
            assert all(column["comment"] for column in entry["columns"].values()), name
            rows = con.execute(f"select count(*) from {name}").fetchall()[0][0]
            assert entry["stats"].get("row_count", {}).get("value") == rows > 0, f"{name}: row count in the catalog"
    finally:
        con.close()
    assert set(mart_nodes(manifest)) >= PUBLIC_MARTS
    static = (docs_site / "static_index.html").read_text()
    assert '"CATALOG.JSON INLINE DATA"' not in static and '"row_count"' in static
    assert (docs_site / "index.html").stat().st_size > 0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_docs_site_is_served_on_loopback(docs_site: Path) -> None:
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from cart_recovery.docs_site import serve; "
            "serve(Path(sys.argv[1]), int(sys.argv[2]))",
            str(docs_site),
            str(port),
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/catalog.json", timeout=5) as response:
                    served = json.loads(response.read())
                break
            except OSError:
                assert time.monotonic() < deadline, "the docs server did not answer"
                time.sleep(0.2)
        assert served == json.loads((docs_site / "catalog.json").read_text())
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            assert response.status == 200 and b"<html" in response.read().lower()
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_docs_without_a_published_warehouse_names_it(tmp_path: Path, warehouse: Warehouse) -> None:
    missing = tmp_path / "nowhere" / "cart_recovery.duckdb"
    result = subprocess.run(
        [sys.executable, "-m", "cart_recovery", "docs", "--no-serve"],
        cwd=REPO_ROOT,
        env={**warehouse.env, "CART_RECOVERY_WAREHOUSE": str(missing)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert result.stderr.splitlines()[0].startswith(f"{missing}: no published warehouse to document")

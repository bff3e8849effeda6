"""The published file's public schema (`main`) lists only the interface: the public marts, what the exposures read
and the build's metadata tables documented in docs/marts.md; staging, intermediate and the seeds live in schemas of
their own, and a build drops whatever an older layout (or anyone) left in `main`."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
from conftest import REPO_ROOT, Warehouse, make_env

from cart_recovery.publish import BUILD_INFO_TABLE


def expected_public(manifest: dict) -> set[str]:
    """The models under models/marts/, every model or snapshot an exposure reads, and the metadata tables that
    docs/marts.md "What the published file holds" documents."""
    nodes = manifest["nodes"]
    names = {
        node["name"]
        for node in nodes.values()
        if node["resource_type"] == "model" and node["original_file_path"].startswith("models/marts/")
    }
    for exposure in manifest["exposures"].values():
        names |= {
            nodes[unique_id]["name"]
            for unique_id in exposure["depends_on"]["nodes"]
            if nodes[unique_id]["resource_type"] in ("model", "snapshot")
        }
    docs = (REPO_ROOT / "docs" / "marts.md").read_text()
    section = docs.split("## What the published file holds", 1)[1].split("\n## ", 1)[0]
    metadata = set(re.findall(r"`(warehouse_[a-z_]+)`", section))
    assert len(metadata) == 5, metadata
    return names | metadata


def relations(path: Path) -> dict[str, set[str]]:
    """schema -> names of its tables and views, as the file holds them."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = con.execute(
            "select schema_name, table_name from duckdb_tables() where database_name = current_database() "
            "union all select schema_name, view_name from duckdb_views() "
            "where database_name = current_database() and not internal"
        ).fetchall()
    finally:
        con.close()
    result: dict[str, set[str]] = {}
    for schema, name in rows:
        result.setdefault(schema, set()).add(name)
    return result


def test_main_holds_only_the_interface_and_the_layers_their_schemas(warehouse: Warehouse) -> None:
    manifest = warehouse.manifest()
    found = relations(warehouse.published_path)
    public = expected_public(manifest)
    assert found["main"] == public
    assert {"fct_orders", "snap_workflow_exceptions", BUILD_INFO_TABLE, "warehouse_landed_rows"} <= public

    enabled = [node for node in manifest["nodes"].values() if node["resource_type"] in ("model", "seed")]
    layers = (
        ("models/staging/", "staging"),
        ("models/intermediate/", "intermediate"),
        ("models/semantic/", "semantic"),
    )
    for folder, schema in layers:
        expected = {node["name"] for node in enabled if node["original_file_path"].startswith(folder)}
        assert expected and found[schema] == expected, schema
    assert found["reference"] == {node["name"] for node in enabled if node["resource_type"] == "seed"}
    assert set(found) == {"main", "staging", "intermediate", "semantic", "reference"}


def test_every_public_column_has_a_comment(warehouse: Warehouse) -> None:
    """Every column of every public table (metadata tables aside: the build writes them, dbt does not) carries a
    non-empty comment in the published file."""
    public = expected_public(warehouse.manifest()) - {
        name for name in relations(warehouse.published_path)["main"] if name.startswith("warehouse_")
    }
    con = duckdb.connect(str(warehouse.published_path), read_only=True)
    try:
        rows = con.execute(
            "select table_name, column_name, comment from duckdb_columns() "
            "where database_name = current_database() and schema_name = 'main'"
        ).fetchall()
    finally:
        con.close()
    columns = [(table, column, comment) for table, column, comment in rows if table in public]
    assert {table for table, _, _ in columns} == public
    assert [(table, column) for table, column, comment in columns if not (comment or "").strip()] == []


def test_a_build_drops_what_an_older_layout_left_in_main(warehouse: Warehouse, tmp_path: Path) -> None:
    """Leftovers of the older layout (everything in main) in a published file of the current layout are dropped
    by the next, incremental, build. A published file of the older layout (no `schema_layout` in warehouse_build)
    is not continued from: the build starts over, carrying only the history over."""
    copy = Warehouse(root=tmp_path, env=make_env(tmp_path, warehouse.raw_dir))
    copy.published_path.parent.mkdir(parents=True)
    shutil.copyfile(warehouse.published_path, copy.published_path)
    public = expected_public(warehouse.manifest())
    con = duckdb.connect(str(copy.published_path))
    try:
        con.execute("create table main.stg_shop__orders as select * from staging.stg_shop__orders")
        con.execute("create view main.base_shop__orders as select * from main.stg_shop__orders")
    finally:
        con.close()
    assert relations(copy.published_path)["main"] == public | {"stg_shop__orders", "base_shop__orders"}

    result = copy.build()
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-5000:]
    assert "Continuing from the published warehouse" in output
    dropped = (
        "Dropped from the public schema (not part of the interface): main.base_shop__orders, main.stg_shop__orders"
    )
    assert dropped + "\n" in output
    assert relations(copy.published_path)["main"] == public

    con = duckdb.connect(str(copy.published_path))
    try:
        con.execute("create table main.int_carts__outcomes as select 1 as cart_token")
        con.execute(f"alter table {BUILD_INFO_TABLE} drop column schema_layout")
    finally:
        con.close()
    result = copy.build()
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-5000:]
    assert "Full refresh; carried over history from the published warehouse: main.snap_workflow_exceptions\n" in output
    assert "Dropped from the public schema" not in output
    assert relations(copy.published_path)["main"] == public

"""Write every public table's and column's dbt description into the build file as DuckDB comments.

Analysts open the published file from notebooks, where `duckdb_tables()` and `duckdb_columns()` are the only
documentation at hand. After `dbt build` passed and before the file is published, this step reads the build's
`manifest.json` (descriptions rendered, doc blocks resolved) and runs `COMMENT ON TABLE` / `COMMENT ON COLUMN`
for the public tables: the models under models/marts/ and every node an exposure reads (e.g. the exception
history snapshot). A snapshot column without its own description takes that of the same column of the model it
snapshots. It is a step of the DuckDB build, so the Spark target is not affected.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from cart_recovery.errors import BuildError

MARTS_PATH = "models/marts/"


@dataclass(frozen=True)
class TableDocs:
    """One public table: where it is, its description and its columns' descriptions (rendered text)."""

    unique_id: str
    schema: str
    name: str
    description: str
    columns: dict[str, str]


def load_manifest(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise BuildError(f"{path}: no dbt manifest, so the public tables' descriptions cannot be written.")
    return json.loads(path.read_text())


def public_node_ids(manifest: dict[str, Any]) -> list[str]:
    """The models under models/marts/ and every model or snapshot an exposure depends on, sorted."""
    ids = {
        unique_id
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node["original_file_path"].startswith(MARTS_PATH)
    }
    for exposure in manifest.get("exposures", {}).values():
        ids.update(
            unique_id
            for unique_id in exposure["depends_on"]["nodes"]
            if manifest["nodes"].get(unique_id, {}).get("resource_type") in ("model", "snapshot")
        )
    return sorted(ids)


def _description(text: str | None) -> str:
    return (text or "").strip()


def public_tables(manifest: dict[str, Any]) -> list[TableDocs]:
    """The descriptions to write, from the manifest (a snapshot's undocumented columns inherit from its model)."""
    tables = []
    for unique_id in public_node_ids(manifest):
        node = manifest["nodes"][unique_id]
        inherited: dict[str, str] = {}
        if node["resource_type"] == "snapshot":
            for parent_id in node["depends_on"]["nodes"]:
                parent = manifest["nodes"].get(parent_id, {})
                for column, docs in parent.get("columns", {}).items():
                    inherited.setdefault(column, _description(docs.get("description")))
        columns = {**inherited}
        for column, docs in node.get("columns", {}).items():
            if _description(docs.get("description")):
                columns[column] = _description(docs.get("description"))
        tables.append(
            TableDocs(
                unique_id=unique_id,
                schema=node["schema"],
                name=node["alias"] or node["name"],
                description=_description(node.get("description")),
                columns={column: text for column, text in columns.items() if text},
            )
        )
    return tables


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def write_comments(database_path: Path, manifest_path: Path) -> int:
    """COMMENT ON every public table and each of its documented columns in `database_path`; returns how many
    comments were written. A documented table or column that is not in the file is an error naming it."""
    tables = public_tables(load_manifest(manifest_path))
    con = duckdb.connect(str(database_path))
    written = 0
    try:
        for table in tables:
            relation = f"{_identifier(table.schema)}.{_identifier(table.name)}"
            built = {
                row[0]
                for row in con.execute(
                    "select column_name from duckdb_columns() "
                    "where database_name = current_database() and schema_name = ? and table_name = ?",
                    [table.schema, table.name],
                ).fetchall()
            }
            if not built:
                raise BuildError(
                    f"{database_path}: public table {table.schema}.{table.name} ({table.unique_id}) "
                    "is not in the build file, so its description cannot be written."
                )
            missing = sorted(set(table.columns) - built)
            if missing:
                raise BuildError(
                    f"{database_path}: {table.schema}.{table.name} has no column {', '.join(missing)}, yet "
                    f"{table.unique_id} documents it: remove it from the yml or build it."
                )
            if table.description:
                con.execute(f"comment on table {relation} is {_literal(table.description)}")
                written += 1
            for column, text in table.columns.items():
                con.execute(f"comment on column {relation}.{_identifier(column)} is {_literal(text)}")
                written += 1
        con.execute("checkpoint")
    finally:
        con.close()
    return written

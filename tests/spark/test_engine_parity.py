"""Every public mart is the same on Spark as on DuckDB, row for row, from the native landing and from the same
world landed as Fivetran's tables.

Both sides are read with DuckDB: the DuckDB build file, and the parquet files of Spark's tables. Column names
and types must agree; money (decimals) and every other value must be equal, timestamps to the second and
doubles to 9 decimals. A mismatch prints, per primary key, the columns that differ.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from conftest import REPO_ROOT, EngineBuilds

PUBLIC_MARTS = [
    "fct_orders",
    "fct_payments",
    "fct_cart_recovery",
    "fct_recovery_funnel_daily",
    "fct_workflow_exceptions",
    "rpt_source_reconciliation",
    "rejected_records",
]
SHOWN_DIFFERENCES = 20


def _manifest(builds: EngineBuilds) -> dict:
    return json.loads(builds.manifest_path.read_text())


def _primary_key(manifest: dict, model: str) -> str:
    """The first column (in the model's yml order) that carries a `unique` test."""
    model_id = f"model.cart_recovery.{model}"
    unique_columns = {
        node["column_name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test"
        and (node.get("test_metadata") or {}).get("name") == "unique"
        and node.get("attached_node") == model_id
    }
    return next(column for column in manifest["nodes"][model_id]["columns"] if column in unique_columns)


def _normalised(con: duckdb.DuckDBPyConnection, relation: str) -> str:
    """A select over `relation` with timestamps cut to the second (UTC) and doubles rounded."""
    expressions = []
    for name, data_type, *_ in con.execute(f"describe select * from {relation}").fetchall():
        quoted = f'"{name}"'
        if data_type == "TIMESTAMP WITH TIME ZONE":
            expression = f"date_trunc('second', timezone('UTC', {quoted}))"
        elif data_type.startswith("TIMESTAMP"):
            expression = f"date_trunc('second', {quoted})"
        elif data_type in ("DOUBLE", "FLOAT"):
            expression = f"round({quoted}, 9)"
        else:
            expression = quoted
        expressions.append(f"{expression} as {quoted}")
    return f"select {', '.join(expressions)} from {relation}"


def _schema(con: duckdb.DuckDBPyConnection, relation: str) -> list[tuple[str, str]]:
    rows = con.execute(f"describe select * from {relation}").fetchall()
    return [(name, data_type.replace("TIMESTAMP WITH TIME ZONE", "TIMESTAMP")) for name, data_type, *_ in rows]


def _describe_differences(
    con: duckdb.DuckDBPyConnection, key: str, only_duckdb: str, only_spark: str, columns: list[str]
) -> list[str]:
    def rows_by_key(relation: str) -> dict:
        cursor = con.execute(f"select * from {relation} order by all")
        names = [column[0] for column in cursor.description]
        return {row[names.index(key)]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}

    duck_rows, spark_rows = rows_by_key(only_duckdb), rows_by_key(only_spark)
    lines = []
    for key_value in sorted(duck_rows.keys() | spark_rows.keys(), key=str):
        duck_row, spark_row = duck_rows.get(key_value), spark_rows.get(key_value)
        if spark_row is None:
            lines.append(f"  {key}={key_value!r}: only on DuckDB: {duck_row}")
        elif duck_row is None:
            lines.append(f"  {key}={key_value!r}: only on Spark: {spark_row}")
        else:
            changed = [
                f"{column}: duckdb={duck_row[column]!r} spark={spark_row[column]!r}"
                for column in columns
                if duck_row[column] != spark_row[column]
            ]
            lines.append(f"  {key}={key_value!r}: " + "; ".join(changed))
    return lines


@pytest.fixture(scope="module", params=["native", "fivetran"])
def builds(request: pytest.FixtureRequest) -> EngineBuilds:
    """The builds of the native landing (two batches on Spark), then of the same world as Fivetran's tables."""
    return request.getfixturevalue("engine_builds" if request.param == "native" else "fivetran_builds")


@pytest.fixture(scope="module")
def con(builds: EngineBuilds) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.execute("set TimeZone = 'UTC'")
    connection.execute(f"attach '{builds.duckdb_path}' as duckdb_build (read_only)")
    yield connection
    connection.close()


def test_every_public_mart_is_compared(engine_builds: EngineBuilds) -> None:
    marts = {
        node["name"]
        for node in _manifest(engine_builds)["nodes"].values()
        if node["resource_type"] == "model" and node["original_file_path"].startswith("models/marts/")
    }
    assert marts == set(PUBLIC_MARTS)


@pytest.mark.parametrize("mart", PUBLIC_MARTS)
def test_mart_is_identical_on_spark(builds: EngineBuilds, con: duckdb.DuckDBPyConnection, mart: str) -> None:
    duck = f"duckdb_build.main.{mart}"
    spark = f"read_parquet('{builds.spark_table_glob(mart)}')"

    duck_schema, spark_schema = _schema(con, duck), _schema(con, spark)
    assert spark_schema == duck_schema, f"{mart}: columns differ\n  duckdb: {duck_schema}\n  spark:  {spark_schema}"

    con.execute(f"create or replace temp table duck_rows as {_normalised(con, duck)}")
    con.execute(f"create or replace temp table spark_rows as {_normalised(con, spark)}")
    for only, this, other in (("only_duckdb", "duck_rows", "spark_rows"), ("only_spark", "spark_rows", "duck_rows")):
        con.execute(f"create or replace temp table {only} as select * from {this} except all select * from {other}")
    (duck_count,) = con.execute("select count(*) from duck_rows").fetchone()
    (spark_count,) = con.execute("select count(*) from spark_rows").fetchone()
    (only_duck_count,) = con.execute("select count(*) from only_duckdb").fetchone()
    (only_spark_count,) = con.execute("select count(*) from only_spark").fetchone()
    if only_duck_count or only_spark_count:
        key = _primary_key(_manifest(builds), mart)
        lines = _describe_differences(
            con, key, "only_duckdb", "only_spark", [name for name, _ in duck_schema if name != key]
        )
        pytest.fail(
            f"{mart}: {duck_count} rows on DuckDB, {spark_count} on Spark; {only_duck_count} DuckDB rows and "
            f"{only_spark_count} Spark rows have no identical row on the other engine:\n"
            + "\n".join(lines[:SHOWN_DIFFERENCES])
            + (f"\n  ... {len(lines) - SHOWN_DIFFERENCES} more keys" if len(lines) > SHOWN_DIFFERENCES else "")
        )
    assert duck_count > 0, f"{mart} is empty on both engines: nothing was compared"


def test_spark_leaves_nothing_in_the_working_tree(engine_builds: EngineBuilds) -> None:
    leftovers = [name for name in ("metastore_db", "derby.log", "spark-warehouse") if (REPO_ROOT / name).exists()]
    assert not leftovers, f"Spark wrote into the working tree: {leftovers}"
    assert (Path(engine_builds.spark_dir) / "metastore_db").is_dir(), "the Derby metastore is not in the temp dir"


def test_spark_built_the_second_batch_incrementally(engine_builds: EngineBuilds) -> None:
    """Two Spark builds are logged, and the staging tables are partitioned by event date."""
    con = duckdb.connect()
    try:
        builds_glob = engine_builds.spark_table_glob("int_warehouse__builds", "intermediate")
        (builds,) = con.execute(f"select count(*) from read_parquet('{builds_glob}')").fetchone()
    finally:
        con.close()
    assert builds == 2
    partitions = list(
        (engine_builds.spark_dir / "warehouse" / "staging.db" / "stg_shop__cart_events").glob("event_date=*")
    )
    assert len(partitions) > 100, "stg_shop__cart_events is not partitioned by event_date"

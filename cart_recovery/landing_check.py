"""Check the landing against its contract before dbt runs, and count what is landed independently of dbt.

The contract is the dbt sources' own column list (`models/staging/**/_*__sources.yml`: every column's
`data_type`, a source's `meta.optional`), so it is written once. For each raw table the check lists its folder
itself (any depth, `.parquet` in any case: loaders write `dt=2026-11-18/part-0.parquet` and `PART.PARQUET` too),
reads every file's Parquet footer (schema and row count, not the rows) and reports, first line first, the file
and column of every problem: a missing required table, a file that is not Parquet or cannot be read, a missing
column or one landed with a type the contract cannot read. Rows are counted from the footers, so the
conservation test (`landed_rows_conserved`) compares dbt's staged + rejected + duplicate rows with a count that
did not go through dbt's own file pattern.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

PROJECT_DIR = Path(__file__).resolve().parent.parent
SOURCES_GLOB = "models/staging/**/_*__sources.yml"
#: Files a loader leaves beside the data (markers, checksums, hidden files) are not data and are skipped.
IGNORED_PREFIXES = (".", "_")


@dataclass(frozen=True)
class TableContract:
    source: str  # the dbt source, e.g. shop or fivetran_shopify
    table: str  # its table, e.g. orders or order
    folder: str  # where its files land under the raw dir, e.g. shop/orders or shopify/order
    columns: dict[str, str]  # column -> contract data_type, e.g. "decimal(18,2)"
    optional: bool

    @property
    def name(self) -> str:
        """`<source>.<table>`: the key of the row counts the conservation test reads."""
        return f"{self.source}.{self.table}"


@dataclass
class LandingReport:
    """What the check found: row counts per landed table, and problems (each naming file and column)."""

    row_counts: dict[str, int] = field(default_factory=dict)
    files: dict[str, int] = field(default_factory=dict)
    not_landed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def load_contract(
    project_dir: Path = PROJECT_DIR, formats: dict[str, str] | None = None, variables: dict | None = None
) -> list[TableContract]:
    """The landing contract from the dbt source definitions: the tables of the format each system is read in
    (`formats`: system -> native or fivetran; native when not given), in the folders Fivetran's conventions
    name (`<connector>_schema` / `<connector>_<table>_identifier` in `variables`, docs/connectors.md)."""
    formats = formats or {}
    variables = variables or {}
    contracts = []
    for path in sorted(project_dir.glob(SOURCES_GLOB)):
        for source in (yaml.safe_load(path.read_text()) or {}).get("sources", []):
            config = source.get("config") or {}
            meta = {**(source.get("meta") or {}), **(config.get("meta") or {})}
            if "external_location" not in meta:
                continue  # not read from the landing directory
            name = source["name"]
            system, source_format = meta.get("system", name), meta.get("format", "native")
            if formats.get(system, "native") != source_format:
                continue
            connector = name.removeprefix("fivetran_")
            for table in source.get("tables", []):
                table_name = table["name"]
                table_meta = (table.get("config") or {}).get("meta") or {}
                if source_format == "fivetran":
                    schema = variables.get(f"{connector}_schema", connector)
                    folder = f"{schema}/{variables.get(f'{connector}_{table_name}_identifier', table_name)}"
                else:
                    folder = f"{name}/{table_name}"
                columns = {column["name"]: column.get("data_type", "") for column in table.get("columns", [])}
                optional = bool(meta.get("optional") or table_meta.get("optional"))
                contracts.append(TableContract(name, table_name, folder, columns, optional))
    return contracts


def _data_files(folder: Path) -> Iterator[Path]:
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(IGNORED_PREFIXES))
        for name in sorted(names):
            if not name.startswith(IGNORED_PREFIXES):
                yield Path(root) / name


def readable_as(contract_type: str, arrow_type: pa.DataType) -> bool:
    """Can the base models read a column landed with `arrow_type` as the contract's type?"""
    if pa.types.is_null(arrow_type):
        return True  # a column with no value in this file
    if " or " in contract_type:  # e.g. "timestamp or varchar": connectors land times typed or as naive text
        return any(readable_as(part.strip(), arrow_type) for part in contract_type.split(" or "))
    wanted = contract_type.lower().replace(" ", "")
    if wanted in ("varchar", "string", "text"):
        return pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type)
    if wanted in ("bigint", "integer", "int"):
        return pa.types.is_integer(arrow_type)
    if wanted == "boolean":
        return pa.types.is_boolean(arrow_type)
    if wanted.startswith(("decimal", "numeric", "double", "float")):
        return pa.types.is_decimal(arrow_type) or pa.types.is_floating(arrow_type) or pa.types.is_integer(arrow_type)
    if wanted == "timestamp":
        return pa.types.is_timestamp(arrow_type)
    if wanted == "date":
        return pa.types.is_date(arrow_type) or pa.types.is_timestamp(arrow_type)
    return True  # no type in the contract: nothing to check


def check_landing(raw_dir: Path, contracts: list[TableContract] | None = None) -> LandingReport:
    """List and check every raw table's files (see the module docstring)."""
    report = LandingReport()
    for contract in contracts if contracts is not None else load_contract():
        folder = raw_dir / contract.folder
        files = list(_data_files(folder)) if folder.is_dir() else []
        if not files:
            if contract.optional:
                report.not_landed.append(contract.name)
            else:
                report.problems.append(
                    f"{folder}: no files for the required table {contract.name} (expected {contract.folder}/*.parquet)"
                )
            continue
        rows = 0
        for path in files:
            relative = path.relative_to(raw_dir)
            if path.suffix.lower() != ".parquet":
                report.problems.append(f"{relative}: not a Parquet file (only *.parquet is read from {folder})")
                continue
            try:
                metadata = pq.ParquetFile(path).metadata
                schema = metadata.schema.to_arrow_schema()
            except (OSError, pa.ArrowException) as error:
                report.problems.append(f"{relative}: cannot be read as Parquet ({error})")
                continue
            for column, wanted in contract.columns.items():
                index = schema.get_field_index(column)
                if index < 0:
                    report.problems.append(f"{relative}: column {column} is missing (expected {wanted})")
                elif not readable_as(wanted, schema.field(index).type):
                    report.problems.append(
                        f"{relative}: column {column} is {schema.field(index).type}, expected {wanted}"
                    )
            rows += metadata.num_rows
        report.row_counts[contract.name] = rows
        report.files[contract.name] = len(files)
    return report


def count_landed_by(
    raw_dir: Path, report: LandingReport, as_of: dt.datetime, contracts: list[TableContract]
) -> dict[str, int]:
    """Rows per landed table whose landing time is at or before `as_of` (a build pinned to the past reads only
    what had landed by then): the landing-time column of every file, counted without dbt."""
    counts = {}
    for contract in contracts:
        if contract.name not in report.row_counts:
            continue
        loaded_at = "_fivetran_synced" if "_fivetran_synced" in contract.columns else "_loaded_at"
        total = 0
        for path in _data_files(raw_dir / contract.folder):
            loaded = pq.read_table(path, columns=[loaded_at]).column(loaded_at)
            total += pc.sum(pc.less_equal(loaded, pa.scalar(as_of, loaded.type))).as_py() or 0
        counts[contract.name] = total
    return counts

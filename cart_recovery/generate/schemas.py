"""The landing contract as Arrow schemas (`_loaded_at` excluded), read from the dbt sources, where it is written
once (every column's `data_type` in models/staging/*/_*__sources.yml; see cart_recovery/landing_check.py)."""

from __future__ import annotations

import re

import pyarrow as pa

from cart_recovery.landing_check import load_contract

_SIMPLE = {
    "varchar": pa.string(),
    "bigint": pa.int64(),
    "integer": pa.int32(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
}


def arrow_type(contract_type: str) -> pa.DataType:
    decimal = re.fullmatch(r"decimal\((\d+),\s*(\d+)\)", contract_type)
    if decimal:
        return pa.decimal128(int(decimal.group(1)), int(decimal.group(2)))
    return _SIMPLE[contract_type]


SCHEMAS: dict[str, pa.Schema] = {
    contract.name: pa.schema(
        [(name, arrow_type(kind)) for name, kind in contract.columns.items() if name != "_loaded_at"]
    )
    for contract in load_contract()
}

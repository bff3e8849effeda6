"""Rejected rows: junk copies of good rows, each breaking exactly one rejection rule."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from cart_recovery.generate.arrays import decimal_array, labels, prefixed
from cart_recovery.generate.constants import INVALID_TIMESTAMPS, REJECT_RATE, UNKNOWN_CURRENCIES
from cart_recovery.generate.raw_table import Table


def add_rejects(
    rng: np.random.Generator, table: Table, reasons: dict[str, str | tuple[str, ...]], fresh_key: tuple | None
) -> None:
    """Append junk copies of good rows, each breaking exactly one rule, with a fresh (or null) key.

    `null_key` may name several key columns: its rows then take turns at which one is null, and a row whose
    first key column is present gets a fresh value there (e.g. a cart event with its id but no cart_token)."""
    n_rows = len(table.event_time)
    for reason, column in reasons.items():
        count = max(2, int(n_rows * REJECT_RATE / len(reasons)))
        pick = rng.integers(0, n_rows, count)
        cols = {name: _take(col, pick) for name, col in table.columns.items()}
        key = table.key_columns[0]
        if reason != "null_key" and fresh_key is not None:
            if fresh_key[0] == "line":  # order lines: same order, a line number no real line has
                offset = {"negative_quantity": 0}.get(reason, 5000)
                cols["line_number"] = (fresh_key[1] + offset + np.arange(count)).astype(np.int32)
            else:
                cols[key] = _fresh_keys(fresh_key, reason, count)
        if reason == "null_key":
            names = (column,) if isinstance(column, str) else column
            turn = np.arange(count) % len(names)
            for i, name in enumerate(names):
                typ = _arrow_type(table.columns[name])
                cols[name] = pa.compute.if_else(pa.array(turn == i), pa.nulls(count, typ), _as_arrow(cols[name], typ))
            if len(names) > 1 and fresh_key is not None:
                typ = _arrow_type(table.columns[key])
                fresh = _as_arrow(_fresh_keys(fresh_key, reason, count), typ)
                cols[key] = pa.compute.if_else(pa.array(turn != 0), fresh, _as_arrow(cols[key], typ))
        elif reason == "invalid_timestamp":
            bad = labels(INVALID_TIMESTAMPS, np.arange(count) % len(INVALID_TIMESTAMPS))
            cols[column] = pa.compute.if_else(pa.array(np.arange(count) % 7 == 6), pa.nulls(count, pa.string()), bad)
        elif reason == "unknown_currency":
            codes = [c.lower() for c in UNKNOWN_CURRENCIES] if table.system == "stripe" else UNKNOWN_CURRENCIES
            cols[column] = labels(codes, np.arange(count) % len(codes))
        elif reason == "negative_quantity":
            qty = np.asarray(cols[column].fill_null(1) if isinstance(cols[column], pa.Array) else cols[column])
            cols[column] = pa.array(-np.maximum(np.abs(qty.astype(np.int32)), 1), pa.int32())
            if table.name == "cart_events":
                cols["event_name"] = pa.array(["product_added_to_cart"] * count, pa.string())
                price = cols["unit_price"]
                cols["unit_price"] = pa.compute.if_else(
                    pa.compute.is_null(price), decimal_array(np.full(count, 1999)), price
                )
                cols["sku"] = pa.compute.if_else(
                    pa.compute.is_null(cols["sku"]),
                    pa.array(["SKU-00001"] * count, pa.string()),
                    cols["sku"],
                )
        table.rejected[reason] = cols
        table.rejected_time[reason] = table.event_time[pick]
        if isinstance(column, str):
            table.rejected_column[reason] = column


def neutralise_invalid_timestamps(table: Table) -> None:
    """Make every invalid-timestamp junk row's timestamp NULL, the one defect a typed timestamp column can hold
    too: the native and the connector format of one world then reject exactly the same records."""
    if "invalid_timestamp" in table.rejected:
        column = table.rejected_column["invalid_timestamp"]
        count = len(table.rejected_time["invalid_timestamp"])
        table.rejected["invalid_timestamp"][column] = pa.nulls(count, pa.string())


def _take(col, idx: np.ndarray):
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    if isinstance(col, pa.Array):
        return col.take(pa.array(idx))
    return np.asarray(col)[idx]


def _arrow_type(col) -> pa.DataType:
    if isinstance(col, pa.Array | pa.ChunkedArray):
        return col.type
    return pa.array(np.asarray(col)[:1]).type


def _as_arrow(col, typ: pa.DataType) -> pa.Array:
    return col.cast(typ) if isinstance(col, pa.Array | pa.ChunkedArray) else pa.array(np.asarray(col), typ)


def _fresh_keys(fresh: tuple, reason: str, count: int) -> np.ndarray:
    kind, base = fresh
    offset = {"invalid_timestamp": 0, "unknown_currency": 1, "negative_quantity": 2, "null_key": 3}[reason]
    offset *= 10_000_000
    seq = np.arange(count) + offset
    if kind == "int":
        return base + seq
    return prefixed(kind, seq, base)

"""Small vectorised helpers: numpy arrays in, numpy or Arrow arrays out (string work is done in DuckDB)."""

from __future__ import annotations

import binascii

import duckdb
import numpy as np
import pyarrow as pa

from cart_recovery import fx
from cart_recovery.generate.constants import CUR_DIGITS, DAY, OFFSET_MINUTES


def uniform_int(rng: np.random.Generator, lo: int, hi: int, n: int) -> np.ndarray:
    """Integers in [lo, hi)."""
    return rng.integers(lo, hi, n, dtype=np.int64)


_DUCK: list[duckdb.DuckDBPyConnection] = []


def sql_array(expr: str, **columns: np.ndarray | pa.Array) -> pa.Array:
    """Evaluate one SQL expression over equally long columns in DuckDB (fast, multi-threaded string work)."""
    if not _DUCK:
        _DUCK.append(duckdb.connect(config={"threads": 2}))
    con = _DUCK[0]
    con.register("cols", pa.table(columns))
    try:
        return con.sql(f"select {expr} as v from cols").to_arrow_table().column(0).combine_chunks()
    finally:
        con.unregister("cols")


def hex_tokens(rng: np.random.Generator, n: int, nbytes: int = 16) -> pa.Array:
    raw = binascii.hexlify(rng.bytes(n * nbytes))
    tokens = pa.array(np.frombuffer(raw, dtype=f"S{2 * nbytes}")).cast(pa.string())
    return tokens.combine_chunks() if isinstance(tokens, pa.ChunkedArray) else tokens


def prefixed(prefix: str, numbers: np.ndarray, width: int = 10) -> pa.Array:
    return sql_array(f"'{prefix}' || lpad(n::varchar, {width}, '0')", n=np.asarray(numbers, dtype=np.int64))


def stripe_ids(ids: np.ndarray, is_refund: np.ndarray) -> pa.Array:
    """Text Stripe ids (ch_/re_ + 14 digits) from integer ids; NONE gives null."""
    return sql_array(
        "case when i < 0 then null else (case when r then 're_' else 'ch_' end) || lpad(i::varchar, 14, '0') end",
        i=np.asarray(ids, dtype=np.int64),
        r=np.asarray(is_refund, dtype=bool),
    )


def concat_field(rows: list[dict], key: str) -> np.ndarray:
    """Concatenate one field of several row groups, broadcasting scalars to each group's length."""
    return np.concatenate([np.broadcast_to(np.asarray(r[key]), len(r["order"])) for r in rows]).astype(np.int64)


def labels(values: tuple[str, ...] | list[str], idx: np.ndarray) -> pa.Array:
    return pa.array(list(values), pa.string()).take(pa.array(np.asarray(idx, dtype=np.int64)))


def decimal_array(unscaled: np.ndarray, scale: int = 2, precision: int = 18) -> pa.Array:
    """DECIMAL(precision, scale) array from integer unscaled values (value * 10**scale)."""
    unscaled = np.ascontiguousarray(unscaled, dtype=np.int64)
    words = np.empty(2 * len(unscaled), dtype=np.int64)
    words[0::2] = unscaled
    words[1::2] = unscaled >> 63
    return pa.Array.from_buffers(pa.decimal128(precision, scale), len(unscaled), [None, pa.py_buffer(words.tobytes())])


def major_decimal(minor: np.ndarray, cur: np.ndarray) -> pa.Array:
    """DECIMAL(18,2) major units from minor units of each row's currency (JPY has no minor unit)."""
    return decimal_array(minor * 10 ** (2 - CUR_DIGITS[cur]))


def group_starts(counts: np.ndarray) -> np.ndarray:
    return np.cumsum(counts) - counts


def fx_rate_to_usd_times_1e8(cur: np.ndarray, ts: np.ndarray, shift: int = 0) -> np.ndarray:
    """rate_to_usd of each row's currency on the UTC date of ts, scaled by 1e8 (int64, as in the FX seed).

    `ts` is a time of the planned world and `shift` (seconds) moves it onto the calendar the data is landed on
    (writer.py): the rate is that of the landed date, and the FX rates the generator lands are the seed's walk
    moved by the same whole days (`shift // DAY`), so both sides read the same number."""
    table = fx.rate_to_usd_times_1e8_table()
    day = (ts + shift) // DAY - (_fx_epoch() // DAY + shift // DAY)
    return table[cur, day]


def _fx_epoch() -> int:
    import datetime as dt

    return int(dt.datetime(fx.FX_START.year, fx.FX_START.month, fx.FX_START.day, tzinfo=dt.UTC).timestamp())


def usd_value_times_1e10(minor: np.ndarray, cur: np.ndarray, ts: np.ndarray, shift: int = 0) -> np.ndarray:
    """Exact USD value * 1e10 of an amount in minor units converted at the rate of the (landed) UTC date of ts."""
    return minor * 10 ** (2 - CUR_DIGITS[cur]) * fx_rate_to_usd_times_1e8(cur, ts, shift)


def iso_with_offset(ts: np.ndarray, off: np.ndarray) -> pa.Array:
    """ISO-8601 local time with the row's UTC offset, e.g. 2026-07-03T06:15:00-04:00 (formatted in DuckDB)."""
    return sql_array(
        "strftime(make_timestamp((t + o * 60) * 1000000), '%Y-%m-%dT%H:%M:%S')"
        " || case when o < 0 then '-' else '+' end"
        " || lpad((abs(o) // 60)::varchar, 2, '0') || ':' || lpad((abs(o) % 60)::varchar, 2, '0')",
        t=np.asarray(ts, dtype=np.int64),
        o=OFFSET_MINUTES[off],
    )


def masked_decimal(arr: pa.Array, mask: np.ndarray) -> pa.Array:
    return pa.compute.if_else(pa.array(~mask), arr, pa.nulls(len(arr), arr.type))

"""Landing: _loaded_at of every row, redeliveries, weekly part files (and the optional FX table)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from cart_recovery import fx
from cart_recovery.generate.arrays import uniform_int
from cart_recovery.generate.constants import DAY, HOUR, REDELIVERY_RATE, START
from cart_recovery.generate.raw_table import Table


def _loaded_at(t: np.ndarray) -> np.ndarray:
    """Daily batches: rows land the next day between 02:00 and 03:00 UTC, in the order they happened (so the
    newest version of a row is also the newest landed one)."""
    day_end = (t // DAY + 1) * DAY
    return day_end + 2 * HOUR + (t % DAY) * HOUR // DAY


def land_table(table: Table, out: Path, rng: np.random.Generator, schema: pa.Schema) -> dict:
    good = pa.table({name: _as_arrow(col, schema.field(name).type) for name, col in table.columns.items()})
    n_good = good.num_rows
    loaded = _loaded_at(table.event_time)
    # redeliveries: the newest version of 2 % of keys lands again, in a later batch file, 1-3 weeks later
    redeliver = np.nonzero(table.is_final & (rng.random(n_good) < REDELIVERY_RATE))[0]
    parts = [good]
    loaded_parts = [loaded]
    parts.append(good.take(pa.array(redeliver)))
    loaded_parts.append(loaded[redeliver] + uniform_int(rng, 7 * DAY, 21 * DAY, len(redeliver)))
    rejected_counts = {}
    for reason, cols in table.rejected.items():
        rej = pa.table({name: _as_arrow(cols[name], schema.field(name).type) for name in table.columns})
        parts.append(rej)
        loaded_parts.append(_loaded_at(table.rejected_time[reason]))
        rejected_counts[reason] = rej.num_rows
    rows = pa.concat_tables(parts)
    loaded_all = np.concatenate(loaded_parts)
    rows = rows.append_column("_loaded_at", pa.array(loaded_all.astype("datetime64[s]").astype("datetime64[us]")))
    order = np.argsort(loaded_all, kind="stable")
    rows = rows.take(pa.array(order))
    week = (loaded_all[order] - START) // (7 * DAY)
    folder = out / table.system / table.name
    folder.mkdir(parents=True, exist_ok=True)
    bounds = np.flatnonzero(np.diff(week)) + 1
    starts = np.concatenate([[0], bounds])
    ends = np.concatenate([bounds, [len(week)]])
    for s, e in zip(starts, ends, strict=True):
        part = rows.slice(int(s), int(e - s)).cast(schema.append(pa.field("_loaded_at", pa.timestamp("us"))))
        pq.write_table(part, folder / f"part-{int(week[s]) + 10:05d}.parquet", compression="zstd")
    return {
        "landed_rows": rows.num_rows,
        "part_files": len(starts),
        "rejected": rejected_counts,
        "redelivered_rows": len(redeliver),
        "distinct_keys": n_good - int((~table.is_final).sum()),
        "duplicates_removed": len(redeliver) + int((~table.is_final).sum()),
    }


def _as_arrow(col, typ: pa.DataType) -> pa.Array:
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    if isinstance(col, pa.Array):
        return col.cast(typ)
    return pa.array(col, typ)


def land_fx_rates(out_dir: Path) -> dict:
    rows = fx.fx_rows()
    table = pa.table(
        {
            "rate_date": pa.array([r[0] for r in rows]).cast(pa.date32()),
            "currency": pa.array([r[1] for r in rows], pa.string()),
            "rate_to_usd": pa.array([r[2] for r in rows]).cast(pa.decimal128(18, 8)),
            "_loaded_at": pa.array(np.full(len(rows), START - DAY).astype("datetime64[s]").astype("datetime64[us]")),
        }
    )
    folder = out_dir / "reference" / "fx_rates"
    folder.mkdir(parents=True)
    pq.write_table(table, folder / "part-00000.parquet", compression="zstd")
    return {
        "landed_rows": table.num_rows,
        "part_files": 1,
        "rejected": {},
        "redelivered_rows": 0,
        "distinct_keys": table.num_rows,
        "duplicates_removed": 0,
    }

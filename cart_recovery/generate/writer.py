"""Landing: _loaded_at of every row, redeliveries, weekly part files (and the optional FX table)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from cart_recovery import fx
from cart_recovery.generate.arrays import uniform_int
from cart_recovery.generate.constants import CUTOFF, DAY, HOUR, REDELIVERY_RATE, START
from cart_recovery.generate.raw_table import Table

#: The newest rows land this long after the cut (the as-of), so nothing is stamped later than generation time.
LANDING_LAG_SECONDS = 5
US = 1_000_000


def loaded_at_us(t: np.ndarray) -> np.ndarray:
    """When each planned row lands, in microseconds of the plan's calendar: daily batches (the next day between
    02:00 and 03:00 UTC, in the order the rows happened), except that no batch lands after the cut; rows whose
    batch would, stream in just before it (each 1/60 of its age before the cut + LANDING_LAG_SECONDS). Both are
    non-decreasing in t, so their minimum is too: the newest version of a row is also the newest landed one."""
    t = np.asarray(t, dtype=np.int64)
    day_end = (t // DAY + 1) * DAY
    batch = (day_end + 2 * HOUR + (t % DAY) * HOUR // DAY) * US
    streamed = (CUTOFF + LANDING_LAG_SECONDS) * US - (CUTOFF - t) * US // 60
    return np.minimum(batch, streamed)


def _redeliveries(table: Table, rng: np.random.Generator, loaded: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The newest version of 2 % of keys lands again, in a later batch file, 1-3 weeks later (those due after the
    cut have not happened yet): the rows redelivered and their `_loaded_at` (µs)."""
    redeliver = np.nonzero(table.is_final & (rng.random(len(table.event_time)) < REDELIVERY_RATE))[0]
    redelivered_at = loaded[redeliver] + uniform_int(rng, 7 * DAY, 21 * DAY, len(redeliver)) * US
    due = redelivered_at <= (CUTOFF + LANDING_LAG_SECONDS) * US
    return redeliver[due], redelivered_at[due]


def skip_table(table: Table, rng: np.random.Generator) -> None:
    """Draw what landing `table` would draw, landing nothing: a format without this table (the connector format
    has no cart-event stream) keeps every later table's redeliveries those of the native format."""
    _redeliveries(table, rng, loaded_at_us(table.event_time))


def land_table(
    table: Table,
    out: Path,
    rng: np.random.Generator,
    schema: pa.Schema,
    shift: int = 0,
    loaded_column: str = "_loaded_at",
) -> dict:
    """Land one raw table as weekly part files; `shift` seconds move every `_loaded_at` onto the landed calendar
    (World.shift). The landing time is written as `loaded_column`: appended after the table's columns, or in its
    place when `schema` names it (the connector's `_fivetran_synced`)."""
    good = pa.table({name: _as_arrow(col, schema.field(name).type) for name, col in table.columns.items()})
    n_good = good.num_rows
    loaded = loaded_at_us(table.event_time)
    redeliver, redelivered_at = _redeliveries(table, rng, loaded)
    parts = [good, good.take(pa.array(redeliver))]
    loaded_parts = [loaded, redelivered_at]
    rejected_counts = {}
    for reason, cols in table.rejected.items():
        rej = pa.table({name: _as_arrow(cols[name], schema.field(name).type) for name in table.columns})
        parts.append(rej)
        loaded_parts.append(loaded_at_us(table.rejected_time[reason]))
        rejected_counts[reason] = rej.num_rows
    rows = pa.concat_tables(parts)
    loaded_all = np.concatenate(loaded_parts)
    order = np.argsort(loaded_all, kind="stable")
    loaded_all = loaded_all[order]
    rows = rows.take(pa.array(order))
    loaded_array = pa.array((loaded_all + shift * US).astype("datetime64[us]"))
    if loaded_column in schema.names:
        rows = rows.add_column(schema.get_field_index(loaded_column), loaded_column, loaded_array)
        full_schema = schema
    else:
        rows = rows.append_column(loaded_column, loaded_array)
        full_schema = schema.append(pa.field(loaded_column, pa.timestamp("us")))
    week = (loaded_all // US - START) // (7 * DAY)
    folder = out / table.system / table.name
    folder.mkdir(parents=True, exist_ok=True)
    bounds = np.flatnonzero(np.diff(week)) + 1
    starts = np.concatenate([[0], bounds])
    ends = np.concatenate([bounds, [len(week)]])
    for s, e in zip(starts, ends, strict=True):
        part = rows.slice(int(s), int(e - s)).cast(full_schema)
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


def land_fx_rates(out_dir: Path, shift: int = 0) -> dict:
    """Land the FX seed's rates as reference/fx_rates, moved by the whole days of `shift` (the rates the plan
    converts with, see arrays.fx_rate_to_usd_times_1e8), up to the cut's date: a rate is published the day after its
    date at 01:00 UTC, or at the cut for the latest ones."""
    day_shift = dt.timedelta(days=shift // DAY)
    cut = dt.datetime.fromtimestamp(CUTOFF + shift, dt.UTC)
    rows = [
        (dt.date.fromisoformat(day) + day_shift, currency, rate)
        for day, currency, rate in fx.fx_rows()
        if dt.date.fromisoformat(day) + day_shift <= cut.date()
    ]
    published = [
        min(dt.datetime.combine(day, dt.time(1), dt.UTC) + dt.timedelta(days=1), cut).replace(tzinfo=None)
        for day, _, _ in rows
    ]
    table = pa.table(
        {
            "rate_date": pa.array([r[0] for r in rows], pa.date32()),
            "currency": pa.array([r[1] for r in rows], pa.string()),
            "rate_to_usd": pa.array([r[2] for r in rows]).cast(pa.decimal128(18, 8)),
            "_loaded_at": pa.array(published, pa.timestamp("us")),
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

"""Split a landing directory into load batches by `_loaded_at` (the benchmarks and the incremental tests).

A landing directory is `<raw>/<system>/<table>/*.parquet` (README "Landing real data"). `split_by_loaded_at` lays the
same rows out as several landing directories, one per batch: batch k holds the rows with cuts[k-1] <= `_loaded_at` <
cuts[k]. Part files that fall wholly in one batch are hard-linked, a file that straddles a cut is split. Landing batch
after batch (`land`) and building after each is what a production landing sees.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq


def landed_tables(raw_dir: Path) -> list[tuple[str, str]]:
    """(system, table) of every landed table: <raw>/<system>/<table>/*.parquet (the manifest excluded)."""
    return sorted(
        (folder.parent.name, folder.name)
        for folder in raw_dir.glob("*/*")
        if folder.is_dir() and folder.parent.name != "manifest" and any(folder.glob("*.parquet"))
    )


def loaded_at_quantile(raw_dir: Path, fraction: float, system: str = "shop", table: str = "cart_events") -> dt.datetime:
    """The `_loaded_at` at or after which `1 - fraction` of a table's rows landed."""
    loaded = pq.read_table(raw_dir / system / table, columns=["_loaded_at"]).column("_loaded_at")
    ordered = pc.sort_indices(loaded)
    position = min(len(loaded) - 1, math.floor(len(loaded) * fraction))
    return loaded[ordered[position].as_py()].as_py()


def _batch_of(loaded_at: pa.ChunkedArray, cuts: list[dt.datetime]) -> pa.Array:
    batch = pa.array([0] * len(loaded_at), pa.int32())
    for cut in cuts:
        batch = pc.add(batch, pc.cast(pc.greater_equal(loaded_at, pa.scalar(cut, loaded_at.type)), pa.int32()))
    return batch


def split_by_loaded_at(raw_dir: Path, batch_dirs: list[Path], cuts: list[dt.datetime]) -> list[dict[str, int]]:
    """Write raw_dir's rows into len(cuts) + 1 landing directories by `_loaded_at`; returns rows per table."""
    if len(batch_dirs) != len(cuts) + 1 or cuts != sorted(cuts):
        raise ValueError("need one directory more than cuts, and the cuts in increasing order")
    for folder in batch_dirs:
        shutil.rmtree(folder, ignore_errors=True)
    counts: list[dict[str, int]] = [{} for _ in batch_dirs]
    for system, table in landed_tables(raw_dir):
        name = f"{system}.{table}"
        for count in counts:
            count[name] = 0
        for path in sorted((raw_dir / system / table).glob("*.parquet")):
            parquet = pq.read_table(path)
            batches = _batch_of(parquet.column("_loaded_at"), cuts)
            for index, folder in enumerate(batch_dirs):
                mask = pc.equal(batches, index)
                rows = pc.sum(mask).as_py() or 0
                if rows == 0:
                    continue
                # a part file split over batches lands once per batch: the names must differ
                target = folder / system / table / f"{path.stem}-batch{index}{path.suffix}"
                target.parent.mkdir(parents=True, exist_ok=True)
                if rows == parquet.num_rows:
                    os.link(path, target)
                else:
                    pq.write_table(parquet.filter(mask), target, compression="zstd")
                counts[index][name] += rows
    return counts


def land(batch_dir: Path, raw_dir: Path) -> list[Path]:
    """Land a batch's part files in raw_dir (hard links); returns them, so that they can be taken back."""
    landed = []
    for path in sorted(batch_dir.rglob("*.parquet")):
        target = raw_dir / path.relative_to(batch_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(path, target)
        landed.append(target)
    return landed

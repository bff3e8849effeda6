"""The demo data set, generated only when asked (`python -m cart_recovery demo`, `make demo`, `make run`).

A build never makes data up: `build` fails on a missing or empty landing directory. `demo` fills the landing
directory with the generator's data set, ending now, and builds it from scratch. It replaces only what it wrote
itself (a landing directory holding the generator's manifest.json); real landed data is never touched.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from pathlib import Path
from typing import Any

DEMO_CARTS = 20_000
DEMO_SEED = 42
#: The generator writes this beside the tables: its presence marks a landing directory as demo data.
DEMO_MARKER = "manifest.json"


class RealDataLandedError(RuntimeError):
    """The landing directory holds data the generator did not write."""


def holds_demo_data(raw_dir: Path) -> bool:
    return (raw_dir / DEMO_MARKER).is_file()


def is_empty(raw_dir: Path) -> bool:
    return not raw_dir.exists() or not any(raw_dir.iterdir())


def land_demo_data(
    raw_dir: Path, carts: int = DEMO_CARTS, seed: int = DEMO_SEED, as_of: dt.datetime | None = None, log: Any = print
) -> dict:
    """(Re)generate the demo data set in raw_dir, ending at `as_of` (default: 10 seconds ago). Refuses a landing
    directory that holds anything but an earlier demo data set."""
    from cart_recovery.generate import generate

    if not is_empty(raw_dir) and not holds_demo_data(raw_dir):
        raise RealDataLandedError(
            f"{raw_dir} holds landed data that the demo generator did not write; it is left as it is. "
            "Build it with `make build`, or point CART_RECOVERY_RAW_DIR at another directory for the demo."
        )
    as_of = as_of or (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=10)).replace(microsecond=0)
    log(f"Generating the demo data set in {raw_dir} (carts={carts}, seed={seed}, ending {as_of.isoformat()}).")
    raw_dir.parent.mkdir(parents=True, exist_ok=True)
    # Generate beside the target and swap, so an interrupted run never looks like landed data.
    staging_dir = Path(tempfile.mkdtemp(prefix=f".{raw_dir.name}.", dir=raw_dir.parent))
    try:
        manifest = generate(staging_dir, carts=carts, seed=seed, as_of=as_of)
        if raw_dir.exists():
            shutil.rmtree(raw_dir)
        staging_dir.rename(raw_dir)
    except BaseException:
        shutil.rmtree(staging_dir, ignore_errors=True)
        raise
    return manifest

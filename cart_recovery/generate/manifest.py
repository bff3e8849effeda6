"""The manifest: what was landed and the ground-truth counts, as written to manifest.json."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from cart_recovery.generate.constants import (
    ABANDONMENT_WINDOW,
    ATTRIBUTION_WINDOW,
    CUTOFF,
    DAY,
    HIGH_VALUE_CART_USD,
    HOUR,
    RECOVERY_WINDOW,
    START,
)
from cart_recovery.generate.world import World


def _iso_utc(ts: int) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def outcome_summary(table: pa.Table, file: str) -> dict:
    """Counts per outcome and attributed recoveries per channel of an outcomes table (cart or checkout grain)."""
    outcomes = table.column("outcome").to_numpy(zero_copy_only=False)
    channel = table.column("channel").to_numpy(zero_copy_only=False)
    names, counts = np.unique(outcomes, return_counts=True)
    by_outcome = {str(k): int(v) for k, v in zip(names, counts, strict=True)}
    attributed = outcomes == "recovered_attributed"
    by_channel = {ch: int((attributed & (channel == ch)).sum()) for ch in ("email", "sms")}
    return {"by_outcome": by_outcome, "attributed_by_channel": by_channel, "file": file}


def build_manifest(world: World, seed: int, as_of: int, table_stats: dict, exceptions: pa.Table) -> dict:
    exc_types = exceptions.column("exception_type").to_numpy(zero_copy_only=False)
    exc_status = exceptions.column("status").to_numpy(zero_copy_only=False)
    by_exc = {}
    for etype in sorted(world.sla):
        sel = exc_types == etype
        by_exc[etype] = {s: int((sel & (exc_status == s)).sum()) for s in ("open", "resolved")}
    return {
        "seed": seed,
        "carts": world.n_carts,
        "start": _iso_utc(START + world.shift),
        "cutoff": _iso_utc(CUTOFF + world.shift),
        "as_of": _iso_utc(as_of + world.shift),
        "parameters": {
            "abandonment_window_minutes": ABANDONMENT_WINDOW // 60,
            "recovery_window_days": RECOVERY_WINDOW // DAY,
            "attribution_window_hours": ATTRIBUTION_WINDOW // HOUR,
            "high_value_cart_threshold": HIGH_VALUE_CART_USD,
            "reporting_currency": "USD",
            "sla_hours": {k: v // HOUR for k, v in sorted(world.sla.items())},
        },
        "tables": table_stats,
        "cart_outcomes": outcome_summary(world.outcomes, "manifest/cart_outcomes.parquet"),
        "exceptions": {"by_type": by_exc, "file": "manifest/exceptions.parquet"},
    }

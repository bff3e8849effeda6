"""Deterministic demo FX rates (the project's FX seed and the optional landed `reference/fx_rates`).

Rates are integers scaled by 1e8 (DECIMAL(18,8) `rate_to_usd`), produced by an integer-only random walk so the
committed seed `seeds/fx_rates.csv` is reproducible bit for bit on any platform.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

FX_START = dt.date(2026, 5, 1)
FX_DAYS = 245  # through 2026-12-31
RATE_SCALE = 10**8
CURRENCIES = ("USD", "EUR", "GBP", "JPY")
MINOR_DIGITS = {"USD": 2, "EUR": 2, "GBP": 2, "JPY": 0}

# one unit of the currency in US dollars, scaled by 1e8, on FX_START
_BASE_RATE_TO_USD_TIMES_1E8 = {"USD": 100_000_000, "EUR": 108_000_000, "GBP": 127_000_000, "JPY": 670_000}


def rate_to_usd_times_1e8_table() -> np.ndarray:
    """Array [currency index, day index] of rate_to_usd * 1e8 (int64), days counted from FX_START."""
    table = np.zeros((len(CURRENCIES), FX_DAYS), dtype=np.int64)
    for ci, cur in enumerate(CURRENCIES):
        base = _BASE_RATE_TO_USD_TIMES_1E8[cur]
        if cur == "USD":
            table[ci, :] = base
            continue
        state = 12345 + 977 * ci
        level = base
        for d in range(FX_DAYS):
            state = (state * 1103515245 + 12345) % 2**31
            step = (state % 2001) - 1000  # -1000 .. 1000 basis of 1e-6 relative
            level = level + level * step // 2_000_000
            # mean reversion keeps the walk within a few percent of the base rate
            level = level + (base - level) // 50
            table[ci, d] = level
    return table


def fx_rows() -> list[tuple[str, str, str]]:
    """(rate_date, currency, rate_to_usd) rows as text, rate with 8 decimals."""
    table = rate_to_usd_times_1e8_table()
    rows = []
    for d in range(FX_DAYS):
        day = (FX_START + dt.timedelta(days=d)).isoformat()
        for ci, cur in enumerate(CURRENCIES):
            r = int(table[ci, d])
            rows.append((day, cur, f"{r // RATE_SCALE}.{r % RATE_SCALE:08d}"))
    return rows


def fx_seed_csv() -> str:
    lines = ["rate_date,currency,rate_to_usd"]
    lines += [",".join(row) for row in fx_rows()]
    return "\n".join(lines) + "\n"


def currencies_seed_csv() -> str:
    lines = ["currency,minor_unit_digits"]
    lines += [f"{cur},{MINOR_DIGITS[cur]}" for cur in CURRENCIES]
    return "\n".join(lines) + "\n"


def write_seeds(seeds_dir: Path) -> None:
    seeds_dir.mkdir(parents=True, exist_ok=True)
    (seeds_dir / "fx_rates.csv").write_text(fx_seed_csv())
    (seeds_dir / "currencies.csv").write_text(currencies_seed_csv())

"""The pandas baseline's inputs (bench/pandas_funnel.py): the dbt vars it depends on, reading the raw landing
files, the row rules every staged table shares (docs/definitions.md "Rows": timestamps, currencies, deduplication)
and FX rates to the reporting currency.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent

#: docs/definitions.md "Rows": a required timestamp must look like this and parse to a real instant.
ISO_TIMESTAMP = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)"

US_PER_MINUTE = 60_000_000
US_PER_HOUR = 60 * US_PER_MINUTE
US_PER_DAY = 24 * US_PER_HOUR
NAT = np.iinfo(np.int64).min  # the int64 view of NaT


@dataclass(frozen=True)
class Definitions:
    """The dbt vars the funnel depends on (defaults from dbt_project.yml)."""

    abandonment_window_minutes: int
    recovery_window_days: int
    attribution_window_hours: int
    reporting_currency: str
    reporting_timezone: str
    fx_max_staleness_days: int
    as_of: str | None

    @classmethod
    def from_project(cls, project_dir: Path = REPO_ROOT, overrides: dict[str, Any] | None = None) -> Definitions:
        project_vars = yaml.safe_load((project_dir / "dbt_project.yml").read_text())["vars"]
        project_vars.update(overrides or {})
        return cls(
            abandonment_window_minutes=int(project_vars["abandonment_window_minutes"]),
            recovery_window_days=int(project_vars["recovery_window_days"]),
            attribution_window_hours=int(project_vars["attribution_window_hours"]),
            reporting_currency=str(project_vars["reporting_currency"]),
            reporting_timezone=str(project_vars["reporting_timezone"]),
            fx_max_staleness_days=int(project_vars["fx_max_staleness_days"]),
            as_of=project_vars.get("as_of"),
        )


# ----------------------------------------------------------------------------------------------------------------
# reading and the row rules
# ----------------------------------------------------------------------------------------------------------------
def read_raw(raw_dir: Path, system: str, table: str, columns: list[str]) -> pd.DataFrame:
    """Every landed row of one raw table (all part files), only `columns`, as pyarrow-backed columns."""
    files = sorted((raw_dir / system / table).glob("*.parquet"))
    if not files:
        return pd.DataFrame({name: pd.Series(dtype="object") for name in columns})
    arrow = pa.concat_tables([pq.read_table(path, columns=columns) for path in files], promote_options="default")
    return arrow.to_pandas(types_mapper=pd.ArrowDtype)


def utc_micros(text: pd.Series) -> np.ndarray:
    """ISO-8601 text with an offset -> int64 UTC microseconds; NAT when not a valid timestamp (the reject rule)."""
    valid = text.str.fullmatch(ISO_TIMESTAMP).fillna(False).to_numpy(dtype=bool)
    out = np.full(len(text), NAT, dtype=np.int64)
    if valid.any():
        parsed = pd.to_datetime(text[valid].astype(str), format="ISO8601", utc=True, errors="coerce")
        out[valid] = parsed.dt.tz_convert(None).to_numpy(dtype="datetime64[us]").view(np.int64)
    return out


def trimmed(text: pd.Series) -> pd.Series:
    """SQL trim(): spaces only."""
    return text.str.strip(" ")


def known_currency(code: pd.Series, currencies: pd.DataFrame) -> pd.Series:
    """The seed's code for upper(trim(code)), or NA when unknown (the unknown_currency rule)."""
    normalised = trimmed(code).str.upper()
    return normalised.where(normalised.isin(currencies["currency"]))


def present(series: pd.Series) -> np.ndarray:
    return series.notna().to_numpy(dtype=bool)


def dedupe(frame: pd.DataFrame, keys: list[str], newest_first: list[str]) -> pd.DataFrame:
    """One row per key: the row that sorts last by `newest_first` (ascending) wins.

    Hash-based: only the rows whose key occurs more than once are sorted.
    """
    repeated = frame.duplicated(keys, keep=False).to_numpy(dtype=bool)
    if not repeated.any():
        return frame
    winners = frame[repeated].sort_values(keys + newest_first, kind="stable").drop_duplicates(keys, keep="last")
    return pd.concat([frame[~repeated], winners])


def micros(values: pd.Series) -> np.ndarray:
    """A pyarrow timestamp column -> int64 microseconds (NAT for null)."""
    return values.astype("datetime64[us]").to_numpy().view(np.int64)


def max_time(*arrays: np.ndarray) -> int:
    candidates = [int(a[a != NAT].max()) for a in arrays if (a != NAT).any()]
    return max(candidates) if candidates else NAT


# ----------------------------------------------------------------------------------------------------------------
# FX: rates to the reporting currency by (currency, UTC date), int_fx__rates_to_reporting
# ----------------------------------------------------------------------------------------------------------------
def fx_rates(raw_dir: Path, project_dir: Path, currencies: pd.DataFrame, defs: Definitions) -> pd.DataFrame:
    """Columns currency, rate_day (days since epoch), rate_e8 (rate to reporting x 1e8, int)."""
    landed = read_raw(raw_dir, "reference", "fx_rates", ["rate_date", "currency", "rate_to_usd", "_loaded_at"])
    rates = pd.DataFrame()
    if len(landed):
        landed["code"] = known_currency(landed["currency"], currencies)
        usable = landed[present(landed["rate_date"]) & present(landed["code"])]
        usable = dedupe(usable, ["code", "rate_date"], ["_loaded_at"])
        rates = pd.DataFrame(
            {
                "rate_date": pd.to_datetime(usable["rate_date"].astype("datetime64[s]")),
                "currency": usable["code"].astype(str),
                "rate_to_usd": usable["rate_to_usd"].astype(float),
            }
        )
    if rates.empty:
        seed = pd.read_csv(project_dir / "seeds" / "fx_rates.csv")
        rates = pd.DataFrame(
            {
                "rate_date": pd.to_datetime(seed["rate_date"]),
                "currency": seed["currency"].str.upper(),
                "rate_to_usd": seed["rate_to_usd"].round(8),
            }
        )
    wide = rates.pivot_table(index="rate_date", columns="currency", values="rate_to_usd", aggfunc="last")
    calendar = pd.date_range(
        wide.index.min(), wide.index.max() + pd.Timedelta(days=defs.fx_max_staleness_days), freq="D"
    )
    wide = wide.reindex(calendar).ffill(limit=defs.fx_max_staleness_days)
    to_reporting = wide.div(wide[defs.reporting_currency], axis=0).round(8)
    long = to_reporting.stack().rename("rate").reset_index()
    long.columns = ["rate_date", "currency", "rate"]
    return pd.DataFrame(
        {
            "currency": long["currency"].astype(str),
            "rate_day": (long["rate_date"].to_numpy(dtype="datetime64[D]").astype(np.int64)),
            "rate_e8": np.rint(long["rate"].to_numpy() * 1e8).astype(np.int64),
        }
    )


def to_reporting_cents(cents: np.ndarray, rate_e8: np.ndarray) -> np.ndarray:
    """cast(amount x rate as decimal(18, 2)) in integer cents, rounding half away from zero."""
    product = cents.astype(np.int64) * rate_e8.astype(np.int64)
    return np.sign(product) * ((np.abs(product) + 50_000_000) // 100_000_000)


def minor_to_cents(minor: np.ndarray, digits: np.ndarray) -> np.ndarray:
    """Stripe minor units -> major units as integer cents (decimal(18, 2), half away from zero)."""
    minor = minor.astype(np.int64)
    out = minor * 10 ** np.clip(2 - digits, 0, None)
    shrink = digits > 2
    if shrink.any():
        divisor = 10 ** (digits[shrink] - 2)
        out[shrink] = np.sign(minor[shrink]) * ((np.abs(minor[shrink]) + divisor // 2) // divisor)
    return out

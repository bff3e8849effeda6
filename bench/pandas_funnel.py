"""Pandas baseline for the benchmark: `fct_recovery_funnel_daily` computed from the raw landing files.

The same definitions as the dbt models (docs/definitions.md "Rows" and "Carts"; models/staging,
models/intermediate/{core,finance,recovery}, models/marts/recovery/fct_recovery_funnel_daily.sql): rows are
rejected by the same rules, deduplicated the same way, converted at the same FX rates, linked to Stripe the same
way, and cohorts are local dates in the reporting time zone. The definitions' parameters are read from the dbt
project's vars (dbt_project.yml), so both sides always compute the same thing. tests/python/test_bench_pandas.py
checks that the result equals the dbt mart row for row.

It is a fair, vectorised pandas implementation (pyarrow-backed columns, only the columns it needs, hash-based
deduplication that sorts only the duplicated keys, integer cents for money), written the way a careful analyst
would: the benchmark compares its wall time and peak memory with `dbt build -s +fct_recovery_funnel_daily`.

    python -m bench.pandas_funnel --raw-dir data/raw [--out funnel.parquet]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from decimal import Decimal
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
JSON_ORDER_ID = r'"order_id"\s*:\s*"?(-?\d+)"?\s*[,}]'

ADD, REMOVE = "product_added_to_cart", "product_removed_from_cart"
CONTACT, COMPLETED = "checkout_contact_info_submitted", "checkout_completed"
SENDS = ("Received Email", "Received SMS")
CLICKS = ("Clicked Email", "Clicked SMS")

US_PER_MINUTE = 60_000_000
US_PER_HOUR = 60 * US_PER_MINUTE
US_PER_DAY = 24 * US_PER_HOUR
NAT = np.iinfo(np.int64).min  # the int64 view of NaT

FUNNEL_COLUMNS = [
    "funnel_row_id",
    "cohort_date",
    "channel",
    "currency",
    "reporting_currency",
    "cart_grain",
    "carts",
    "checkouts_started",
    "contact_captured",
    "abandoned",
    "contacted",
    "clicked",
    "recovered",
    "recovered_attributed",
    "recovered_organic",
    "recovered_and_paid",
    "recovery_rate",
    "recovered_revenue",
    "is_provisional",
]


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


# ----------------------------------------------------------------------------------------------------------------
# staging: usable, deduplicated rows (the columns the funnel needs)
# ----------------------------------------------------------------------------------------------------------------
def stage_cart_events(raw_dir: Path, currencies: pd.DataFrame) -> tuple[pd.DataFrame, pd.Index]:
    """Usable, deduplicated cart events, the cart token factorised to an integer `cart` (-1: no token).

    Returns the events and the tokens (position = `cart`), so other tables can be keyed the same way.
    """
    raw = read_raw(
        raw_dir,
        "shop",
        "cart_events",
        ["event_id", "cart_token", "event_name", "occurred_at", "quantity", "currency", "_loaded_at"],
    )
    occurred = utc_micros(raw["occurred_at"])
    code = known_currency(raw["currency"], currencies)
    usable = (
        present(raw["event_id"])
        & present(raw["cart_token"])
        & (occurred != NAT)
        & present(code)
        & ~(raw["quantity"] < 0).fillna(False).to_numpy(dtype=bool)
    )
    events = pd.DataFrame(
        {
            "event_id": raw["event_id"][usable],
            "cart_token": raw["cart_token"][usable],
            "event_name": trimmed(raw["event_name"][usable]).str.lower().astype("category"),
            "occurred_at": occurred[usable],
            "currency": code[usable].astype("category"),
            "loaded_at": raw["_loaded_at"][usable],
        }
    )
    del raw
    events = dedupe(events, ["event_id"], ["loaded_at"])
    codes, tokens = pd.factorize(events["cart_token"], use_na_sentinel=True)
    events = pd.DataFrame(
        {
            "cart": codes,
            "event_id": events["event_id"].to_numpy(),
            "event_name": events["event_name"].to_numpy(),
            "occurred_at": events["occurred_at"].to_numpy(),
            "currency": events["currency"].to_numpy(),
        }
    )
    return events, pd.Index(tokens)


def cart_keys(tokens: pd.Index, cart_token: pd.Series) -> np.ndarray:
    """The integer `cart` of each token (-1 for a null token or one no cart event carries)."""
    return tokens.get_indexer(cart_token.astype(tokens.dtype))


def stage_orders(raw_dir: Path, currencies: pd.DataFrame) -> pd.DataFrame:
    raw = read_raw(
        raw_dir,
        "shop",
        "orders",
        ["order_id", "cart_token", "created_at", "updated_at", "cancelled_at", "currency", "test", "_loaded_at"],
    )
    created, updated = utc_micros(raw["created_at"]), utc_micros(raw["updated_at"])
    cancelled = utc_micros(raw["cancelled_at"])
    usable = (
        present(raw["order_id"])
        & (created != NAT)
        & (updated != NAT)
        & ~(present(raw["cancelled_at"]) & (cancelled == NAT))
        & present(known_currency(raw["currency"], currencies))
    )
    orders = pd.DataFrame(
        {
            "order_id": raw["order_id"][usable].astype(np.int64),
            "cart_token": raw["cart_token"][usable],
            "created_at": created[usable],
            "updated_at": updated[usable],
            "cancelled_at": cancelled[usable],
            "is_test": raw["test"][usable].fillna(False).astype(bool),
            "loaded_at": raw["_loaded_at"][usable],
        }
    )
    return dedupe(orders, ["order_id"], ["updated_at", "loaded_at"])


def stage_transactions(raw_dir: Path, currencies: pd.DataFrame) -> pd.DataFrame:
    raw = read_raw(
        raw_dir,
        "shop",
        "transactions",
        ["transaction_id", "order_id", "kind", "gateway", "gateway_reference", "created_at", "currency", "_loaded_at"],
    )
    created = utc_micros(raw["created_at"])
    usable = present(raw["transaction_id"]) & (created != NAT) & present(known_currency(raw["currency"], currencies))
    transactions = pd.DataFrame(
        {
            "transaction_id": raw["transaction_id"][usable],
            "order_id": raw["order_id"][usable],
            "kind": trimmed(raw["kind"][usable]).str.lower(),
            "gateway": trimmed(raw["gateway"][usable]).str.lower(),
            "gateway_reference": raw["gateway_reference"][usable],
            "created_at": created[usable],
            "loaded_at": raw["_loaded_at"][usable],
        }
    )
    return dedupe(transactions, ["transaction_id"], ["loaded_at"])


def stage_charges(raw_dir: Path, currencies: pd.DataFrame) -> pd.DataFrame:
    raw = read_raw(
        raw_dir,
        "stripe",
        "charges",
        ["id", "amount_captured", "currency", "status", "captured", "created", "metadata", "_loaded_at"],
    )
    code = known_currency(raw["currency"], currencies)
    usable = present(raw["id"]) & present(code)
    digits = code[usable].map(currencies.set_index("currency")["minor_unit_digits"]).to_numpy(dtype=np.int64)
    metadata_order = raw["metadata"][usable].str.extract(JSON_ORDER_ID, expand=False)
    charges = pd.DataFrame(
        {
            "charge_id": raw["id"][usable],
            "currency": code[usable].astype(str),
            "captured_cents": minor_to_cents(raw["amount_captured"][usable].fillna(0).to_numpy(np.int64), digits),
            "has_amount_captured": present(raw["amount_captured"][usable]),
            "is_successful_capture": (trimmed(raw["status"][usable]).str.lower() == "succeeded").fillna(False)
            & raw["captured"][usable].fillna(False).astype(bool),
            "created_at": raw["created"][usable].to_numpy(dtype="float64"),
            "metadata_order_id": pd.to_numeric(metadata_order, errors="coerce"),
            "loaded_at": raw["_loaded_at"][usable],
        }
    )
    charges["created_at"] = np.where(
        np.isnan(charges["created_at"]), NAT, charges["created_at"].fillna(0).astype(np.int64) * 1_000_000
    )
    return dedupe(charges, ["charge_id"], ["loaded_at"])


def stage_refunds(raw_dir: Path, currencies: pd.DataFrame) -> pd.DataFrame:
    raw = read_raw(
        raw_dir, "stripe", "refunds", ["id", "charge", "amount", "currency", "status", "created", "_loaded_at"]
    )
    code = known_currency(raw["currency"], currencies)
    usable = present(raw["id"]) & present(code)
    digits = code[usable].map(currencies.set_index("currency")["minor_unit_digits"]).to_numpy(dtype=np.int64)
    created = raw["created"][usable].to_numpy(dtype="float64")
    refunds = pd.DataFrame(
        {
            "refund_id": raw["id"][usable],
            "charge_id": raw["charge"][usable],
            "cents": minor_to_cents(raw["amount"][usable].fillna(0).to_numpy(np.int64), digits),
            "has_amount": present(raw["amount"][usable]),
            "is_succeeded": (trimmed(raw["status"][usable]).str.lower() == "succeeded").fillna(False),
            "created_at": np.where(np.isnan(created), NAT, np.nan_to_num(created).astype(np.int64) * 1_000_000),
            "loaded_at": raw["_loaded_at"][usable],
        }
    )
    return dedupe(refunds, ["refund_id"], ["loaded_at"])


def stage_messages(raw_dir: Path) -> pd.DataFrame:
    raw = read_raw(
        raw_dir, "messaging", "events", ["event_id", "metric", "cart_token", "message_id", "datetime", "_loaded_at"]
    )
    occurred = utc_micros(raw["datetime"])
    usable = present(raw["event_id"]) & (occurred != NAT)
    metric = raw["metric"][usable]
    messages = pd.DataFrame(
        {
            "event_id": raw["event_id"][usable],
            "metric": metric,
            "channel": np.select(
                [
                    metric.str.endswith(" Email").fillna(False).to_numpy(dtype=bool),
                    metric.str.endswith(" SMS").fillna(False).to_numpy(dtype=bool),
                ],
                ["email", "sms"],
                default=None,
            ),
            "cart_token": raw["cart_token"][usable],
            "message_id": raw["message_id"][usable],
            "occurred_at": occurred[usable],
            "loaded_at": raw["_loaded_at"][usable],
        }
    )
    return dedupe(messages, ["event_id"], ["loaded_at"])


def newest_event_time(raw_dir: Path, system: str, table: str, key: list[str], time_column: str) -> int:
    """max(time) over the usable, deduplicated rows of a table the funnel reads only for as-of."""
    raw = read_raw(raw_dir, system, table, [*key, time_column, "_loaded_at"])
    times = utc_micros(raw[time_column])
    usable = np.logical_and.reduce([present(raw[column]) for column in key]) & (times != NAT)
    rows = pd.DataFrame({**{column: raw[column][usable] for column in key}, "t": times[usable]})
    rows["loaded_at"] = raw["_loaded_at"][usable]
    return max_time(dedupe(rows, key, ["loaded_at"])["t"].to_numpy())


def newest_price_time(raw_dir: Path, currencies: pd.DataFrame) -> int:
    """product_prices: valid_from is part of the key, so deduplication cannot change its maximum."""
    raw = read_raw(raw_dir, "shop", "product_prices", ["sku", "currency", "valid_from"])
    valid_from = utc_micros(raw["valid_from"])
    usable = (
        present(raw["sku"])
        & present(raw["currency"])
        & present(raw["valid_from"])
        & (valid_from != NAT)
        & present(known_currency(raw["currency"], currencies))
    )
    return max_time(valid_from[usable])


# ----------------------------------------------------------------------------------------------------------------
# the recovery chain: activity -> abandonment -> recovery + payments -> attribution -> outcomes -> funnel
# ----------------------------------------------------------------------------------------------------------------
def cart_activity(events: pd.DataFrame, carts_known: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Carts (a token with at least one add to cart) and their milestones; also the carts' events."""
    cart = events["cart"].to_numpy()
    is_add = (events["event_name"] == ADD).to_numpy(dtype=bool)
    has_add = np.zeros(carts_known + 1, dtype=bool)  # the last slot stands for cart -1 (no token): never a cart
    has_add[cart[is_add & (cart >= 0)]] = True
    events = events[has_add[cart]]
    cart = events["cart"].to_numpy()
    names = events["event_name"]
    is_add = (names == ADD).to_numpy(dtype=bool)
    is_checkout = present(names) & ~is_add & ~(names == REMOVE).to_numpy(dtype=bool)
    times = pd.Series(events["occurred_at"].to_numpy(), index=cart)

    def first(mask: np.ndarray) -> pd.Series:
        return times[mask].groupby(level=0).min()

    activity = pd.DataFrame(index=pd.Index(np.flatnonzero(has_add[:-1]), name="cart"))
    activity["first_added_at"] = first(is_add)
    activity["contact_submitted_at"] = first((names == CONTACT).to_numpy(dtype=bool))
    activity["completed_at"] = first((names == COMPLETED).to_numpy(dtype=bool))
    activity["has_reached_checkout"] = first(is_checkout).reindex(activity.index).notna()
    activity["has_contact_info"] = activity["contact_submitted_at"].notna()
    # the cart's currency: that of its first added line (by time, then event id)
    adds = events[is_add].sort_values(["cart", "occurred_at", "event_id"], kind="stable")
    activity["currency"] = adds.drop_duplicates("cart").set_index("cart")["currency"].astype(str)
    return activity, events


def abandonment(activity: pd.DataFrame, events: pd.DataFrame, as_of: int, defs: Definitions) -> pd.DataFrame:
    """is_abandoned, abandoned_at and whether a converted cart (int_carts__abandonment)."""
    window = defs.abandonment_window_minutes * US_PER_MINUTE
    # Contact time by cart, as a dense lookup (NAT: no contact info, never after it).
    contact = np.full(int(activity.index.max()) + 2, np.iinfo(np.int64).max, dtype=np.int64)
    submitted = activity["contact_submitted_at"].dropna()
    contact[submitted.index.to_numpy()] = submitted.to_numpy(dtype=np.int64)
    cart, t = events["cart"].to_numpy(), events["occurred_at"].to_numpy()
    keep = (t >= contact[cart]) & (t <= as_of)
    after = pd.DataFrame({"cart": cart[keep], "t": t[keep]})
    # Events with the same time are interchangeable here: the first's silence to the next is 0 either way.
    after = after.sort_values(["cart", "t"], kind="stable")
    same_cart = after["cart"].to_numpy()[1:] == after["cart"].to_numpy()[:-1]
    next_t = np.append(np.where(same_cart, after["t"].to_numpy()[1:], as_of), as_of)
    silent = after["t"].to_numpy() + window <= next_t
    silence_started = after[silent].groupby("cart")["t"].min()

    judged = pd.DataFrame(index=activity.index)
    completed = activity["completed_at"]
    completed = completed.where(completed <= as_of)
    silence = silence_started.reindex(judged.index)
    judged["is_abandoned"] = silence.notna() & (completed.isna() | (completed > silence))
    judged["abandoned_at"] = (silence + window).where(judged["is_abandoned"])
    return judged


def payments_by_order(
    orders: pd.DataFrame,
    transactions: pd.DataFrame,
    charges: pd.DataFrame,
    refunds: pd.DataFrame,
    fx: pd.DataFrame,
) -> pd.DataFrame:
    """Per order: captured_charge_count and net_paid_cents (int_payments__charges_linked + __by_order)."""
    order_created = orders.set_index("order_id")["created_at"]
    links = transactions[
        (transactions["gateway"] == "stripe").fillna(False).to_numpy(dtype=bool)
        & transactions["kind"].isin(["authorization", "capture", "sale"]).to_numpy(dtype=bool)
        & present(transactions["gateway_reference"])
        & transactions["order_id"].isin(order_created.index).to_numpy(dtype=bool)
    ]
    link_order = links.groupby("gateway_reference")["order_id"].min()

    meta_order = charges["metadata_order_id"].where(charges["metadata_order_id"].isin(order_created.index))
    gateway_order = charges["charge_id"].map(link_order)
    order_id = meta_order.fillna(gateway_order.astype("float64"))
    linked = charges[order_id.notna().to_numpy(dtype=bool)].assign(order_id=order_id.dropna().astype(np.int64))

    succeeded = refunds[refunds["is_succeeded"].to_numpy(dtype=bool) & refunds["has_amount"].to_numpy(dtype=bool)]
    refunded_cents = succeeded.groupby("charge_id")["cents"].sum()
    linked = linked.assign(
        refunded_cents=linked["charge_id"].map(refunded_cents).fillna(0).astype(np.int64),
        rate_day=(linked["order_id"].map(order_created).to_numpy() // US_PER_DAY).astype(np.int64),
    )
    linked = linked.merge(fx, on=["currency", "rate_day"], how="left")
    has_rate = linked["rate_e8"].notna().to_numpy(dtype=bool)
    rate = linked["rate_e8"].fillna(0).to_numpy(dtype=np.int64)
    capture = linked["is_successful_capture"].to_numpy(dtype=bool)
    linked["captured"] = np.where(capture, to_reporting_cents(linked["captured_cents"].to_numpy(), rate), 0)
    linked["refunded"] = to_reporting_cents(linked["refunded_cents"].to_numpy(), rate)
    # An amount without a rate is unknown: SQL sum() skips it (the marts' not-null tests catch it).
    linked.loc[~has_rate | (capture & ~linked["has_amount_captured"].to_numpy(dtype=bool)), "captured"] = 0
    linked.loc[~has_rate, "refunded"] = 0
    by_order = linked.groupby("order_id").agg(
        captured_charge_count=("is_successful_capture", "sum"),
        captured=("captured", "sum"),
        refunded=("refunded", "sum"),
    )
    by_order["net_paid_cents"] = by_order["captured"] - by_order["refunded"]
    return by_order[["captured_charge_count", "net_paid_cents"]]


def recovery(
    abandoned: pd.DataFrame, orders: pd.DataFrame, payments: pd.DataFrame, as_of: int, defs: Definitions
) -> pd.DataFrame:
    """The recovering order of each abandoned cart, whether paid, and its net paid cents (int_carts__recovery)."""
    live = orders[
        (orders["cart"] >= 0).to_numpy()
        & (orders["cancelled_at"] == NAT).to_numpy()
        & ~orders["is_test"].to_numpy(dtype=bool)
        & (orders["created_at"] <= as_of).to_numpy()
    ]
    candidates = live[["order_id", "cart", "created_at"]].merge(
        abandoned["abandoned_at"].astype(np.int64).rename("abandoned_at"), left_on="cart", right_index=True
    )
    window = defs.recovery_window_days * US_PER_DAY
    candidates = candidates[
        (candidates["created_at"] > candidates["abandoned_at"])
        & (candidates["created_at"] <= candidates["abandoned_at"] + window)
    ]
    first = candidates.sort_values(["cart", "created_at", "order_id"]).drop_duplicates("cart")
    first = first.set_index("cart")
    result = pd.DataFrame(index=abandoned.index)
    result["recovered_order_id"] = first["order_id"]
    result["recovered_at"] = first["created_at"]
    result["is_recovered"] = result["recovered_order_id"].notna()
    paid = result["recovered_order_id"].map(payments["captured_charge_count"]).fillna(0)
    result["is_recovered_and_paid"] = paid > 0
    revenue = result["recovered_order_id"].map(payments["net_paid_cents"]).fillna(0)
    result["recovered_cents"] = revenue.where(result["is_recovered"]).astype("Int64")
    return result


def attribution(
    recovered: pd.DataFrame,
    abandoned: pd.DataFrame,
    messages: pd.DataFrame,
    tokens: pd.Index,
    as_of: int,
    defs: Definitions,
) -> pd.DataFrame:
    """Messages in play, deciding channel and attributed/organic (int_carts__message_touches + __attribution)."""
    metric = messages["metric"]
    clicks = messages[
        metric.isin(CLICKS).to_numpy(dtype=bool) & present(messages["message_id"]) & (messages["occurred_at"] <= as_of)
    ]
    first_click = clicks.groupby("message_id")["occurred_at"].min()
    sends = messages[
        metric.isin(SENDS).to_numpy(dtype=bool) & present(messages["cart_token"]) & (messages["occurred_at"] <= as_of)
    ]
    sends = sends[["event_id", "cart_token", "message_id", "channel", "occurred_at"]]
    touches = sends.assign(cart=cart_keys(tokens, sends["cart_token"])).merge(
        pd.DataFrame(
            {"abandoned_at": abandoned["abandoned_at"].astype(np.int64), "recovered_at": recovered["recovered_at"]}
        ),
        left_on="cart",
        right_index=True,
    )
    touches = touches[
        (touches["occurred_at"] > touches["abandoned_at"])
        & (touches["recovered_at"].isna() | (touches["occurred_at"] < touches["recovered_at"]))
    ]
    touches = touches.assign(clicked_at=touches["message_id"].map(first_click))
    touches = touches.sort_values(["cart", "occurred_at", "event_id"])
    per_cart = touches.groupby("cart")
    summary = pd.DataFrame({"messages_sent": per_cart.size(), "messages_clicked": per_cart["clicked_at"].count()}).join(
        touches.drop_duplicates("cart", keep="last").set_index("cart")[["channel", "occurred_at", "clicked_at"]]
    )

    result = recovered.join(summary)
    anchor = result["clicked_at"].fillna(result["occurred_at"])
    in_window = result["recovered_at"] <= anchor + defs.attribution_window_hours * US_PER_HOUR
    result["recovery_type"] = np.where(
        ~result["is_recovered"].to_numpy(dtype=bool),
        "not_recovered",
        np.where(in_window.fillna(False).to_numpy(dtype=bool), "attributed", "organic"),
    )
    result["funnel_channel"] = result["channel"].fillna("none")
    result["messages_sent"] = result["messages_sent"].fillna(0)
    result["messages_clicked"] = result["messages_clicked"].fillna(0)
    return result


def cohorts(local_day_of: pd.Series, as_of: int, defs: Definitions) -> tuple[pd.Series, pd.Series]:
    """Cohort date (local date of the instant) and whether the cohort is still provisional (int_carts__outcomes)."""
    instants = pd.to_datetime(local_day_of.to_numpy(dtype=np.int64), unit="us", utc=True)
    local_dates = instants.tz_convert(defs.reporting_timezone).tz_localize(None).normalize()
    days = pd.Series(local_dates.unique())
    next_midnight = (days + pd.Timedelta(days=1)).dt.tz_localize(defs.reporting_timezone).dt.tz_convert("UTC")
    matures = next_midnight + pd.Timedelta(days=defs.recovery_window_days)
    as_of_ts = pd.Timestamp(as_of, unit="us", tz="UTC")
    provisional = pd.Series((matures > as_of_ts).to_numpy(), index=days.to_numpy())
    cohort = pd.Series(local_dates.date, index=local_day_of.index)
    return cohort, pd.Series(provisional.reindex(local_dates).to_numpy(), index=local_day_of.index)


def compute_as_of(
    raw_dir: Path,
    currencies: pd.DataFrame,
    events: pd.DataFrame,
    orders: pd.DataFrame,
    transactions: pd.DataFrame,
    charges: pd.DataFrame,
    refunds: pd.DataFrame,
    messages: pd.DataFrame,
    defs: Definitions,
) -> int:
    """int_warehouse__as_of: the newest event time of the usable rows (or the var)."""
    if defs.as_of is not None:
        return int(pd.Timestamp(defs.as_of).to_datetime64().astype("datetime64[us]").view(np.int64))
    return max(
        max_time(events["occurred_at"].to_numpy()),
        max_time(orders["created_at"].to_numpy(), orders["updated_at"].to_numpy(), orders["cancelled_at"].to_numpy()),
        max_time(transactions["created_at"].to_numpy()),
        newest_event_time(raw_dir, "shop", "fulfillments", ["fulfillment_id"], "created_at"),
        newest_event_time(raw_dir, "shop", "inventory_movements", ["movement_id"], "occurred_at"),
        newest_price_time(raw_dir, currencies),
        max_time(charges["created_at"].to_numpy(), refunds["created_at"].to_numpy()),
        max_time(messages["occurred_at"].to_numpy()),
    )


def compute_funnel(
    raw_dir: Path, project_dir: Path = REPO_ROOT, overrides: dict[str, Any] | None = None
) -> pd.DataFrame:
    """fct_recovery_funnel_daily from the landing files under raw_dir."""
    defs = Definitions.from_project(project_dir, overrides)
    currencies = pd.read_csv(project_dir / "seeds" / "currencies.csv", dtype={"currency": str})
    fx = fx_rates(raw_dir, project_dir, currencies, defs)

    events, tokens = stage_cart_events(raw_dir, currencies)
    orders = stage_orders(raw_dir, currencies)
    orders["cart"] = cart_keys(tokens, orders["cart_token"])
    transactions = stage_transactions(raw_dir, currencies)
    charges = stage_charges(raw_dir, currencies)
    refunds = stage_refunds(raw_dir, currencies)
    messages = stage_messages(raw_dir)
    as_of = compute_as_of(raw_dir, currencies, events, orders, transactions, charges, refunds, messages, defs)

    activity, cart_events = cart_activity(events, len(tokens))
    del events
    judged = abandonment(activity, cart_events, as_of, defs)
    del cart_events
    abandoned = judged[judged["is_abandoned"].to_numpy(dtype=bool)]
    payments = payments_by_order(orders, transactions, charges, refunds, fx)
    recovered = recovery(abandoned, orders, payments, as_of, defs)
    attributed = attribution(recovered, abandoned, messages, tokens, as_of, defs)

    carts = activity.join(judged).join(attributed)
    is_abandoned = carts["is_abandoned"].to_numpy(dtype=bool)
    carts["channel"] = np.where(is_abandoned, carts["funnel_channel"].fillna("none"), "not_abandoned")
    cohort_instant = carts["abandoned_at"].where(is_abandoned, carts["first_added_at"])
    carts["cohort_date"], carts["is_provisional"] = cohorts(cohort_instant, as_of, defs)
    flags = {
        "checkouts_started": carts["has_reached_checkout"],
        "contact_captured": carts["has_contact_info"],
        "abandoned": carts["is_abandoned"],
        "contacted": carts["messages_sent"].fillna(0) > 0,
        "clicked": carts["messages_clicked"].fillna(0) > 0,
        "recovered": carts["is_recovered"].fillna(False),
        "recovered_attributed": carts["recovery_type"] == "attributed",
        "recovered_organic": carts["recovery_type"] == "organic",
        "recovered_and_paid": carts["is_recovered_and_paid"].fillna(False),
    }
    counted = pd.DataFrame({name: flag.fillna(False).astype(np.int64) for name, flag in flags.items()})
    counted["carts"] = 1
    counted["recovered_cents"] = carts["recovered_cents"].fillna(0).astype(np.int64)
    counted["is_provisional"] = carts["is_provisional"].astype(bool)
    counted["cohort_date"] = carts["cohort_date"]
    counted["channel"] = carts["channel"]
    counted["currency"] = carts["currency"]
    funnel = counted.groupby(["cohort_date", "channel", "currency"], sort=True).agg(
        {**{name: "sum" for name in ["carts", *flags, "recovered_cents"]}, "is_provisional": "max"}
    )
    funnel = funnel.reset_index()
    funnel["funnel_row_id"] = funnel["cohort_date"].astype(str) + "/" + funnel["channel"] + "/" + funnel["currency"]
    funnel["reporting_currency"] = defs.reporting_currency
    funnel["cart_grain"] = "cart"  # the native landing has cart events (docs/connectors.md "Checkout grain")
    funnel["recovery_rate"] = (funnel["recovered"] / funnel["abandoned"]).where(funnel["abandoned"] > 0)
    funnel["recovered_revenue"] = cents_to_decimal(funnel["recovered_cents"].to_numpy())
    return funnel[FUNNEL_COLUMNS].reset_index(drop=True)


def cents_to_decimal(cents: np.ndarray) -> pd.Series:
    """Integer cents -> decimal(18, 2) (pyarrow-backed), exactly (one value per funnel row)."""
    values = [Decimal(int(value)).scaleb(-2) for value in cents]
    return pd.Series(pa.array(values, pa.decimal128(18, 2)), dtype=pd.ArrowDtype(pa.decimal128(18, 2)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--raw-dir", required=True, type=Path, help="landing directory ($CART_RECOVERY_RAW_DIR)")
    parser.add_argument("--out", type=Path, help="write the funnel to this Parquet file")
    parser.add_argument("--vars", default=None, help="dbt-style var overrides as JSON, e.g. '{\"as_of\": null}'")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    funnel = compute_funnel(args.raw_dir, overrides=json.loads(args.vars) if args.vars else None)
    elapsed = time.perf_counter() - started
    if args.out:
        funnel.to_parquet(args.out, index=False)
    print(json.dumps({"rows": len(funnel), "carts": int(funnel["carts"].sum()), "seconds": round(elapsed, 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The pandas baseline's staging (bench/pandas_funnel.py): usable, deduplicated rows of every raw table the funnel
reads, only the columns it needs, and the newest event times of the tables it reads only for as-of.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from bench.funnel_rows import (
    NAT,
    dedupe,
    known_currency,
    max_time,
    minor_to_cents,
    present,
    read_raw,
    trimmed,
    utc_micros,
)

JSON_ORDER_ID = r'"order_id"\s*:\s*"?(-?\d+)"?\s*[,}]'


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

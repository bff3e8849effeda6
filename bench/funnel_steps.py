"""The pandas baseline's recovery chain (bench/pandas_funnel.py), one function per intermediate model:
activity -> abandonment -> recovery + payments -> attribution -> cohorts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bench.funnel_rows import NAT, US_PER_DAY, US_PER_HOUR, US_PER_MINUTE, Definitions, present, to_reporting_cents
from bench.funnel_staging import cart_keys

ADD, REMOVE = "product_added_to_cart", "product_removed_from_cart"
CONTACT, COMPLETED = "checkout_contact_info_submitted", "checkout_completed"
SENDS = ("Received Email", "Received SMS")
CLICKS = ("Clicked Email", "Clicked SMS")


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

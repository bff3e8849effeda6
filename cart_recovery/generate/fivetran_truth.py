"""Ground truth of the connector format: outcomes at checkout grain and the exceptions judged on checkouts.

The rules are docs/definitions.md "Carts" run on each checkout's events as docs/connectors.md "Checkout grain"
defines them, with recovery messages matched by person ("Attribution by person"), and oversell judged on the
movements the warehouse derives from the inventory snapshots ("Inventory from snapshots"). They are applied to
the rows the connector tables hold (`Connector.checkouts`, `Connector.messages`), not to the plan: the plan's
cart story is not what a checkout can tell.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cart_recovery.generate.arrays import decimal_array
from cart_recovery.generate.constants import (
    ABANDONMENT_WINDOW,
    ATTRIBUTION_WINDOW,
    DAY,
    HIGH_VALUE_CART_USD,
    INF,
    NONE,
    RECOVERY_WINDOW,
    START,
)
from cart_recovery.generate.fivetran_derived import INVENTORY_ITEM_ID, stock_now
from cart_recovery.generate.fivetran_tables import RECEIVED, Connector, normalised_email, order_line_ids
from cart_recovery.generate.truth import Instances, exceptions_table, oversell, recovered_payment_failed

#: time keys: seconds since this epoch, below 2**_BITS (every time of the plan and its windows fits)
_EPOCH = START - 60 * DAY
_BITS = 26
#: the exception types judged on checkouts (and oversell on derived movements); price_drift is not raised
CHECKOUT_TYPES = ("oversell", "price_drift", "recovery_stalled", "recovered_payment_failed")


def _codes(values: pa.Array, vocabulary: pa.Array) -> np.ndarray:
    return pc.index_in(values, value_set=vocabulary).fill_null(-1).to_numpy().astype(np.int64)


class _Keyed:
    """Events sorted by (group, time): searchable by group and time window."""

    def __init__(self, group: np.ndarray, t: np.ndarray, order: np.ndarray):
        srt = np.lexsort((order, t, group))
        self.idx = srt
        self.key = self.keys(group[srt], t[srt])

    @staticmethod
    def keys(group: np.ndarray, t: np.ndarray) -> np.ndarray:
        """(group, time) as one sortable integer; times beyond the span (INF) clip to its end."""
        return (np.asarray(group) << _BITS) + np.clip(np.asarray(t) - _EPOCH, 0, 2**_BITS - 1)

    def latest(self, group: np.ndarray, after: np.ndarray, upto: np.ndarray) -> np.ndarray:
        """Per query: the position (into the events) of the latest event of the group in (after, upto], else -1;
        of several at that second, the last in `order`."""
        j = np.searchsorted(self.key, self.keys(group, upto), side="right") - 1
        ok = (j >= 0) & (group >= 0) & (self.key[np.maximum(j, 0)] > self.keys(group, after))
        return np.where(ok, self.idx[np.maximum(j, 0)], -1)

    def first(self, group: np.ndarray, after: np.ndarray, upto: np.ndarray) -> np.ndarray:
        """Per query: the position of the first event of the group in (after, upto], else -1."""
        j = np.searchsorted(self.key, self.keys(group, after), side="right")
        jj = np.minimum(j, len(self.key) - 1)
        ok = (j < len(self.key)) & (group >= 0) & (self.key[jj] <= self.keys(group, upto))
        return np.where(ok, self.idx[jj], -1)


def checkout_truth(conn: Connector, as_of: int) -> dict[str, np.ndarray]:
    """Outcome, abandonment, recovery and attribution of every checkout (docs/connectors.md), as arrays."""
    world, checkouts, msgs = conn.world, conn.checkouts, conn.messages
    orders = world.orders
    n_checkouts = len(checkouts["cart"])
    has_email = checkouts["contact"] < INF
    # the checkout's events from contact (= created_at) on: created, updated when later, closed when present
    times = np.stack(
        [
            checkouts["created"],
            np.where(checkouts["updated"] > checkouts["created"], checkouts["updated"], INF),
            checkouts["closed"],
        ],
        axis=1,
    )
    times = np.sort(times, axis=1)
    present = times < INF
    following = np.concatenate([times[:, 1:], np.full((n_checkouts, 1), INF)], axis=1)
    following = np.where(following < INF, following, as_of)
    silent = present & (following - times >= ABANDONMENT_WINDOW) & has_email[:, None]
    silent_from = np.where(silent, times, INF).min(axis=1)
    completed = checkouts["closed"] < INF
    converted = completed & (checkouts["closed"] <= silent_from)
    abandoned = ~converted & (silent_from < INF)
    abandoned_at = np.where(abandoned, silent_from + ABANDONMENT_WINDOW, INF)

    pos = world.cart_order_pos[checkouts["cart"]]
    order_row = np.maximum(pos, 0)
    live = (pos >= 0) & world.kept_order[order_row] & ~orders["test"][order_row] & ~world.cancel_kept[order_row]
    order_t = np.where(live, orders["t"][order_row], INF)
    recovered = abandoned & (order_t > abandoned_at) & (order_t <= abandoned_at + RECOVERY_WINDOW)

    # attribution by person: the same normalised email on both sides
    checkout_email = normalised_email(checkouts["email"])
    people = pc.unique(pa.concat_arrays([msgs["email"], checkout_email]).drop_null())
    person, msg_person = _codes(checkout_email, people), _codes(msgs["email"], people)
    metric = msgs["metric"]
    row = np.arange(len(msgs["t"]))
    is_send = pc.is_in(metric, value_set=pa.array(RECEIVED)).to_numpy(zero_copy_only=False)
    is_click = pc.starts_with(metric, "Clicked ").to_numpy(zero_copy_only=False)
    sends = _Keyed(np.where(is_send, msg_person, -1), msgs["t"], row)
    messages = pc.unique(msgs["message"].drop_null())
    message = _codes(msgs["message"], messages)
    n_messages = max(len(messages), 1)
    click_group = np.where(is_click & (message >= 0), msg_person * n_messages + message, -1)
    clicks = _Keyed(click_group, msgs["t"], row)

    # the deciding send: the latest to the person in (abandoned_at, abandoned_at + window], before the order
    upto = np.minimum(abandoned_at + ATTRIBUTION_WINDOW, order_t - 1)
    send = sends.latest(np.where(recovered, person, -1), abandoned_at, upto)
    send_row = np.maximum(send, 0)
    send_t = np.where(send >= 0, msgs["t"][send_row], INF)
    send_group = np.where(
        (send >= 0) & (message[send_row] >= 0), msg_person[send_row] * n_messages + message[send_row], -1
    )
    # its click: the person's first Clicked of the same flow message (else campaign) after it
    click = clicks.first(send_group, send_t, np.full(n_checkouts, INF))
    click_t = np.where(click >= 0, msgs["t"][np.maximum(click, 0)], INF)
    anchor = np.where(click >= 0, click_t, send_t)
    attributed = recovered & (send >= 0) & (order_t <= anchor + ATTRIBUTION_WINDOW)
    sms = metric.take(pa.array(send_row)).to_numpy(zero_copy_only=False) == "Received SMS"

    outcome = np.full(n_checkouts, "no_contact", dtype=object)
    outcome[has_email] = "not_yet_abandoned"
    outcome[converted] = "converted"
    outcome[abandoned] = "not_recovered"
    outcome[recovered & ~attributed] = "recovered_organic"
    outcome[attributed] = "recovered_attributed"
    # the first send that counts for an abandoned checkout (recovery_stalled resolves there)
    first = sends.first(np.where(abandoned, person, -1), abandoned_at, abandoned_at + ATTRIBUTION_WINDOW)
    return {
        "outcome": outcome,
        "channel": np.where(attributed, np.where(sms, "sms", "email"), None),
        "abandoned": abandoned,
        "abandoned_at": abandoned_at,
        "recovered": recovered,
        "order_pos": np.where(recovered, pos, NONE),
        "order_t": order_t,
        "first_send_t": np.where(first >= 0, msgs["t"][np.maximum(first, 0)], INF),
        "value_usd_times_1e10": world.usd_value_times_1e10(checkouts["minor"], checkouts["cur"], checkouts["created"]),
    }


def checkout_outcomes_table(conn: Connector, truth: dict[str, np.ndarray]) -> pa.Table:
    """manifest/checkout_outcomes.parquet: one row per checkout, keyed by its cart_token."""
    world = conn.world
    pos = truth["order_pos"]
    order_id = np.where(pos >= 0, world.orders["id"][np.maximum(pos, 0)], NONE)
    abandoned = truth["abandoned"]
    return pa.table(
        {
            "cart_token": world.token.take(pa.array(conn.checkouts["cart"])),
            "outcome": pa.array(truth["outcome"], pa.string()),
            "channel": pa.array(truth["channel"], pa.string()),
            "recovered_order_id": pa.array(order_id, mask=order_id < 0),
            "abandoned_at": pa.array(
                world.landed(np.where(abandoned, truth["abandoned_at"], 0)).astype("datetime64[s]"), mask=~abandoned
            ),
            "cart_value_usd": decimal_array(truth["value_usd_times_1e10"], scale=10, precision=38),
        }
    )


def checkout_exceptions_table(conn: Connector, truth: dict[str, np.ndarray], as_of: int) -> pa.Table:
    """The native exceptions of the order and payment types, and the checkout-grain ones: recovery_stalled and
    recovered_payment_failed judged on checkouts, oversell on the derived movements; no price_drift."""
    world = conn.world
    native = exceptions_table(world, as_of)
    native = native.filter(pc.invert(pc.is_in(native.column("exception_type"), value_set=pa.array(CHECKOUT_TYPES))))
    found = Instances(world, as_of)
    oversell(found, derived_movements(world))
    high = truth["value_usd_times_1e10"] >= HIGH_VALUE_CART_USD * 10**10
    recovered_at = np.where(truth["recovered"], truth["order_t"], INF)
    found.emit(
        "recovery_stalled",
        "cart",
        world.token.take(pa.array(conn.checkouts["cart"])),
        truth["abandoned_at"],
        truth["abandoned"] & high,
        np.minimum(truth["first_send_t"], recovered_at),
    )
    rec_order = np.zeros(world.n_orders, dtype=bool)
    rec_order[truth["order_pos"][truth["order_pos"] >= 0]] = True
    recovered_payment_failed(world, found, rec_order)
    return pa.concat_tables([native, found.table()])


def derived_movements(world) -> dict[str, np.ndarray]:
    """The movements the warehouse derives from the snapshots: per SKU one restock of (stock now + everything
    sold) at its first sale (movement id: the inventory item id, before the sales of that second), then one sale
    per order line of a live landed order at the order's creation (movement id: the order line id)."""
    o, ol = world.orders, world.order_lines
    line_id = order_line_ids(world)
    live = (line_id >= 0) & ~o["test"][ol["order"]] & ~world.cancel_kept[ol["order"]]
    sku, qty, t, ids = ol["sku"][live], ol["qty"][live], o["t"][ol["order"]][live], line_id[live]
    stock, _ = stock_now(world)
    sold = np.bincount(sku, weights=qty, minlength=world.n_sku_all).astype(np.int64)
    first_sale = np.full(world.n_sku_all, INF)
    np.minimum.at(first_sale, sku, t)
    skus = np.nonzero(first_sale < INF)[0]
    return {
        "sku": np.concatenate([skus, sku]),
        "delta": np.concatenate([stock[skus] + sold[skus], -qty]),
        "t": np.concatenate([first_sale[skus], t]),
        "reason": np.concatenate([np.zeros(len(skus), dtype=np.int64), np.ones(len(sku), dtype=np.int64)]),
        "id": np.concatenate([INVENTORY_ITEM_ID + skus, ids]),
    }

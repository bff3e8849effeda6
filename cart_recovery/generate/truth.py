"""Ground truth: as-of, per-cart outcomes and exception instances, from the plan and the kept rows."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from cart_recovery.generate.arrays import decimal_array, labels, stripe_ids
from cart_recovery.generate.constants import CUR_DIGITS, CUTOFF, HIGH_VALUE_CART_USD, INF, NONE, START
from cart_recovery.generate.world import World


def as_of_time(world: World) -> int:
    """Newest event time over every event-time column of the kept good rows."""
    candidates = [
        world.kept_cart_events["t"].max(),
        world.orders["t"][world.kept_order].max(),
        world.kept_tx["t"].max(),
        world.kept_charges["t"].max(),
        world.kept_ful["t"].max(),
        world.kept_inv["t"].max(),
        world.kept_msgs["t"].max(),
        world.newsletter_max_t,
    ]
    if len(world.kept_refunds["t"]):
        candidates.append(world.kept_refunds["t"].max())
    # order versions (updated_at / cancelled_at) and the price catalog
    candidates.append(
        max(
            int(world.refund1_t[world.refund1_t <= CUTOFF].max(initial=0)),
            int(world.refund2_t[world.refund2_t <= CUTOFF].max(initial=0)),
        )
    )
    candidates.append(int(world.price_change_t[world.price_change_t <= CUTOFF].max(initial=0)))
    candidates.append(int(world.orders["cancel"][world.orders["cancel"] <= CUTOFF].max(initial=0)))
    candidates.append(int(world.capture_t[world.capture_t <= CUTOFF].max(initial=0)))
    candidates.append(int(world.pay_t[world.pay_t <= CUTOFF].max(initial=0)))
    return int(max(candidates))


def cart_outcomes_table(world: World, as_of: int) -> pa.Table:
    n = world.n_carts
    kept = lambda t: t <= CUTOFF  # noqa: E731
    contact = (world.stage == 2) & kept(world.contact_t)
    checkout = (world.stage >= 1) & kept(world.checkout_t)
    converted = world.plan_converted & kept(world.complete_t)
    abandoned = world.plan_abandoned & (world.abandoned_at <= as_of)
    has_order = world.cart_has_order & kept(world.cart_order_t)
    recovered = abandoned & has_order & np.isin(world.cart_order_kind, [1, 2])
    outcome = np.full(n, "browsing", dtype=object)
    outcome[checkout] = "no_contact"
    outcome[contact] = "not_yet_abandoned"
    outcome[converted] = "converted"
    outcome[abandoned] = "not_recovered"
    attributed = recovered & (world.cart_order_kind == 1)
    outcome[recovered & (world.cart_order_kind == 2)] = "recovered_organic"
    outcome[attributed] = "recovered_attributed"
    channel = np.where(attributed, np.where(world.recovery_channel_sms, "sms", "email"), None)
    pos = world.cart_order_pos
    order_id = np.where(recovered, world.orders["id"][np.maximum(pos, 0)], NONE)
    value = np.zeros(n, dtype=np.int64)
    lines = np.arange(len(world.line_cart))
    line_minor, line_cur = world.line_qty * world.line_price, world.cur[world.line_cart]
    add_kept = kept(world.line_add_t)
    value_added = np.where(
        add_kept, world.usd_value_times_1e10(line_minor, line_cur, np.minimum(world.line_add_t, CUTOFF)), 0
    )
    rem_t = world.remove_t[world.line_cart]
    rem_kept = world.line_removed & (rem_t <= CUTOFF)
    value_removed = np.where(
        rem_kept, world.usd_value_times_1e10(line_minor, line_cur, np.where(rem_kept, rem_t, START)), 0
    )
    np.add.at(value, world.line_cart[lines], value_added - value_removed)
    world.cart_value_usd_times_1e10 = value
    return pa.table(
        {
            "cart_token": world.token,
            "outcome": pa.array(outcome, pa.string()),
            "channel": pa.array(channel, pa.string()),
            "recovered_order_id": pa.array(order_id, mask=order_id < 0),
            "abandoned_at": pa.array(
                world.landed(np.where(abandoned, world.abandoned_at, 0)).astype("datetime64[s]"), mask=~abandoned
            ),
            "cart_value_usd": decimal_array(value, scale=10, precision=38),
        }
    )


class Instances:
    """Exception instances as they are found, one rule at a time, and the table they make (`table`)."""

    def __init__(self, world: World, as_of: int):
        self.world, self.as_of = world, as_of
        self.out: list[tuple] = []

    def emit(
        self,
        etype: str,
        entity_type: str,
        entity: np.ndarray | pa.Array,
        start: np.ndarray,
        cond: np.ndarray,
        resolve: np.ndarray,
    ) -> None:
        """An instance exists once its SLA elapsed by as-of with the condition still present at the due time."""
        due = start + self.world.sla[etype]
        exists = cond & (due <= self.as_of) & (resolve > due)
        resolved = exists & (resolve <= self.as_of)
        if isinstance(entity, pa.Array):
            text = entity.filter(pa.array(exists))
        elif entity_type == "charge":
            text = stripe_ids(entity[exists], np.zeros(int(exists.sum()), dtype=bool))
        else:
            text = pa.array(entity[exists]).cast(pa.string())
        self.out.append((etype, entity_type, text, start[exists], due[exists], resolved[exists], resolve[exists]))

    def table(self) -> pa.Table:
        out, world = self.out, self.world
        types = [row[0] for row in out]
        sizes = [len(row[2]) for row in out]
        resolved = np.concatenate([row[5] for row in out])
        resolve = np.concatenate([row[6] for row in out])
        return pa.table(
            {
                "exception_type": labels(types, np.repeat(np.arange(len(out)), sizes)),
                "entity_type": labels([row[1] for row in out], np.repeat(np.arange(len(out)), sizes)),
                "entity_id": pa.concat_arrays([row[2] for row in out]),
                "clock_start_at": pa.array(
                    world.landed(np.concatenate([row[3] for row in out])).astype("datetime64[s]")
                ),
                "due_at": pa.array(world.landed(np.concatenate([row[4] for row in out])).astype("datetime64[s]")),
                "status": labels(("open", "resolved"), resolved.astype(np.int64)),
                "resolved_at": pa.array(
                    world.landed(np.where(resolved, resolve, 0)).astype("datetime64[s]"), mask=~resolved
                ),
            }
        )


def charge_links(world: World) -> tuple[np.ndarray, np.ndarray]:
    """For each kept charge (world.kept_charges): whether it is linked to a kept order (its `metadata.order_id`
    or a stripe-gateway shop transaction whose gateway_reference is the charge), and whether it succeeded."""
    chg, tx = world.kept_charges, world.kept_tx
    stripe_tx = tx["gateway"] == 0
    c_order = chg["order"]
    via_meta = (c_order >= 0) & world.meta_has_order[np.maximum(c_order, 0)]
    via_tx = np.isin(chg["id"], tx["ref"][stripe_tx & (tx["kind"] != 4)])
    linked = (via_meta | via_tx) & (c_order >= 0)
    linked &= world.kept_order[np.maximum(c_order, 0)]
    return linked, chg["status"] == 0


def recovered_payment_failed(world: World, found: Instances, rec_order: np.ndarray) -> None:
    """recovered_payment_failed: a recovered order (`rec_order`) whose Stripe attempts all failed; resolved by the
    first succeeded linked charge."""
    chg, o = world.kept_charges, world.orders
    linked, succeeded = charge_links(world)
    c_order = chg["order"]
    attempts = np.bincount(c_order[linked], minlength=world.n_orders)
    ok_charge = np.full(world.n_orders, INF)
    sel = linked & succeeded
    np.minimum.at(ok_charge, c_order[sel], chg["t"][sel])
    fails = rec_order & (attempts >= 1)
    found.emit("recovered_payment_failed", "order", o["id"], o["t"], fails, ok_charge)


def oversell(found: Instances, inv: dict[str, np.ndarray]) -> None:
    """oversell: a sale (reason 1) that takes the SKU's running stock (by time, then movement id) from >= 0 to < 0;
    resolved by the first later movement that brings it back to >= 0. `inv`: sku, delta, t, reason, id."""
    srt = np.lexsort((inv["id"], inv["t"], inv["sku"]))
    sku, delta, t, reason, ids = (
        inv["sku"][srt],
        inv["delta"][srt],
        inv["t"][srt],
        inv["reason"][srt],
        inv["id"][srt],
    )
    running = np.cumsum(delta)
    first = np.searchsorted(sku, sku, side="left")
    base = np.concatenate([[0], running])[first]
    running = running - base
    before = running - delta
    crossing = (reason == 1) & (before >= 0) & (running < 0)
    back = np.full(len(sku), INF)
    for i in np.nonzero(crossing)[0]:  # a handful of dedicated SKUs
        j = i + 1
        while j < len(sku) and sku[j] == sku[i]:
            if running[j] >= 0:
                back[i] = t[j]
                break
            j += 1
    found.emit("oversell", "inventory_movement", ids, t, crossing, back)


def exceptions_table(world: World, as_of: int) -> pa.Table:
    """Every exception instance by the rules of docs/definitions.md "Exceptions" applied to the kept rows."""
    o, m = world.orders, world.n_orders
    T = o["t"]
    found = Instances(world, as_of)
    emit = found.emit

    live = world.kept_order & ~o["test"] & ~world.cancel_kept
    # first successful capture/sale in the shop
    tx = world.kept_tx
    ok_pay = np.isin(tx["kind"], [1, 2]) & (tx["status"] == 0)
    first_pay = np.full(m, INF)
    np.minimum.at(first_pay, tx["order"][ok_pay], tx["t"][ok_pay])
    emit("order_unpaid", "order", o["id"], T, live, first_pay)

    # Stripe charges linked to orders (metadata.order_id or a shop transaction's gateway_reference)
    chg = world.kept_charges
    stripe_tx = tx["gateway"] == 0
    c_order = chg["order"]
    linked, succeeded = charge_links(world)
    captured = succeeded & chg["captured"]
    # charge_without_order: succeeded charge matching no order; resolved when the linking transaction lands
    orphan = np.isin(chg["id"], world.orphan_ids)
    orphan_pos = np.searchsorted(world.orphan_ids, chg["id"][orphan]) if orphan.any() else np.zeros(0, np.int64)
    link_t = np.full(len(chg["id"]), INF)
    link_t[orphan] = np.where(world.orphan_resolve_t[orphan_pos] <= CUTOFF, world.orphan_resolve_t[orphan_pos], INF)
    cond = succeeded & (~linked | orphan)
    emit("charge_without_order", "charge", chg["id"], chg["t"], cond, link_t)

    cap_order = c_order[linked & captured]
    cap_amount = chg["minor"][linked & captured]
    cap_cur = chg["cur"][linked & captured]
    n_caps = np.bincount(cap_order, minlength=m)
    cap_sum = np.bincount(cap_order, weights=cap_amount, minlength=m).astype(np.int64)
    other_cur = np.bincount(cap_order, weights=(cap_cur != o["cur"][cap_order]), minlength=m) > 0
    judged = live & (n_caps >= 1)
    # "beyond 0.01": more than one minor unit for 2-digit currencies; any difference for JPY (no minor unit)
    tolerance = np.where(CUR_DIGITS[o["cur"]] == 0, 0, 1)
    mismatch = judged & (other_cur | (np.abs(cap_sum - o["total"]) > tolerance))
    emit("amount_mismatch", "order", o["id"], T, mismatch, np.full(m, INF))
    dup = judged & (n_caps >= 2) & (cap_sum > o["total"])
    emit("duplicate_capture", "order", o["id"], T, dup, np.full(m, INF))

    rf = world.kept_refunds
    ok_r = rf["ok"] & (rf["order"] >= 0)
    ref_sum = np.bincount(rf["order"][ok_r], weights=rf["minor"][ok_r], minlength=m).astype(np.int64)
    over = world.kept_order & (ref_sum > cap_sum) & (ref_sum > 0)
    emit("refund_exceeds_capture", "order", o["id"], T, over, np.full(m, INF))

    # processor_mismatch: per shop transaction on the stripe gateway
    # status of the Stripe object each stripe-gateway transaction references (-1: no such object landed)
    status_of = np.full(world.n_stripe_ids, -1)
    status_of[chg["id"]] = chg["status"]
    status_of[rf["id"]] = np.where(rf["ok"], 0, 2)
    st = stripe_tx
    counterpart = np.where(st, status_of[np.maximum(tx["ref"], 0)], -2)
    disagree = st & (((tx["status"] == 0) & (counterpart != 0)) | ((tx["status"] != 0) & (counterpart == 0)))
    emit("processor_mismatch", "transaction", world.tx_ids, T[tx["order"]], disagree, np.full(len(tx["t"]), INF))

    oversell(found, world.kept_inv)

    # fulfillment_delayed: paid live order without a successful fulfillment within the SLA
    fu = world.kept_ful
    ok_f = fu["status"] == 0
    first_ful = np.full(m, INF)
    np.minimum.at(first_ful, fu["order"][ok_f], fu["t"][ok_f])
    emit("fulfillment_delayed", "order", o["id"], T, live & (first_pay < INF), first_ful)

    # price_drift: a recovered order with a SKU that was in the cart whose cart price (that of the cart's latest
    # add of the SKU; every add precedes abandonment) differs from the catalog price in the cart's currency at
    # order time; SKUs the cart never held are not judged
    outcomes = world.outcomes
    rec_order = np.zeros(m, dtype=bool)
    rec_ids = outcomes.column("recovered_order_id").drop_null().to_numpy()
    rec_order[np.searchsorted(o["id"], rec_ids)] = True
    drift = np.bincount(_cart_price_drift(world, rec_order), minlength=m) > 0
    emit("price_drift", "order", o["id"], T, drift, np.full(m, INF))

    # recovery_stalled: abandoned cart worth >= threshold with no recovery message within the SLA; resolved by
    # its first recovery message or by its recovery, whichever comes first
    abandoned = world.plan_abandoned & (world.abandoned_at <= as_of)
    msgs = world.kept_msgs
    received = np.isin(msgs["metric"], [0, 4]) & (msgs["t"] > world.abandoned_at[msgs["cart"]])
    first_msg = np.full(world.n_carts, INF)
    np.minimum.at(first_msg, msgs["cart"][received], msgs["t"][received])
    recovered_at = np.where(
        outcomes.column("recovered_order_id").is_valid().to_numpy(zero_copy_only=False),
        T[np.maximum(world.cart_order_pos, 0)],
        INF,
    )
    high = world.cart_value_usd_times_1e10 >= HIGH_VALUE_CART_USD * 10**10
    emit(
        "recovery_stalled",
        "cart",
        world.token,
        world.abandoned_at,
        abandoned & high,
        np.minimum(first_msg, recovered_at),
    )

    recovered_payment_failed(world, found, rec_order)
    return found.table()


def _cart_price_drift(world: World, order_mask: np.ndarray) -> np.ndarray:
    """The orders (positions, one per drifted SKU) among `order_mask` with a SKU whose cart price differs from the
    catalog price at order time (docs/definitions.md, price_drift)."""
    o, ol = world.orders, world.order_lines
    n_sku = world.n_sku_all
    # the cart price of each (cart, SKU): the price of the cart's latest add of that SKU
    latest = np.lexsort((world.line_add_t, world.line_sku, world.line_cart))
    pair = world.line_cart[latest] * n_sku + world.line_sku[latest]
    last_of_pair = np.append(pair[1:] != pair[:-1], True)
    pairs, prices = pair[last_of_pair], world.line_price[latest][last_of_pair]
    lines = order_mask[ol["order"]] & (o["cart"][ol["order"]] >= 0)
    line_order, line_sku = ol["order"][lines], ol["sku"][lines]
    line_cart = o["cart"][line_order]
    wanted = line_cart * n_sku + line_sku
    at = np.minimum(np.searchsorted(pairs, wanted), len(pairs) - 1)
    in_cart = pairs[at] == wanted
    cart_cur = world.cur[line_cart]
    catalog = world.catalog_price(line_sku, cart_cur, o["t"][line_order])
    drifted = in_cart & (prices[at] != catalog)
    # one entry per drifted (order, SKU): an order holding a SKU on two lines counts it once
    return np.unique(line_order[drifted] * n_sku + line_sku[drifted]) // n_sku

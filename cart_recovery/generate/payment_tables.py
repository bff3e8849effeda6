"""Payments: shop transactions and the Stripe charges and refunds behind them.

Stripe objects carry integer ids internally (one sequence for charges and refunds); text ids such as
ch_00000000000042 / re_00000000000043 are only made when the rows are written.
"""

from __future__ import annotations

import numpy as np

from cart_recovery.generate.arrays import concat_field, labels, major_decimal, stripe_ids, uniform_int
from cart_recovery.generate.constants import (
    CURRENCIES,
    CUTOFF,
    GATEWAY_OF,
    GATEWAYS,
    INF,
    NONE,
    P_GIFT,
    P_MANUAL,
    P_PAYPAL,
    P_STRIPE_AUTHCAP,
    P_STRIPE_SALE,
)
from cart_recovery.generate.raw_table import Table
from cart_recovery.generate.rejects import add_rejects
from cart_recovery.generate.stripe_tables import stripe_tables
from cart_recovery.generate.world import World


def payment_tables(world: World) -> tuple[Table, Table, Table]:
    """shop.transactions, stripe.charges and stripe.refunds, built together: they share the Stripe ids."""
    rng, o, m = world.rng, world.orders, world.n_orders
    T = o["t"]
    stripe = np.isin(world.pay, [P_STRIPE_SALE, P_STRIPE_AUTHCAP])
    ch: list[dict] = []  # charges
    tx: list[dict] = []  # shop transactions; ref = Stripe object id or NONE
    next_id = [1]

    def new_ids(count: int) -> np.ndarray:
        start = next_id[0]
        next_id[0] += count
        return np.arange(start, start + count, dtype=np.int64)

    # failed attempts (Stripe failed; shop failure)
    for a in (0, 1):
        sel = np.nonzero(world.fail_attempts > a)[0]
        t = world.fail_t0[sel] + a * uniform_int(rng, 60, 600, len(sel))
        ids = new_ids(len(sel))
        ch.append(
            dict(
                order=sel,
                id=ids,
                t=t,
                status=2,
                captured=False,
                cap_t=INF,
                minor=o["total"][sel],
                cur=o["cur"][sel],
                fail=True,
            )
        )
        tx.append(
            dict(
                order=sel,
                kind=2,
                status=1,
                t=t,
                ref=ids,
                gateway=0,
                minor=o["total"][sel],
                cur=o["cur"][sel],
            )
        )
    # successful stripe charge
    sel = np.nonzero(stripe & (world.pay_t < INF) & (o["kind"] != 5))[0]
    ids = new_ids(len(sel))
    world.success_charge_id = np.full(m, NONE)
    world.success_charge_id[sel] = ids
    authcap = world.pay[sel] == P_STRIPE_AUTHCAP
    missing = world.proc_missing[sel]
    failed = world.proc_failed[sel]
    ch.append(
        dict(
            order=sel[~missing],
            id=ids[~missing],
            t=world.pay_t[sel][~missing],
            status=np.where(failed[~missing], 2, 0),
            captured=~failed[~missing],
            cap_t=np.where(failed, INF, world.capture_t[sel])[~missing],
            minor=world.charge_minor[sel][~missing],
            cur=world.charge_cur[sel][~missing],
            fail=failed[~missing],
        )
    )
    kind_first = np.where(authcap, 0, 2)  # authorization or sale
    tx.append(
        dict(
            order=sel,
            kind=kind_first,
            status=0,
            t=world.pay_t[sel],
            ref=ids,
            gateway=0,
            minor=o["total"][sel],
            cur=o["cur"][sel],
        )
    )
    tx.append(
        dict(
            order=sel[authcap],
            kind=1,
            status=0,
            t=world.capture_t[sel][authcap],
            ref=ids[authcap],
            gateway=0,
            minor=o["total"][sel][authcap],
            cur=o["cur"][sel][authcap],
        )
    )
    # duplicate capture: a second succeeded charge, no shop transaction
    sel = np.nonzero(world.dup_t < INF)[0]
    ids = new_ids(len(sel))
    ch.append(
        dict(
            order=sel,
            id=ids,
            t=world.dup_t[sel],
            status=0,
            captured=True,
            cap_t=world.dup_t[sel],
            minor=world.charge_minor[sel],
            cur=world.charge_cur[sel],
            fail=False,
        )
    )
    # orphan charges (no order); those later linked get a draft order paid by a shop transaction
    n_orph = len(world.orphan_t)
    orph_ids = new_ids(n_orph)
    ch.append(
        dict(
            order=np.full(n_orph, NONE),
            id=orph_ids,
            t=world.orphan_t,
            status=0,
            captured=True,
            cap_t=world.orphan_t,
            minor=world.orphan_minor,
            cur=world.orphan_cur,
            fail=False,
        )
    )
    world.orphan_ids = orph_ids
    sel = np.nonzero(o["kind"] == 5)[0]
    tx.append(
        dict(
            order=sel,
            kind=2,
            status=0,
            t=T[sel],
            ref=orph_ids[o["orphan"][sel]],
            gateway=0,
            minor=o["total"][sel],
            cur=o["cur"][sel],
        )
    )
    # other gateways
    for p in (P_PAYPAL, P_GIFT, P_MANUAL):
        sel = np.nonzero((world.pay == p) & (world.pay_t < INF))[0]
        tx.append(
            dict(
                order=sel,
                kind=2,
                status=0,
                t=world.pay_t[sel],
                ref=NONE,
                gateway=GATEWAYS.index(GATEWAY_OF[p]),
                minor=o["total"][sel],
                cur=o["cur"][sel],
            )
        )

    # refunds
    rf: list[dict] = []
    for which in (1, 2):
        t_arr = world.refund1_t if which == 1 else world.refund2_t
        sel = np.nonzero(t_arr < INF)[0]
        minor = (world.refund1_minor if which == 1 else world.refund2_minor)[sel]
        ok = world.refund1_ok[sel] if which == 1 else np.ones(len(sel), dtype=bool)
        is_stripe = stripe[sel]
        ids = new_ids(len(sel))
        s = sel[is_stripe]
        rf.append(
            dict(
                order=s,
                id=ids[is_stripe],
                charge=world.success_charge_id[s],
                t=t_arr[s],
                minor=minor[is_stripe],
                cur=world.charge_cur[s],
                ok=ok[is_stripe],
            )
        )
        refs = np.where(is_stripe, ids, NONE)
        tx.append(
            dict(
                order=sel,
                kind=4,
                status=np.where(ok, 0, 1),
                t=t_arr[sel],
                ref=refs,
                gateway=np.where(is_stripe, 0, 1),
                minor=minor,
                cur=world.charge_cur[sel],
            )
        )
    world.n_stripe_ids = next_id[0]
    tx_table = transactions_table(world, tx)
    ch_table, rf_table = stripe_tables(world, ch, rf)
    return tx_table, ch_table, rf_table


def transactions_table(world: World, tx: list[dict]) -> Table:
    """shop.transactions from the row groups planned by payment_tables (see concat_field)."""
    o = world.orders
    kind, status, t = concat_field(tx, "kind"), concat_field(tx, "status"), concat_field(tx, "t")
    order, ref, gateway = concat_field(tx, "order"), concat_field(tx, "ref"), concat_field(tx, "gateway")
    minor, cur = concat_field(tx, "minor"), concat_field(tx, "cur")
    keep = t <= CUTOFF
    srt = np.nonzero(keep)[0][np.lexsort((kind[keep], t[keep]))]
    order, kind, status, t, ref, gateway, minor, cur = (
        a[srt] for a in (order, kind, status, t, ref, gateway, minor, cur)
    )
    world.kept_tx = dict(order=order, kind=kind, status=status, t=t, ref=ref, gateway=gateway)
    k = len(t)
    world.tx_ids = 8_000_000_000 + np.arange(k) * 3 + 1
    cols = {
        "transaction_id": world.tx_ids,
        "order_id": o["id"][order],
        "kind": labels(("authorization", "capture", "sale", "void", "refund"), kind),
        "status": labels(("success", "failure", "pending", "error"), status),
        "amount": major_decimal(minor, cur),
        "currency": labels(CURRENCIES, cur),
        "gateway": labels(GATEWAYS, gateway),
        "gateway_reference": stripe_ids(ref, kind == 4),
        "created_at": world.iso(t, o["off"][order]),
    }
    table = Table("shop", "transactions", cols, t, np.ones(k, dtype=bool), ("transaction_id",))
    add_rejects(
        world.rng,
        table,
        {"null_key": "transaction_id", "invalid_timestamp": "created_at", "unknown_currency": "currency"},
        ("int", 9_900_000_000),
    )
    return table

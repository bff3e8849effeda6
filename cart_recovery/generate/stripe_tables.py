"""Stripe's raw tables: charges (one row per version) and refunds."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from cart_recovery.generate.arrays import concat_field, labels, sql_array, stripe_ids
from cart_recovery.generate.constants import CURRENCIES, CUTOFF, INF, NONE
from cart_recovery.generate.raw_table import Table
from cart_recovery.generate.rejects import add_rejects
from cart_recovery.generate.world import World


def stripe_tables(world: World, ch: list[dict], rf: list[dict]) -> tuple[Table, Table]:
    """stripe.charges (one row per version) and stripe.refunds from the charge and refund row groups planned by
    payment_tables (see concat_field); also records the kept charges and refunds for the ground truth."""
    o = world.orders
    c_order, c_id, c_t = concat_field(ch, "order"), concat_field(ch, "id"), concat_field(ch, "t")
    c_status, c_cap, c_cap_t = (
        concat_field(ch, "status"),
        concat_field(ch, "captured").astype(bool),
        concat_field(ch, "cap_t"),
    )
    c_minor, c_cur, c_fail = concat_field(ch, "minor"), concat_field(ch, "cur"), concat_field(ch, "fail").astype(bool)
    r_order, r_id, r_charge = concat_field(rf, "order"), concat_field(rf, "id"), concat_field(rf, "charge")
    r_t, r_minor, r_cur, r_ok = (
        concat_field(rf, "t"),
        concat_field(rf, "minor"),
        concat_field(rf, "cur"),
        concat_field(rf, "ok").astype(bool),
    )
    rk = r_t <= CUTOFF
    r_order, r_id, r_charge, r_t, r_minor, r_cur, r_ok = (
        a[rk] for a in (r_order, r_id, r_charge, r_t, r_minor, r_cur, r_ok)
    )
    # charge versions: created, captured (auth+capture), after each succeeded refund
    charge_pos = np.full(world.n_stripe_ids, NONE)
    charge_pos[c_id] = np.arange(len(c_id))
    r_cpos = charge_pos[r_charge]
    v_idx = [np.arange(len(c_id))]
    v_t = [c_t]
    v_cap = [c_cap & (c_cap_t <= c_t)]
    later_cap = c_cap & (c_cap_t > c_t) & (c_cap_t < INF)
    v_idx.append(np.nonzero(later_cap)[0])
    v_t.append(c_cap_t[later_cap])
    v_cap.append(np.ones(later_cap.sum(), dtype=bool))
    ok_r = r_ok
    v_idx.append(r_cpos[ok_r])
    v_t.append(r_t[ok_r])
    v_cap.append(np.ones(ok_r.sum(), dtype=bool))
    vi, vt, vcap = np.concatenate(v_idx), np.concatenate(v_t), np.concatenate(v_cap)
    keep = vt <= CUTOFF
    vi, vt, vcap = vi[keep], vt[keep], vcap[keep]
    srt = np.lexsort((vt, vi))
    vi, vt, vcap = vi[srt], vt[srt], vcap[srt]
    # cumulative succeeded refunds of the charge at each version time (at most two refunds per charge)
    refunded = np.zeros(len(vi), dtype=np.int64)
    if ok_r.any():
        rc, rt, rm = r_cpos[ok_r], r_t[ok_r], r_minor[ok_r]
        rs = np.lexsort((rt, rc))
        rc, rt, rm = rc[rs], rt[rs], rm[rs]
        for step in (0, 1):
            pos = np.searchsorted(rc, vi, side="left") + step
            end = np.searchsorted(rc, vi, side="right")
            hit = (pos < end) & (rt[np.minimum(pos, len(rt) - 1)] <= vt)
            refunded += np.where(hit, rm[np.minimum(pos, len(rm) - 1)], 0)
    last = np.ones(len(vi), dtype=bool)
    last[:-1] = vi[1:] != vi[:-1]
    # what the ground truth needs: the final landed state of each charge
    fin = vi[last]
    world.kept_charges = dict(
        order=c_order[fin],
        id=c_id[fin],
        t=c_t[fin],
        status=c_status[fin],
        captured=vcap[last],
        minor=c_minor[fin],
        cur=c_cur[fin],
        refunded=refunded[last],
    )
    world.kept_refunds = dict(order=r_order, id=r_id, charge=r_charge, t=r_t, minor=r_minor, cur=r_cur, ok=r_ok)
    k = len(vi)
    ci = vi
    has_order = (c_order[ci] >= 0) & world.meta_has_order[np.maximum(c_order[ci], 0)]
    orph_pos = np.full(len(c_id), NONE)
    orph_pos[len(c_id) - len(world.orphan_ids) :] = np.arange(len(world.orphan_ids))
    bogus = (c_order[ci] < 0) & world.orphan_bogus_meta[np.maximum(orph_pos[ci], 0)]
    oid = np.where(has_order, o["id"][np.maximum(c_order[ci], 0)], np.where(bogus, 9_700_000_000 + orph_pos[ci], 0))
    cart = np.where(c_order[ci] >= 0, o["cart"][np.maximum(c_order[ci], 0)], NONE)
    with_cart = has_order & (cart >= 0)
    meta = sql_array(
        """case when wc then '{"order_id": "' || oid::varchar || '", "cart_token": "' || tok || '"}'"""
        """ when ho then '{"order_id": "' || oid::varchar || '"}' else '{}' end""",
        wc=with_cart,
        ho=has_order | bogus,
        oid=oid,
        tok=world.token.take(pa.array(np.maximum(cart, 0))),
    )
    charge_text = stripe_ids(c_id[ci], np.zeros(k, dtype=bool))
    cols = {
        "id": charge_text,
        "payment_intent": pa.compute.replace_substring(charge_text, "ch_", "pi_"),
        "amount": c_minor[ci],
        "amount_captured": np.where(vcap, c_minor[ci], 0),
        "amount_refunded": refunded,
        "currency": labels(tuple(c.lower() for c in CURRENCIES), c_cur[ci]),
        "status": labels(("succeeded", "pending", "failed"), c_status[ci]),
        "captured": vcap,
        "created": world.landed(c_t[ci]),
        "failure_code": pa.compute.if_else(
            pa.array(c_fail[ci]),
            labels(("card_declined", "insufficient_funds", "expired_card"), np.arange(k) % 3),
            pa.nulls(k, pa.string()),
        ),
        "metadata": meta,
        "livemode": np.ones(k, dtype=bool),
    }
    charges = Table("stripe", "charges", cols, vt, last, ("id",))
    add_rejects(world.rng, charges, {"null_key": "id", "unknown_currency": "currency"}, ("ch_x", 14))
    kr = len(r_id)
    rcols = {
        "id": stripe_ids(r_id, np.ones(kr, dtype=bool)),
        "charge": stripe_ids(r_charge, np.zeros(kr, dtype=bool)),
        "amount": r_minor,
        "currency": labels(tuple(c.lower() for c in CURRENCIES), r_cur),
        "status": labels(("succeeded", "failed"), np.where(r_ok, 0, 1)),
        "reason": pa.compute.if_else(
            pa.array(np.arange(kr) % 2 == 0),
            pa.array(["requested_by_customer"] * kr),
            pa.nulls(kr, pa.string()),
        ),
        "created": world.landed(r_t),
    }
    refunds = Table("stripe", "refunds", rcols, r_t, np.ones(kr, dtype=bool), ("id",))
    add_rejects(world.rng, refunds, {"null_key": "id", "unknown_currency": "currency"}, ("re_x", 14))
    return charges, refunds

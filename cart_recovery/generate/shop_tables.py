"""The shop's raw tables: cart events, orders (one row per version), order lines, fulfilments, inventory
movements and product prices."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from cart_recovery.generate.arrays import labels, major_decimal, masked_decimal, prefixed, uniform_int
from cart_recovery.generate.constants import (
    CURRENCIES,
    CUTOFF,
    DAY,
    DAYS,
    INF,
    N_SKU,
    NONE,
    P_GIFT,
    P_MANUAL,
    P_PAYPAL,
    P_STRIPE_AUTHCAP,
    P_STRIPE_SALE,
    SOURCE_NAMES,
    START,
)
from cart_recovery.generate.raw_table import Table
from cart_recovery.generate.rejects import add_rejects
from cart_recovery.generate.world import World


def cart_events_table(world: World) -> Table:
    rng, n = world.rng, world.n_carts
    parts = []  # (cart index, event name, time, line index or -1)
    lines = np.arange(len(world.line_cart))
    parts.append((world.line_cart, 0, world.line_add_t, lines))
    rem = lines[world.line_removed]
    parts.append((world.line_cart[rem], 1, world.remove_t[world.line_cart[rem]], rem))
    c = np.arange(n)
    has_co = world.stage >= 1
    parts.append((c[has_co], 2, world.checkout_t[has_co], np.full(has_co.sum(), NONE)))
    has_ct = world.stage == 2
    parts.append((c[has_ct], 3, world.contact_t[has_ct], np.full(has_ct.sum(), NONE)))
    parts.append((c[world.has_ship], 4, world.ship_t[world.has_ship], np.full(world.has_ship.sum(), NONE)))
    parts.append(
        (
            c[world.has_pay_info],
            5,
            world.pay_info_t[world.has_pay_info],
            np.full(world.has_pay_info.sum(), NONE),
        )
    )
    conv = world.plan_converted
    parts.append((c[conv], 6, world.complete_t[conv], np.full(conv.sum(), NONE)))
    ret = world.return_complete_t < INF
    parts.append((c[ret], 6, world.return_complete_t[ret], np.full(ret.sum(), NONE)))
    ex = world.exact_return
    parts.append((c[ex], 2, world.abandoned_at[ex], np.full(ex.sum(), NONE)))
    cart = np.concatenate([p[0] for p in parts])
    name = np.concatenate([np.full(len(p[0]), p[1]) for p in parts])
    t = np.concatenate([p[2] for p in parts])
    line = np.concatenate([p[3] for p in parts])
    keep = t <= CUTOFF
    cart, name, t, line = cart[keep], name[keep], t[keep], line[keep]
    order = np.lexsort((name, t))
    cart, name, t, line = cart[order], name[order], t[order], line[order]
    world.kept_cart_events = {"cart": cart, "name": name, "t": t, "line": line}
    k = len(t)
    has_line = line >= 0
    li = np.where(has_line, line, 0)
    names = (
        "product_added_to_cart",
        "product_removed_from_cart",
        "checkout_started",
        "checkout_contact_info_submitted",
        "checkout_shipping_info_submitted",
        "payment_info_submitted",
        "checkout_completed",
    )
    cur = world.cur[cart]
    # contact info (email) is known from the contact step on, and always for known customers
    has_email = (name >= 3) | (world.customer_id[cart] >= 0)
    email = world.emails(cart)
    email = pa.compute.if_else(pa.array(has_email), email, pa.nulls(k, pa.string()))
    # 2 % of storefront rows carry the currency in lower case
    cur_text = labels(CURRENCIES + tuple(c.lower() for c in CURRENCIES), np.where(rng.random(k) < 0.02, cur + 4, cur))
    cols = {
        "event_id": prefixed("ev_", np.arange(k) + 1, 12),
        "cart_token": world.token.take(pa.array(cart)),
        "event_name": labels(names, name),
        "occurred_at": world.iso(t, world.off[cart]),
        "customer_id": pa.array(world.customer_id[cart], mask=world.customer_id[cart] < 0),
        "email": email,
        "sku": pa.compute.if_else(
            pa.array(has_line), labels(world.sku_names, world.line_sku[li]), pa.nulls(k, pa.string())
        ),
        "quantity": pa.array(world.line_qty[li].astype(np.int32), mask=~has_line),
        "unit_price": masked_decimal(major_decimal(world.line_price[li], cur), ~has_line),
        "currency": cur_text,
    }
    table = Table("shop", "cart_events", cols, t, np.ones(k, dtype=bool), ("event_id",))
    add_rejects(
        world.rng,
        table,
        {
            "null_key": ("event_id", "cart_token"),
            "invalid_timestamp": "occurred_at",
            "unknown_currency": "currency",
            "negative_quantity": "quantity",
        },
        ("ev_x", 12),
    )
    return table


def orders_table(world: World) -> Table:
    o, m = world.orders, world.n_orders
    T = o["t"]
    paid_at_create = (world.pay_t <= T + 21) & np.isin(world.pay, [P_STRIPE_SALE, P_PAYPAL, P_GIFT, P_MANUAL])
    status0 = np.where(world.pay == P_STRIPE_AUTHCAP, 2, np.where(paid_at_create, 3, 0))
    # versions: (order, time, financial_status code, cancelled)
    ver = [(np.arange(m), T, status0, np.zeros(m, dtype=bool))]
    late_paid = (world.pay_t < INF) & ~paid_at_create & (world.pay != P_STRIPE_AUTHCAP)
    ver.append(
        (
            np.nonzero(late_paid)[0],
            world.pay_t[late_paid],
            np.full(late_paid.sum(), 3),
            np.zeros(late_paid.sum(), dtype=bool),
        )
    )
    cap = (world.pay == P_STRIPE_AUTHCAP) & (world.capture_t < INF)
    ver.append((np.nonzero(cap)[0], world.capture_t[cap], np.full(cap.sum(), 3), np.zeros(cap.sum(), dtype=bool)))
    r1 = world.refund1_ok
    ver.append(
        (
            np.nonzero(r1)[0],
            world.refund1_t[r1],
            np.where(world.refund1_full[r1], 5, 4),
            np.zeros(r1.sum(), dtype=bool),
        )
    )
    r2 = world.refund2_t < INF
    ver.append((np.nonzero(r2)[0], world.refund2_t[r2], np.full(r2.sum(), 5), np.zeros(r2.sum(), dtype=bool)))
    cn = o["cancel"] < INF
    ver.append((np.nonzero(cn)[0], o["cancel"][cn], np.full(cn.sum(), 6), np.ones(cn.sum(), dtype=bool)))
    idx = np.concatenate([v[0] for v in ver])
    vt = np.concatenate([v[1] for v in ver])
    st = np.concatenate([v[2] for v in ver])
    cancelled = np.concatenate([v[3] for v in ver])
    keep = vt <= CUTOFF
    idx, vt, st, cancelled = idx[keep], vt[keep], st[keep], cancelled[keep]
    world.kept_order = np.zeros(m, dtype=bool)
    world.kept_order[idx] = True
    world.final_status = np.full(m, NONE)
    order = np.lexsort((vt, idx))
    idx, vt, st, cancelled = idx[order], vt[order], st[order], cancelled[order]
    last = np.ones(len(idx), dtype=bool)
    last[:-1] = idx[1:] != idx[:-1]
    world.final_status[idx[last]] = st[last]
    world.cancel_kept = np.zeros(m, dtype=bool)
    world.cancel_kept[idx[cancelled]] = True
    statuses = ("pending", "authorized", "authorized", "paid", "partially_refunded", "refunded", "voided")
    k = len(idx)
    cart = o["cart"][idx]
    has_cart = cart >= 0
    ci = np.where(has_cart, cart, 0)
    email = world.emails(ci)
    email = pa.compute.if_else(pa.array(has_cart), email, pa.nulls(k, pa.string()))
    off = o["off"][idx]
    cancel_iso = world.iso(np.where(cancelled, vt, T[idx]), off)
    cols = {
        "order_id": o["id"][idx],
        "cart_token": pa.compute.if_else(pa.array(has_cart), world.token.take(pa.array(ci)), pa.nulls(k, pa.string())),
        "customer_id": pa.array(o["customer"][idx], mask=o["customer"][idx] < 0),
        "email": email,
        "created_at": world.iso(T[idx], off),
        "updated_at": world.iso(vt, off),
        "cancelled_at": pa.compute.if_else(pa.array(cancelled), cancel_iso, pa.nulls(k, pa.string())),
        "financial_status": labels(statuses, st),
        "total_price": major_decimal(o["total"][idx], o["cur"][idx]),
        "currency": labels(CURRENCIES, o["cur"][idx]),
        "source_name": labels(SOURCE_NAMES, o["src"][idx]),
        "test": o["test"][idx],
    }
    table = Table("shop", "orders", cols, vt, last, ("order_id",))
    add_rejects(
        world.rng,
        table,
        {"null_key": "order_id", "invalid_timestamp": "created_at", "unknown_currency": "currency"},
        ("int", 9_800_000_000),
    )
    return table


def order_lines_table(world: World) -> Table:
    ol = world.order_lines
    keep = world.kept_order[ol["order"]]
    oi = ol["order"][keep]
    cur = world.orders["cur"][oi]
    k = len(oi)
    cols = {
        "order_id": world.orders["id"][oi],
        "line_number": ol["line_number"][keep].astype(np.int32),
        "sku": labels(world.sku_names, ol["sku"][keep]),
        "quantity": ol["qty"][keep].astype(np.int32),
        "unit_price": major_decimal(ol["price"][keep], cur),
    }
    table = Table(
        "shop", "order_lines", cols, world.orders["t"][oi], np.ones(k, dtype=bool), ("order_id", "line_number")
    )
    add_rejects(world.rng, table, {"null_key": "order_id", "negative_quantity": "quantity"}, ("line", 1000))
    return table


def fulfillments_table(world: World) -> Table:
    o = world.orders
    parts = [
        (np.nonzero(world.ful_cancel_t < INF)[0], 1, world.ful_cancel_t),
        (np.nonzero(world.ful_t < INF)[0], 0, world.ful_t),
    ]
    order = np.concatenate([p[0] for p in parts])
    status = np.concatenate([np.full(len(p[0]), p[1]) for p in parts])
    t = np.concatenate([p[2][p[0]] for p in parts])
    keep = t <= CUTOFF
    order, status, t = order[keep], status[keep], t[keep]
    srt = np.argsort(t, kind="stable")
    order, status, t = order[srt], status[srt], t[srt]
    world.kept_ful = dict(order=order, status=status, t=t)
    k = len(t)
    cols = {
        "fulfillment_id": 4_400_000_000 + np.arange(k) * 5 + 2,
        "order_id": o["id"][order],
        "status": labels(("success", "cancelled"), status),
        "created_at": world.iso(t, o["off"][order]),
    }
    table = Table("shop", "fulfillments", cols, t, np.ones(k, dtype=bool), ("fulfillment_id",))
    add_rejects(
        world.rng, table, {"null_key": "fulfillment_id", "invalid_timestamp": "created_at"}, ("int", 9_600_000_000)
    )
    return table


def inventory_movements_table(world: World) -> Table:
    rng, o = world.rng, world.orders
    parts = []  # (sku, delta, reason, order or -1, time)
    skus = np.arange(world.n_sku_all)
    stock = np.where(skus < N_SKU, 1_000_000, 0)
    stock[N_SKU:] = world.os_stock
    parts.append((skus, stock, 0, np.full(len(skus), NONE), np.full(len(skus), START - 10 * DAY)))
    ol = world.order_lines
    live = ~o["test"][ol["order"]]
    parts.append((ol["sku"][live], -ol["qty"][live], 1, ol["order"][live], o["t"][ol["order"]][live]))
    cn = live & (o["cancel"][ol["order"]] < INF)
    parts.append((ol["sku"][cn], ol["qty"][cn], 3, ol["order"][cn], o["cancel"][ol["order"]][cn]))
    full = live & world.refund1_full[ol["order"]]
    parts.append((ol["sku"][full], ol["qty"][full], 3, ol["order"][full], world.refund1_t[ol["order"]][full]))
    n_adj = N_SKU * 3
    parts.append(
        (
            rng.integers(0, N_SKU, n_adj),
            rng.integers(-5, 6, n_adj),
            2,
            np.full(n_adj, NONE),
            START + uniform_int(rng, 0, DAYS * DAY, n_adj),
        )
    )
    os_restock = world.os_restock_t < INF
    parts.append(
        (
            N_SKU + np.nonzero(os_restock)[0],
            np.full(os_restock.sum(), 20),
            0,
            np.full(os_restock.sum(), NONE),
            world.os_restock_t[os_restock],
        )
    )
    sku = np.concatenate([p[0] for p in parts])
    delta = np.concatenate([p[1] for p in parts]).astype(np.int64)
    reason = np.concatenate([np.full(len(p[0]), p[2]) for p in parts])
    order = np.concatenate([p[3] for p in parts])
    t = np.concatenate([p[4] for p in parts])
    keep = t <= CUTOFF
    sku, delta, reason, order, t = sku[keep], delta[keep], reason[keep], order[keep], t[keep]
    srt = np.lexsort((reason, t))
    sku, delta, reason, order, t = sku[srt], delta[srt], reason[srt], order[srt], t[srt]
    k = len(t)
    ids = 3_300_000_000 + np.arange(k) * 11 + 5
    world.kept_inv = dict(sku=sku, delta=delta, reason=reason, order=order, t=t, id=ids)
    off = np.where(order >= 0, o["off"][np.maximum(order, 0)], 4)
    cols = {
        "movement_id": ids,
        "sku": labels(world.sku_names, sku),
        "quantity_delta": delta.astype(np.int32),
        "reason": labels(("restock", "sale", "adjustment", "return"), reason),
        "order_id": pa.array(o["id"][np.maximum(order, 0)], mask=order < 0),
        "occurred_at": world.iso(t, off),
    }
    table = Table("shop", "inventory_movements", cols, t, np.ones(k, dtype=bool), ("movement_id",))
    add_rejects(
        world.rng, table, {"null_key": "movement_id", "invalid_timestamp": "occurred_at"}, ("int", 9_500_000_000)
    )
    return table


def product_prices_table(world: World) -> Table:
    skus = np.arange(world.n_sku_all)
    s0 = np.repeat(skus, 4)
    c0 = np.tile(np.arange(4), len(skus))
    t0 = np.full(len(s0), START - 30 * DAY)
    ch = world.price_change_t < INF
    s1 = np.repeat(skus[ch], 4)
    c1 = np.tile(np.arange(4), ch.sum())
    t1 = world.price_change_t[s1]
    sku = np.concatenate([s0, s1])
    cur = np.concatenate([c0, c1])
    t = np.concatenate([t0, t1])
    price = np.concatenate([world.price_base[s0, c0], world.price_new[s1, c1]])
    k = len(sku)
    cols = {
        "sku": labels(world.sku_names, sku),
        "price": major_decimal(price, cur),
        "currency": labels(CURRENCIES, cur),
        "valid_from": world.iso(t, np.full(k, 4)),
    }
    table = Table("shop", "product_prices", cols, t, np.ones(k, dtype=bool), ("sku", "currency", "valid_from"))
    add_rejects(
        world.rng,
        table,
        {"null_key": "sku", "invalid_timestamp": "valid_from", "unknown_currency": "currency"},
        None,
    )
    return table

"""Planning steps for every order (cart, POS, draft, orphan, oversell), its payments, refunds and
fulfilments: a mixin of the world (world.py), whose carts they read and whose state they extend."""

from __future__ import annotations

import numpy as np

from cart_recovery.generate.arrays import group_starts, uniform_int
from cart_recovery.generate.constants import (
    CUR_DIGITS,
    CUR_WEIGHTS,
    DAY,
    DAYS,
    DRAFT,
    HOUR,
    INF,
    N_SKU,
    NONE,
    OFFSET_MINUTES,
    P_GIFT,
    P_MANUAL,
    P_NONE,
    P_PAYPAL,
    P_STRIPE_AUTHCAP,
    P_STRIPE_SALE,
    POS,
    START,
)


class OrderPlans:
    """Mixin of `World` (world.py): reads the cart plans made there (`self.n_carts`, `self.cart_has_order`,
    `self.cur`, ...) and adds `self.orders`, `self.order_lines` and the payment plans."""

    # ---------------------------------------------------------------- every order: carts, POS, drafts
    def plan_orders(self) -> None:
        rng, n = self.rng, self.n_carts
        cart_idx = np.nonzero(self.cart_has_order)[0]
        k = len(cart_idx)
        # POS and draft orders (no cart)
        n_pos, n_draft = int(n * 0.08), int(n * 0.02)
        n_other = n_pos + n_draft
        other_t = START + rng.integers(0, DAYS, n_other) * DAY + uniform_int(rng, 12 * HOUR, 24 * HOUR, n_other)
        other_src = np.concatenate([np.full(n_pos, POS), np.full(n_draft, DRAFT)])
        other_cur = rng.choice(4, n_other, p=CUR_WEIGHTS)
        # never used (the POS/draft lines are drawn again below), but every later random number depends on this draw
        other_lines = rng.choice([1, 2, 3], n_other, p=[0.6, 0.3, 0.1])
        # orphan charges (charge_without_order); 40 % get their draft order 30-60 h later
        n_orphan = max(4, n // 500)
        self.orphan_t = START + uniform_int(rng, 0, DAYS * DAY, n_orphan)
        self.orphan_cur = rng.choice(4, n_orphan, p=CUR_WEIGHTS)
        self.orphan_minor = np.maximum(1, np.round(np.exp(rng.normal(np.log(6000), 0.6, n_orphan)))).astype(np.int64)
        self.orphan_minor = np.where(
            CUR_DIGITS[self.orphan_cur] == 0, self.orphan_minor * 150 // 100, self.orphan_minor
        )
        self.orphan_bogus_meta = rng.random(n_orphan) < 0.5
        resolves = rng.random(n_orphan) < 0.4
        self.orphan_resolve_t = np.where(
            resolves, self.orphan_t + uniform_int(rng, 30 * HOUR, 60 * HOUR, n_orphan), INF
        )
        orphan_orders = np.nonzero(resolves)[0]
        # oversell: one POS sale per dedicated low-stock SKU
        n_os = self.n_oversell
        self.os_stock = uniform_int(rng, 2, 7, n_os)
        self.os_t = START + uniform_int(rng, DAY, (DAYS - 1) * DAY, n_os)
        self.os_qty = self.os_stock + uniform_int(rng, 1, 4, n_os)
        self.os_restock_t = np.where(
            rng.random(n_os) < 0.6,
            self.os_t + self.sla["oversell"] + uniform_int(rng, 6 * HOUR, 80 * HOUR, n_os),
            INF,
        )

        m = k + n_other + len(orphan_orders) + n_os
        o = {}
        o["cart"] = np.concatenate([cart_idx, np.full(m - k, NONE)])
        o["src"] = np.concatenate(
            [self.storefront[cart_idx], other_src, np.full(len(orphan_orders), DRAFT), np.full(n_os, POS)]
        )
        o["t"] = np.concatenate([self.cart_order_t[cart_idx], other_t, self.orphan_resolve_t[orphan_orders], self.os_t])
        o["cur"] = np.concatenate(
            [
                self.cur[cart_idx],
                other_cur,
                self.orphan_cur[orphan_orders],
                rng.choice(4, n_os, p=CUR_WEIGHTS),
            ]
        )
        o["kind"] = np.concatenate(
            [
                self.cart_order_kind[cart_idx],
                np.full(n_other, 4),
                np.full(len(orphan_orders), 5),
                np.full(n_os, 6),
            ]
        )  # 4 pos/draft, 5 orphan draft, 6 oversell
        o["test"] = np.concatenate([self.cart_order_test[cart_idx], np.zeros(m - k, dtype=bool)])
        o["cancel"] = np.concatenate([self.cart_order_cancel[cart_idx], np.full(m - k, INF)])
        o["orphan"] = np.concatenate([np.full(k + n_other, NONE), orphan_orders, np.full(n_os, NONE)])
        o["os"] = np.concatenate([np.full(m - n_os, NONE), np.arange(n_os)])
        o["off"] = rng.integers(0, len(OFFSET_MINUTES), m)
        other_customer = np.where(
            rng.random(n_other) < 0.4, 7_000_000_000 + rng.integers(0, max(1, n // 3), n_other), NONE
        )
        o["customer"] = np.concatenate([self.customer_id[cart_idx], other_customer, np.full(m - k - n_other, NONE)])
        # order ids follow creation time
        order = np.argsort(o["t"], kind="stable")
        o = {key: v[order] for key, v in o.items()}
        o["id"] = 6_100_000_000 + np.arange(m) * 7 + 3
        self.orders = o
        self.n_orders = m

        # order lines: cart lines that were not removed; POS/draft lines from the catalog; orphan/oversell one line
        cart_pos = np.full(n, NONE)
        cart_pos[o["cart"][o["cart"] >= 0]] = np.nonzero(o["cart"] >= 0)[0]
        keep = ~self.line_removed & (cart_pos[self.line_cart] >= 0)
        l_order = cart_pos[self.line_cart[keep]]
        l_sku, l_qty, l_price = self.line_sku[keep], self.line_qty[keep], self.line_price[keep]
        # Half of the cart lines whose catalog price changed between the cart and the order are re-priced by the
        # storefront: the order line carries the new catalog price while the cart showed the old one (price
        # drift that only the cart price reveals).
        l_catalog = self.catalog_price(l_sku, self.cur[self.line_cart[keep]], o["t"][l_order])
        repriced = (l_catalog != l_price) & (self.extra_rng.random(len(l_price)) < 0.5)
        l_price = np.where(repriced, l_catalog, l_price)
        self.repriced_lines = int(repriced.sum())
        other_pos = np.nonzero(o["kind"] == 4)[0]
        other_n = rng.choice([1, 2, 3], len(other_pos), p=[0.6, 0.3, 0.1])
        ol_order = np.repeat(other_pos, other_n)
        ol_sku = rng.integers(0, N_SKU, len(ol_order))
        ol_qty = rng.choice([1, 2], len(ol_order), p=[0.8, 0.2]).astype(np.int64)
        ol_price = self.catalog_price(ol_sku, o["cur"][ol_order], o["t"][ol_order])
        orph_pos = np.nonzero(o["kind"] == 5)[0]
        orph_sku = rng.integers(0, N_SKU, len(orph_pos))
        orph_price = self.orphan_minor[o["orphan"][orph_pos]]
        os_pos = np.nonzero(o["kind"] == 6)[0]
        os_idx = o["os"][os_pos]
        os_sku = N_SKU + os_idx
        os_price = self.catalog_price(os_sku, o["cur"][os_pos], o["t"][os_pos])
        del other_lines
        lo = np.concatenate([l_order, ol_order, orph_pos, os_pos])
        ls = np.concatenate([l_sku, ol_sku, orph_sku, os_sku])
        lq = np.concatenate([l_qty, ol_qty, np.ones(len(orph_pos), dtype=np.int64), self.os_qty[os_idx]])
        lp = np.concatenate([l_price, ol_price, orph_price, os_price])
        order = np.argsort(lo, kind="stable")
        ol = {"order": lo[order], "sku": ls[order], "qty": lq[order], "price": lp[order]}
        counts = np.bincount(ol["order"], minlength=m)
        ol["line_number"] = np.arange(len(lo)) - np.repeat(group_starts(counts), counts) + 1
        o["total"] = np.bincount(ol["order"], weights=ol["qty"] * ol["price"], minlength=m).astype(np.int64)
        self.order_lines = ol
        self.cart_order_pos = cart_pos

    # ---------------------------------------------------------------- payments, refunds, fulfilment plans
    def plan_payments(self) -> None:
        rng, orders, n_orders = self.rng, self.orders, self.n_orders
        kind, src = orders["kind"], orders["src"]
        order_t = orders["t"]
        u_gateway = rng.random(n_orders)
        web_pay = np.where(
            u_gateway < 0.85 * 0.8,
            P_STRIPE_SALE,
            np.where(u_gateway < 0.85, P_STRIPE_AUTHCAP, np.where(u_gateway < 0.95, P_PAYPAL, P_GIFT)),
        )
        pos_pay = np.where(u_gateway < 0.6, P_STRIPE_SALE, np.where(u_gateway < 0.9, P_MANUAL, P_GIFT))
        pay = np.where(src == POS, pos_pay, np.where(src == DRAFT, P_MANUAL, web_pay))
        pay = np.where(kind == 5, P_STRIPE_SALE, pay)  # orphan drafts: the existing charge
        pay = np.where(kind == 6, P_MANUAL, pay)
        pay = np.where(orders["test"] | (orders["cancel"] < INF), P_NONE, pay)
        pay_t = np.where(
            src == DRAFT,
            order_t + uniform_int(rng, 0, 12 * HOUR, n_orders),
            order_t + uniform_int(rng, 2, 21, n_orders),
        )
        pay_t = np.where((src == POS) | (kind >= 5), order_t, pay_t)

        u_inject = rng.random(n_orders)
        conv_sale = (kind == 0) & (pay == P_STRIPE_SALE)
        inj = {}
        inj["unpaid"] = conv_sale & (u_inject < 0.015)
        inj["mismatch"] = conv_sale & (u_inject >= 0.015) & (u_inject < 0.025)
        inj["dup"] = conv_sale & (u_inject >= 0.025) & (u_inject < 0.030)
        inj["over_refund"] = conv_sale & (u_inject >= 0.030) & (u_inject < 0.033)
        inj["proc"] = conv_sale & (u_inject >= 0.033) & (u_inject < 0.038)
        inj["ful_delay"] = (kind == 0) & (pay != P_NONE) & (u_inject >= 0.038) & (u_inject < 0.058)
        inj["rec_fail"] = np.isin(kind, [1, 2]) & np.isin(pay, [P_STRIPE_SALE, P_STRIPE_AUTHCAP]) & (u_inject < 0.04)
        u_late = rng.random(n_orders)
        # unpaid: never paid (half with a failed attempt) or paid 30-60 h late
        late_unpaid = inj["unpaid"] & (u_late < 0.5)
        never = inj["unpaid"] & ~late_unpaid
        late_rec = inj["rec_fail"] & (u_late < 0.4)
        late_t = np.where(late_unpaid, order_t + uniform_int(rng, 30 * HOUR, 60 * HOUR, n_orders), INF)
        late_t = np.where(late_rec, order_t + uniform_int(rng, 3 * HOUR, 60 * HOUR, n_orders), late_t)
        self.fail_attempts = np.where(
            inj["rec_fail"], rng.choice([1, 2], n_orders), np.where(never & (u_late < 0.75), 1, 0)
        ) + np.where(
            (pay == P_STRIPE_SALE) & ~inj["unpaid"] & ~inj["rec_fail"] & (kind != 5) & (rng.random(n_orders) < 0.08),
            1,
            0,
        )
        # successful payment time (INF when never paid)
        success_t = np.where(never | (pay == P_NONE), INF, pay_t)
        success_t = np.where(inj["rec_fail"], late_t, success_t)
        success_t = np.where(late_unpaid, late_t, success_t)
        self.fail_t0 = np.where(
            inj["unpaid"] | inj["rec_fail"],
            order_t + uniform_int(rng, 2, 21, n_orders),
            pay_t - uniform_int(rng, 30, 121, n_orders),
        )
        self.pay = np.where(never & (self.fail_attempts == 0), P_NONE, pay)
        self.pay_t = success_t
        self.capture_t = np.where(
            pay == P_STRIPE_AUTHCAP, success_t + uniform_int(rng, HOUR, 20 * HOUR, n_orders), success_t
        )
        self.capture_t = np.where(success_t == INF, INF, self.capture_t)
        self.inj = inj
        # amount mismatch: 80 % a different amount, 20 % another currency (only for non-USD orders)
        self.mismatch_currency = inj["mismatch"] & (orders["cur"] != 0) & (rng.random(n_orders) < 0.4)
        delta = np.where(CUR_DIGITS[orders["cur"]] == 0, 700, 499) * np.where(rng.random(n_orders) < 0.5, 1, -1)
        self.charge_minor = np.where(
            inj["mismatch"] & ~self.mismatch_currency, np.maximum(orders["total"] + delta, 1), orders["total"]
        )
        usd_cents = (self.usd_value_times_1e10(orders["total"], orders["cur"], order_t) // 10**8).astype(np.int64)
        self.charge_minor = np.where(self.mismatch_currency, np.maximum(usd_cents, 1), self.charge_minor)
        self.charge_cur = np.where(self.mismatch_currency, 0, orders["cur"])
        self.dup_t = np.where(inj["dup"], self.pay_t + uniform_int(rng, 60, 600, n_orders), INF)
        self.proc_missing = inj["proc"] & (rng.random(n_orders) < 0.5)
        self.proc_failed = inj["proc"] & ~self.proc_missing
        self.meta_has_order = rng.random(n_orders) < 0.7
        self.meta_has_order = np.where(inj["dup"] | inj["rec_fail"], True, self.meta_has_order)
        self.meta_has_order = np.where(kind == 5, False, self.meta_has_order)

        # refunds (only on ordinary successful payments)
        paid = success_t < INF
        plain = (
            paid
            & ~inj["mismatch"]
            & ~inj["dup"]
            & ~inj["proc"]
            & np.isin(self.pay, [P_STRIPE_SALE, P_STRIPE_AUTHCAP, P_PAYPAL])
        )
        plain &= kind <= 3
        u_refund = rng.random(n_orders)
        partial = (plain & (u_refund < 0.08)) | inj["over_refund"]
        full = plain & (u_refund >= 0.08) & (u_refund < 0.10)
        failed_refund = plain & (u_refund >= 0.10) & (u_refund < 0.11)
        base_t = self.capture_t
        self.refund1_t = np.where(
            partial | full | failed_refund, base_t + uniform_int(rng, DAY, 20 * DAY, n_orders), INF
        )
        frac = rng.uniform(0.1, 0.5, n_orders)
        self.refund1_minor = np.where(
            full, self.charge_minor, np.maximum(1, (self.charge_minor * frac).astype(np.int64))
        )
        self.refund1_ok = partial | full
        self.refund1_full = full
        self.refund1_exists = partial | full | failed_refund
        self.refund2_t = np.where(inj["over_refund"], self.refund1_t + uniform_int(rng, HOUR, 48 * HOUR, n_orders), INF)
        self.refund2_minor = self.charge_minor.copy()

        # fulfilment: ordinary orders within 60 h (POS at once, after a late payment 10-60 min after it)
        ful = order_t + uniform_int(rng, 2 * HOUR, 60 * HOUR, n_orders)
        ful = np.where(src == POS, order_t + 60, ful)
        ful = np.where(success_t > order_t + 12 * HOUR, success_t + uniform_int(rng, 600, HOUR, n_orders), ful)
        delayed = inj["ful_delay"]
        late_ship = delayed & (rng.random(n_orders) < 0.6)
        ful = np.where(late_ship, order_t + uniform_int(rng, 80 * HOUR, 200 * HOUR, n_orders), ful)
        ful = np.where(delayed & ~late_ship, INF, ful)
        ful = np.where(success_t == INF, INF, ful)
        self.ful_t = ful
        cancelled_first = (ful < INF) & (src != POS) & (rng.random(n_orders) < 0.03)
        self.ful_cancel_t = np.where(cancelled_first, order_t + uniform_int(rng, HOUR, 2 * HOUR, n_orders), INF)
        self.ful_cancel_t = np.where(self.ful_cancel_t >= ful, INF, self.ful_cancel_t)

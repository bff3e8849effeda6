"""The planned world: catalog, carts, checkout journeys, recovery messages and the orders carts lead to.

`World` holds the whole plan as numpy arrays (one entry per SKU, cart, cart line or order) and is the one object
every later stage reads: the table builders (*_tables.py), the ground truth (truth.py) and the manifest. Its
planning steps run in a fixed order (`World.plan`), each adding state that the later ones read; the order-side
steps live in order_plans.py (the mixin `OrderPlans`).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from cart_recovery.generate.arrays import (
    group_starts,
    hex_tokens,
    iso_with_offset,
    sql_array,
    uniform_int,
    usd_value_times_1e10,
)
from cart_recovery.generate.constants import (
    ABANDONMENT_WINDOW,
    ATTRIBUTION_WINDOW,
    CUR_DIGITS,
    CUR_PER_USD_MINOR,
    CUR_WEIGHTS,
    CUTOFF,
    DAY,
    DAYS,
    HOUR,
    INF,
    MOBILE,
    N_SKU,
    NONE,
    OFFSET_MINUTES,
    RECOVERY_WINDOW,
    START,
    WEB,
)
from cart_recovery.generate.order_plans import OrderPlans


class World(OrderPlans):
    """The synthetic shop's planned future (~120 days from START); nothing is cut at CUTOFF yet."""

    def __init__(self, carts: int, seed: int, slas: dict[str, int], shift: int = 0):
        self.n_carts = carts
        self.rng = np.random.default_rng(seed)
        # a generator of its own for what was added to the plan later, so the draws above stay as they were
        self.extra_rng = np.random.default_rng([seed, 2])
        self.seed = seed
        self.sla = {k: v * HOUR for k, v in slas.items()}
        # The plan runs on a fixed calendar (START .. CUTOFF); `shift` seconds move every time written out, so
        # that the landed data ends at the requested as-of (generate(as_of=...)). 0 keeps the fixed calendar.
        self.shift = shift

    def iso(self, ts: np.ndarray, off: np.ndarray) -> pa.Array:
        """Planned times as landed ISO-8601 text with each row's UTC offset."""
        return iso_with_offset(np.asarray(ts, dtype=np.int64) + self.shift, off)

    def landed(self, ts: np.ndarray) -> np.ndarray:
        """Planned times as landed epoch seconds."""
        return np.asarray(ts, dtype=np.int64) + self.shift

    def usd_value_times_1e10(self, minor: np.ndarray, cur: np.ndarray, ts: np.ndarray) -> np.ndarray:
        """USD value * 1e10 at the FX rate of the landed date of the planned time ts."""
        return usd_value_times_1e10(minor, cur, ts, self.shift)

    def plan(self) -> None:
        """Run every planning step in order; all of them draw from the one random generator, so the order is
        part of the output."""
        self.plan_catalog()
        self.plan_carts()
        self.plan_messages()
        self.plan_cart_orders()
        self.plan_orders()
        self.plan_payments()

    # ---------------------------------------------------------------- catalog
    def plan_catalog(self) -> None:
        rng = self.rng
        self.n_oversell = max(3, self.n_carts // 2000)
        self.n_sku_all = N_SKU + self.n_oversell
        usd_cents = np.round(np.exp(rng.normal(np.log(3500), 0.8, self.n_sku_all))).astype(np.int64)
        usd_cents = np.clip(usd_cents, 299, 49999)
        base = np.zeros((self.n_sku_all, 4), dtype=np.int64)
        for ci in range(4):
            raw = usd_cents * CUR_PER_USD_MINOR[ci] / 100.0
            if CUR_DIGITS[ci] == 0:
                base[:, ci] = np.maximum(10, np.round(raw / 10).astype(np.int64) * 10)
            else:
                base[:, ci] = np.floor(raw / 100).astype(np.int64) * 100 + 99
        self.price_base = base
        # 5 % of regular SKUs change price once during the period, in every currency
        changes = rng.random(self.n_sku_all) < 0.05
        changes[N_SKU:] = False
        self.price_change_t = np.where(changes, START + uniform_int(rng, DAY, (DAYS - 1) * DAY, self.n_sku_all), INF)
        factor = rng.uniform(0.85, 1.15, self.n_sku_all)
        new = np.zeros_like(base)
        for ci in range(4):
            if CUR_DIGITS[ci] == 0:
                new[:, ci] = np.maximum(10, np.round(base[:, ci] * factor / 10).astype(np.int64) * 10)
            else:
                new[:, ci] = np.floor(base[:, ci] * factor / 100).astype(np.int64) * 100 + 49
        self.price_new = new
        self.sku_names = [f"SKU-{i:05d}" for i in range(self.n_sku_all)]

    def catalog_price(self, sku: np.ndarray, cur: np.ndarray, ts: np.ndarray) -> np.ndarray:
        return np.where(ts >= self.price_change_t[sku], self.price_new[sku, cur], self.price_base[sku, cur])

    # ---------------------------------------------------------------- carts
    def plan_carts(self) -> None:
        rng, n = self.rng, self.n_carts
        weekday_weight = np.array([1.0, 0.95, 0.95, 1.0, 1.1, 1.35, 1.3])  # Mon..Sun
        days = np.arange(DAYS)
        weekday = (days + 2) % 7  # 2026-07-01 is a Wednesday
        day_p = weekday_weight[weekday] * (1 + 0.25 * days / DAYS)
        hour_p = np.array([2, 1, 1, 1, 1, 2, 3, 4, 5, 6, 6, 6, 7, 8, 8, 8, 9, 10, 11, 12, 12, 10, 7, 4], dtype=float)
        day = rng.choice(DAYS, n, p=day_p / day_p.sum())
        hour = rng.choice(24, n, p=hour_p / hour_p.sum())
        self.t0 = START + day * DAY + hour * HOUR + uniform_int(rng, 0, HOUR, n)
        self.cur = rng.choice(4, n, p=CUR_WEIGHTS)
        self.off = rng.integers(0, len(OFFSET_MINUTES), n)
        self.storefront = np.where(rng.random(n) < 0.7, WEB, MOBILE)
        self.token = hex_tokens(rng, n)
        known = rng.random(n) < 0.65
        cust = rng.integers(0, max(1, n // 3), n)
        self.customer_id = np.where(known, 7_000_000_000 + cust, NONE)
        self.email_kind = np.where(known, 0, 1)  # customer<N>@ or guest<N>@
        self.email_num = np.where(known, cust, np.arange(n))
        self.email_domain = self.email_num % 3

        # lines
        line_count = rng.choice([1, 2, 3, 4], n, p=[0.4, 0.3, 0.2, 0.1])
        self.line_count = line_count
        n_lines = int(line_count.sum())
        line_cart = np.repeat(np.arange(n), line_count)
        starts = group_starts(line_count)
        line_idx = np.arange(n_lines) - np.repeat(starts, line_count)
        gaps = np.where(line_idx == 0, 0, uniform_int(rng, 20, 300, n_lines))
        cum_gaps = np.cumsum(gaps)
        self.line_cart = line_cart
        self.line_idx = line_idx
        self.line_sku = rng.integers(0, N_SKU, n_lines)
        self.line_qty = rng.choice([1, 2, 3], n_lines, p=[0.7, 0.2, 0.1]).astype(np.int64)
        self.line_add_t = self.t0[line_cart] + cum_gaps - cum_gaps[np.repeat(starts, line_count)]
        self.line_price = self.catalog_price(self.line_sku, self.cur[line_cart], self.line_add_t)
        last_add = self.line_add_t[starts + line_count - 1]
        # removals: the last line of 15 % of multi-line carts
        removes = (line_count >= 2) & (rng.random(n) < 0.15)
        self.line_removed = np.zeros(n_lines, dtype=bool)
        self.line_removed[(starts + line_count - 1)[removes]] = True
        self.remove_t = np.where(removes, last_add + uniform_int(rng, 60, 600, n), NONE)
        pre_checkout = np.maximum(last_add, self.remove_t)

        # checkout progress
        r = rng.random(n)
        self.stage = np.where(r < 0.25, 0, np.where(r < 0.35, 1, 2))
        self.checkout_t = pre_checkout + uniform_int(rng, 60, 900, n)
        self.contact_t = self.checkout_t + uniform_int(rng, 30, 300, n)
        contact = self.stage == 2
        self.plan_converted = contact & (rng.random(n) < 0.45)
        ship_gap = uniform_int(rng, 30, 900, n)
        near_window = self.plan_converted & (rng.random(n) < 0.02)
        ship_gap = np.where(near_window, ABANDONMENT_WINDOW - 1, ship_gap)  # 59:59 of silence, then completion
        self.ship_t = self.contact_t + ship_gap
        self.pay_info_t = self.ship_t + uniform_int(rng, 30, 900, n)
        self.complete_t = self.pay_info_t + uniform_int(rng, 5, 120, n)

        abandoned = contact & ~self.plan_converted
        self.plan_abandoned = abandoned
        point = rng.choice(3, n, p=[0.5, 0.3, 0.2])
        self.has_ship = self.plan_converted | (abandoned & (point >= 1))
        self.has_pay_info = self.plan_converted | (abandoned & (point >= 2))
        self.last_activity = np.where(point == 0, self.contact_t, np.where(point == 1, self.ship_t, self.pay_info_t))
        self.abandoned_at = np.where(abandoned, self.last_activity + ABANDONMENT_WINDOW, INF)
        # 2 % of abandoned carts come back exactly when the window closes (silence == window: still abandoned)
        self.exact_return = abandoned & (rng.random(n) < 0.02)

    # ---------------------------------------------------------------- recovery messages
    def plan_messages(self) -> None:
        rng, n = self.rng, self.n_carts
        abandoned = self.plan_abandoned
        abandoned_at = self.abandoned_at
        has_email = abandoned & (rng.random(n) < 0.7)
        has_sms = abandoned & (rng.random(n) < 0.3)
        stall = abandoned & (rng.random(n) < 0.04)  # the flow fires late (5 h .. 30 h)
        # emails at even, SMS at odd seconds after abandoned_at: the two never tie
        self.email_send = np.where(
            has_email,
            abandoned_at + 2 * np.where(stall, uniform_int(rng, 9000, 54000, n), uniform_int(rng, 900, 5400, n)),
            INF,
        )
        self.sms_send = np.where(
            has_sms,
            abandoned_at + 1 + 2 * np.where(stall, uniform_int(rng, 9000, 54000, n), uniform_int(rng, 450, 3600, n)),
            INF,
        )
        self.email_bounced = has_email & (rng.random(n) < 0.03)
        email_ok = has_email & ~self.email_bounced
        opened = email_ok & (rng.random(n) < 0.5)
        self.email_open = np.where(opened, self.email_send + uniform_int(rng, 60, 7200, n), INF)
        clicked = opened & (rng.random(n) < 0.5)
        self.email_click = np.where(clicked, self.email_open + uniform_int(rng, 30, 30000, n), INF)
        self.email_unsub = np.where(
            email_ok & (rng.random(n) < 0.01), self.email_send + uniform_int(rng, 60, DAY, n), INF
        )
        sms_clicked = has_sms & (rng.random(n) < 0.2)
        self.sms_click = np.where(sms_clicked, self.sms_send + uniform_int(rng, 30, 20000, n), INF)
        # decoy: a browse-abandonment email with the cart's token sent before abandoned_at (never counts)
        pre = abandoned & (rng.random(n) < 0.03)
        self.pre_send = np.where(pre, self.last_activity + uniform_int(rng, 300, 3000, n), INF)
        self.pre_click = np.where(pre & (rng.random(n) < 0.5), self.pre_send + uniform_int(rng, 10, 300, n), INF)
        self.email_ok = email_ok
        self.has_sms = has_sms

    # ---------------------------------------------------------------- orders of carts
    def plan_cart_orders(self) -> None:
        rng, n = self.rng, self.n_carts
        abandoned = self.plan_abandoned
        abandoned_at = self.abandoned_at
        e_send = np.where(self.email_ok, self.email_send, INF)
        s_send = np.where(self.has_sms, self.sms_send, INF)
        has_post = (e_send < INF) | (s_send < INF)
        latest_is_sms = np.where(s_send < INF, np.where(e_send < INF, s_send > e_send, True), False)
        latest_send = np.where(latest_is_sms, s_send, e_send)
        latest_click = np.where(latest_is_sms, self.sms_click, self.email_click)
        anchor = np.where(latest_click < INF, latest_click, latest_send)
        first_send = np.minimum(e_send, s_send)

        plan = rng.choice(3, n, p=[0.78, 0.15, 0.07])  # 0 none, 1 attributed, 2 organic
        plan = np.where(abandoned, plan, 0)
        plan = np.where((plan == 1) & ~has_post, 2, plan)
        T = np.full(n, INF)
        # attributed: after the latest message's click (else send), within the attribution window
        attr = plan == 1
        boundary = rng.random(n) < 0.01
        t_attr = anchor + np.where(boundary, ATTRIBUTION_WINDOW, uniform_int(rng, 300, ATTRIBUTION_WINDOW, n))
        T = np.where(attr, t_attr, T)
        # organic: no message at all, or the order before the first message, or beyond the attribution window
        org = plan == 2
        org_none = org & ~has_post
        t_none = abandoned_at + np.where(boundary, RECOVERY_WINDOW, uniform_int(rng, 300, RECOVERY_WINDOW, n))
        before_first = org & has_post & (rng.random(n) < 0.5)
        t_before = abandoned_at + 60 + (rng.random(n) * np.maximum(first_send - abandoned_at - 61, 1)).astype(np.int64)
        room = np.maximum(abandoned_at + RECOVERY_WINDOW - anchor - ATTRIBUTION_WINDOW, 2)
        t_beyond = anchor + ATTRIBUTION_WINDOW + 1 + (rng.random(n) * (room - 1)).astype(np.int64)
        T = np.where(org_none, t_none, np.where(before_first, t_before, np.where(org & has_post, t_beyond, T)))
        # decoys among the unrecovered: an order after the window, a cancelled order, a test order
        r = rng.random(n)
        not_recovered = abandoned & (plan == 0)
        late = not_recovered & (r < 0.06)
        cancelled = not_recovered & (r >= 0.06) & (r < 0.12)
        test = not_recovered & (r >= 0.12) & (r < 0.16)
        T = np.where(late, abandoned_at + RECOVERY_WINDOW + uniform_int(rng, HOUR, 3 * DAY, n), T)
        T = np.where(cancelled | test, abandoned_at + uniform_int(rng, HOUR, 3 * DAY, n), T)
        self.recovery_plan = plan
        self.recovery_channel_sms = latest_is_sms
        # converted carts order a few seconds after checkout_completed
        T = np.where(self.plan_converted, self.complete_t + uniform_int(rng, 1, 6, n), T)
        cancel_t = np.where(cancelled, T + uniform_int(rng, HOUR, 6 * HOUR, n), INF)
        # a decoy whose cancellation would fall after the cut would be a live order (a real recovery) as of
        # the data: such carts place no order at all
        uncancelled = cancelled & (cancel_t > CUTOFF)
        T = np.where(uncancelled, INF, T)
        has_order = T < INF
        self.cart_order_t = T
        self.cart_order_cancel = np.where(uncancelled, INF, cancel_t)
        self.cart_order_test = test
        # the completion event of a returning cart, a few seconds before its order
        self.return_complete_t = np.where(has_order & abandoned, T - uniform_int(rng, 3, 31, n), INF)
        self.cart_has_order = has_order
        # kind: 0 converted, 1 recovered attributed, 2 recovered organic, 3 decoy
        self.cart_order_kind = np.where(self.plan_converted, 0, np.where(attr, 1, np.where(org, 2, 3)))

        # price drift injected into carts: one line shows a stale cart price (3 % of recovered, 3 % of converted)
        drift = has_order & (self.cart_order_kind <= 2) & (rng.random(n) < 0.03)
        first_line = group_starts(self.line_count)
        idx = first_line[drift]
        cur = self.cur[self.line_cart[idx]]
        p = self.line_price[idx]
        self.line_price[idx] = np.where(CUR_DIGITS[cur] == 0, np.maximum(p - 100, 10), np.maximum(p - p // 10, 1))

    def emails(self, carts: np.ndarray) -> pa.Array:
        """The carts' emails as people type them: mixed case, stray spaces."""
        return self.typed_emails(self.email_kind[carts], self.email_num[carts])

    def typed_emails(self, kind: np.ndarray, num: np.ndarray, rng: np.random.Generator | None = None) -> pa.Array:
        """Emails of (kind, num) as typed, each drawn from `rng` (the world's generator by default)."""
        variant = (self.rng if rng is None else rng).choice(5, len(kind), p=[0.6, 0.1, 0.15, 0.1, 0.05])
        base = (
            "case when k = 0 then 'customer' else 'guest' end || num::varchar || '@'"
            " || ['example.com', 'Mail.Example.org', 'shop.example.net'][num % 3 + 1]"
        )
        expr = (
            f"case v when 1 then upper({base}) when 2 then upper(({base})[1]) || ({base})[2:]"
            f" when 3 then '  ' || {base} || ' ' when 4 then {base} || chr(9) else {base} end"
        )
        return sql_array(expr, k=kind.astype(np.int8), num=num.astype(np.int64), v=variant.astype(np.int8))

"""Landing-data generator with ground truth.

Writes every raw table of SPEC §3 as Parquet part files under ``out/<system>/<table>/part-*.parquet`` and a
ground-truth manifest (``out/manifest.json`` plus per-cart outcomes and exception instances as Parquet under
``out/manifest/``).

How it works: the generator first plans a whole "future" of ~120 days (carts, orders, payments, messages...),
then cuts it at ``CUTOFF``: nothing after the cut has happened yet. ``as_of`` is the newest event time that survived
the cut. Every ground-truth figure is then derived from the planned timelines and the kept rows with the rules of
SPEC §4/§6 as documented in ``docs``-style comments below (and in the README), so later models can be checked
against it. Everything is vectorised with numpy; the only per-row work happens inside DuckDB (timestamp text).
"""

from __future__ import annotations

import binascii
import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from cart_recovery import fx

# --------------------------------------------------------------------------------------------------------------
# calendar and parameters (SPEC §4 defaults; the exception SLAs come from seeds/exception_rules.csv)
# --------------------------------------------------------------------------------------------------------------
START = 1782864000  # 2026-07-01T00:00:00Z
DAYS = 120
CUTOFF = START + DAYS * 86400  # 2026-10-29T00:00:00Z: events after this have not happened yet
HOUR = 3600
DAY = 86400
INF = np.iinfo(np.int64).max // 4
NONE = -1

ABANDONMENT_WINDOW = 60 * 60
RECOVERY_WINDOW = 7 * DAY
ATTRIBUTION_WINDOW = 120 * HOUR
HIGH_VALUE_CART_USD = 200
RULES_CSV = Path(__file__).resolve().parent.parent / "seeds" / "exception_rules.csv"

CURRENCIES = fx.CURRENCIES  # USD EUR GBP JPY
CUR_DIGITS = np.array([fx.MINOR_DIGITS[c] for c in CURRENCIES])
CUR_WEIGHTS = [0.55, 0.20, 0.15, 0.10]
# price of 1 USD in each currency's minor unit, used only to derive list prices
CUR_PER_USD_MINOR = np.array([100.0, 92.0, 79.0, 150.0])

OFFSET_MINUTES = np.array([-480, -420, -300, -240, 0, 60, 120, 330, 540], dtype=np.int64)
N_SKU = 400
REJECT_RATE = 0.003
REDELIVERY_RATE = 0.02

SOURCE_NAMES = ("web", "mobile_app", "pos", "draft")
WEB, MOBILE, POS, DRAFT = range(4)
# payment kinds
P_NONE, P_STRIPE_SALE, P_STRIPE_AUTHCAP, P_PAYPAL, P_GIFT, P_MANUAL = range(6)
GATEWAY_OF = {P_STRIPE_SALE: "stripe", P_STRIPE_AUTHCAP: "stripe", P_PAYPAL: "paypal", P_GIFT: "gift_card"}
GATEWAY_OF[P_MANUAL] = "manual"
GATEWAYS = ("stripe", "paypal", "manual", "gift_card")

INVALID_TIMESTAMPS = [
    "2026-07-03 10:15:00",
    "2026-07-03T10:15:00",
    "03/07/2026 10:15",
    "yesterday",
    "2026-13-45T25:61:00+00:00",
    "",
]
UNKNOWN_CURRENCIES = ["XXX", "ZZZ", "US", "EURO"]


def load_slas(path: Path = RULES_CSV) -> dict[str, int]:
    lines = path.read_text().strip().splitlines()
    header = lines[0].split(",")
    i_type, i_sla = header.index("exception_type"), header.index("sla_hours")
    slas = {}
    for line in lines[1:]:
        cells = line.split(",")
        slas[cells[i_type]] = int(cells[i_sla])
    return slas


# --------------------------------------------------------------------------------------------------------------
# small vectorised helpers
# --------------------------------------------------------------------------------------------------------------
def uniform_int(rng: np.random.Generator, lo: int, hi: int, n: int) -> np.ndarray:
    """Integers in [lo, hi)."""
    return rng.integers(lo, hi, n, dtype=np.int64)


_DUCK: list[duckdb.DuckDBPyConnection] = []


def sql_array(expr: str, **columns: np.ndarray | pa.Array) -> pa.Array:
    """Evaluate one SQL expression over equally long columns in DuckDB (fast, multi-threaded string work)."""
    if not _DUCK:
        _DUCK.append(duckdb.connect(config={"threads": 2}))
    con = _DUCK[0]
    con.register("cols", pa.table(columns))
    try:
        return con.sql(f"select {expr} as v from cols").to_arrow_table().column(0).combine_chunks()
    finally:
        con.unregister("cols")


def hex_tokens(rng: np.random.Generator, n: int, nbytes: int = 16) -> pa.Array:
    raw = binascii.hexlify(rng.bytes(n * nbytes))
    tokens = pa.array(np.frombuffer(raw, dtype=f"S{2 * nbytes}")).cast(pa.string())
    return tokens.combine_chunks() if isinstance(tokens, pa.ChunkedArray) else tokens


def prefixed(prefix: str, numbers: np.ndarray, width: int = 10) -> pa.Array:
    return sql_array(f"'{prefix}' || lpad(n::varchar, {width}, '0')", n=np.asarray(numbers, dtype=np.int64))


def stripe_ids(ids: np.ndarray, is_refund: np.ndarray) -> pa.Array:
    """Text Stripe ids (ch_/re_ + 14 digits) from integer ids; NONE gives null."""
    return sql_array(
        "case when i < 0 then null else (case when r then 're_' else 'ch_' end) || lpad(i::varchar, 14, '0') end",
        i=np.asarray(ids, dtype=np.int64),
        r=np.asarray(is_refund, dtype=bool),
    )


def _cat(rows: list[dict], key: str) -> np.ndarray:
    """Concatenate one field of several row groups, broadcasting scalars to each group's length."""
    return np.concatenate([np.broadcast_to(np.asarray(r[key]), len(r["order"])) for r in rows]).astype(np.int64)


def labels(values: tuple[str, ...] | list[str], idx: np.ndarray) -> pa.Array:
    return pa.array(list(values), pa.string()).take(pa.array(np.asarray(idx, dtype=np.int64)))


def decimal_array(unscaled: np.ndarray, scale: int = 2, precision: int = 18) -> pa.Array:
    """DECIMAL(precision, scale) array from integer unscaled values (value * 10**scale)."""
    unscaled = np.ascontiguousarray(unscaled, dtype=np.int64)
    words = np.empty(2 * len(unscaled), dtype=np.int64)
    words[0::2] = unscaled
    words[1::2] = unscaled >> 63
    return pa.Array.from_buffers(pa.decimal128(precision, scale), len(unscaled), [None, pa.py_buffer(words.tobytes())])


def major_decimal(minor: np.ndarray, cur: np.ndarray) -> pa.Array:
    """DECIMAL(18,2) major units from minor units of each row's currency (JPY has no minor unit)."""
    return decimal_array(minor * 10 ** (2 - CUR_DIGITS[cur]))


def group_starts(counts: np.ndarray) -> np.ndarray:
    return np.cumsum(counts) - counts


def rate8_on(cur: np.ndarray, ts: np.ndarray) -> np.ndarray:
    table = fx.rate8_table()
    day = (ts - _fx_epoch()) // DAY
    return table[cur, day]


def _fx_epoch() -> int:
    import datetime as dt

    return int(dt.datetime(fx.FX_START.year, fx.FX_START.month, fx.FX_START.day, tzinfo=dt.UTC).timestamp())


def usd_e10(minor: np.ndarray, cur: np.ndarray, ts: np.ndarray) -> np.ndarray:
    """Exact USD value * 1e10 of an amount in minor units converted at the rate of the UTC date of ts."""
    return minor * 10 ** (2 - CUR_DIGITS[cur]) * rate8_on(cur, ts)


@dataclass
class Table:
    """Rows of one raw table before landing: columns plus what landing needs to know."""

    system: str
    name: str
    columns: dict[str, np.ndarray | pa.Array]
    event_time: np.ndarray  # drives _loaded_at
    is_final: np.ndarray  # the newest version of its key (only those are redelivered)
    key_columns: tuple[str, ...]
    rejected: dict[str, dict[str, np.ndarray | pa.Array]] = field(default_factory=dict)
    rejected_time: dict[str, np.ndarray] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------------------------
# the generator
# --------------------------------------------------------------------------------------------------------------
class _World:
    def __init__(self, carts: int, seed: int, slas: dict[str, int]):
        self.n = carts
        self.rng = np.random.default_rng(seed)
        self.seed = seed
        self.sla = {k: v * HOUR for k, v in slas.items()}

    # ---------------------------------------------------------------- catalog
    def catalog(self) -> None:
        rng = self.rng
        self.n_oversell = max(3, self.n // 2000)
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
    def carts(self) -> None:
        rng, n = self.rng, self.n
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
        nl = rng.choice([1, 2, 3, 4], n, p=[0.4, 0.3, 0.2, 0.1])
        self.line_count = nl
        L = int(nl.sum())
        lc = np.repeat(np.arange(n), nl)
        starts = group_starts(nl)
        lidx = np.arange(L) - np.repeat(starts, nl)
        gaps = np.where(lidx == 0, 0, uniform_int(rng, 20, 300, L))
        cs = np.cumsum(gaps)
        self.line_cart = lc
        self.line_idx = lidx
        self.line_sku = rng.integers(0, N_SKU, L)
        self.line_qty = rng.choice([1, 2, 3], L, p=[0.7, 0.2, 0.1]).astype(np.int64)
        self.line_add_t = self.t0[lc] + cs - cs[np.repeat(starts, nl)]
        self.line_price = self.catalog_price(self.line_sku, self.cur[lc], self.line_add_t)
        last_add = self.line_add_t[starts + nl - 1]
        # removals: the last line of 15 % of multi-line carts
        removes = (nl >= 2) & (rng.random(n) < 0.15)
        self.line_removed = np.zeros(L, dtype=bool)
        self.line_removed[(starts + nl - 1)[removes]] = True
        self.remove_t = np.where(removes, last_add + uniform_int(rng, 60, 600, n), NONE)
        pre_checkout = np.maximum(last_add, self.remove_t)

        # checkout progress
        r = rng.random(n)
        self.stage = np.where(r < 0.25, 0, np.where(r < 0.35, 1, 2))
        self.checkout_t = pre_checkout + uniform_int(rng, 60, 900, n)
        self.contact_t = self.checkout_t + uniform_int(rng, 30, 300, n)
        contact = self.stage == 2
        self.plan_converted = contact & (rng.random(n) < 0.45)
        g1 = uniform_int(rng, 30, 900, n)
        near_window = self.plan_converted & (rng.random(n) < 0.02)
        g1 = np.where(near_window, ABANDONMENT_WINDOW - 1, g1)  # 59:59 of silence, then completion
        self.ship_t = self.contact_t + g1
        self.pay_info_t = self.ship_t + uniform_int(rng, 30, 900, n)
        self.complete_t = self.pay_info_t + uniform_int(rng, 5, 120, n)

        ab = contact & ~self.plan_converted
        self.plan_abandoned = ab
        point = rng.choice(3, n, p=[0.5, 0.3, 0.2])
        self.has_ship = self.plan_converted | (ab & (point >= 1))
        self.has_pay_info = self.plan_converted | (ab & (point >= 2))
        self.last_activity = np.where(point == 0, self.contact_t, np.where(point == 1, self.ship_t, self.pay_info_t))
        self.abandoned_at = np.where(ab, self.last_activity + ABANDONMENT_WINDOW, INF)
        # 2 % of abandoned carts come back exactly when the window closes (silence == window: still abandoned)
        self.exact_return = ab & (rng.random(n) < 0.02)

    # ---------------------------------------------------------------- recovery messages
    def messages(self) -> None:
        rng, n = self.rng, self.n
        ab = self.plan_abandoned
        A = self.abandoned_at
        has_email = ab & (rng.random(n) < 0.7)
        has_sms = ab & (rng.random(n) < 0.3)
        stall = ab & (rng.random(n) < 0.04)  # the flow fires late (5 h .. 30 h)
        # emails at even, SMS at odd seconds after abandoned_at: the two never tie
        self.email_send = np.where(
            has_email,
            A + 2 * np.where(stall, uniform_int(rng, 9000, 54000, n), uniform_int(rng, 900, 5400, n)),
            INF,
        )
        self.sms_send = np.where(
            has_sms,
            A + 1 + 2 * np.where(stall, uniform_int(rng, 9000, 54000, n), uniform_int(rng, 450, 3600, n)),
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
        pre = ab & (rng.random(n) < 0.03)
        self.pre_send = np.where(pre, self.last_activity + uniform_int(rng, 300, 3000, n), INF)
        self.pre_click = np.where(pre & (rng.random(n) < 0.5), self.pre_send + uniform_int(rng, 10, 300, n), INF)
        self.email_ok = email_ok
        self.has_sms = has_sms

    # ---------------------------------------------------------------- orders of carts
    def cart_orders(self) -> None:
        rng, n = self.rng, self.n
        ab = self.plan_abandoned
        A = self.abandoned_at
        e_send = np.where(self.email_ok, self.email_send, INF)
        s_send = np.where(self.has_sms, self.sms_send, INF)
        has_post = (e_send < INF) | (s_send < INF)
        latest_is_sms = np.where(s_send < INF, np.where(e_send < INF, s_send > e_send, True), False)
        latest_send = np.where(latest_is_sms, s_send, e_send)
        latest_click = np.where(latest_is_sms, self.sms_click, self.email_click)
        anchor = np.where(latest_click < INF, latest_click, latest_send)
        first_send = np.minimum(e_send, s_send)

        plan = rng.choice(3, n, p=[0.78, 0.15, 0.07])  # 0 none, 1 attributed, 2 organic
        plan = np.where(ab, plan, 0)
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
        t_none = A + np.where(boundary, RECOVERY_WINDOW, uniform_int(rng, 300, RECOVERY_WINDOW, n))
        before_first = org & has_post & (rng.random(n) < 0.5)
        t_before = A + 60 + (rng.random(n) * np.maximum(first_send - A - 61, 1)).astype(np.int64)
        room = np.maximum(A + RECOVERY_WINDOW - anchor - ATTRIBUTION_WINDOW, 2)
        t_beyond = anchor + ATTRIBUTION_WINDOW + 1 + (rng.random(n) * (room - 1)).astype(np.int64)
        T = np.where(org_none, t_none, np.where(before_first, t_before, np.where(org & has_post, t_beyond, T)))
        # decoys among the unrecovered: an order after the window, a cancelled order, a test order
        r = rng.random(n)
        none_ab = ab & (plan == 0)
        late = none_ab & (r < 0.06)
        cancelled = none_ab & (r >= 0.06) & (r < 0.12)
        test = none_ab & (r >= 0.12) & (r < 0.16)
        T = np.where(late, A + RECOVERY_WINDOW + uniform_int(rng, HOUR, 3 * DAY, n), T)
        T = np.where(cancelled | test, A + uniform_int(rng, HOUR, 3 * DAY, n), T)
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
        self.return_complete_t = np.where(has_order & ab, T - uniform_int(rng, 3, 31, n), INF)
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

    # ---------------------------------------------------------------- every order: carts, POS, drafts
    def orders(self) -> None:
        rng, n = self.rng, self.n
        cart_idx = np.nonzero(self.cart_has_order)[0]
        k = len(cart_idx)
        # POS and draft orders (no cart)
        n_pos, n_draft = int(n * 0.08), int(n * 0.02)
        n_other = n_pos + n_draft
        other_t = START + rng.integers(0, DAYS, n_other) * DAY + uniform_int(rng, 12 * HOUR, 24 * HOUR, n_other)
        other_src = np.concatenate([np.full(n_pos, POS), np.full(n_draft, DRAFT)])
        other_cur = rng.choice(4, n_other, p=CUR_WEIGHTS)
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
        self.o = o
        self.m = m

        # order lines: cart lines that were not removed; POS/draft lines from the catalog; orphan/oversell one line
        cart_pos = np.full(n, NONE)
        cart_pos[o["cart"][o["cart"] >= 0]] = np.nonzero(o["cart"] >= 0)[0]
        keep = ~self.line_removed & (cart_pos[self.line_cart] >= 0)
        l_order = cart_pos[self.line_cart[keep]]
        l_sku, l_qty, l_price = self.line_sku[keep], self.line_qty[keep], self.line_price[keep]
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
        self.ol = {"order": lo[order], "sku": ls[order], "qty": lq[order], "price": lp[order]}
        counts = np.bincount(self.ol["order"], minlength=m)
        self.ol["line_number"] = np.arange(len(lo)) - np.repeat(group_starts(counts), counts) + 1
        o["total"] = np.bincount(self.ol["order"], weights=self.ol["qty"] * self.ol["price"], minlength=m).astype(
            np.int64
        )
        self.cart_order_pos = cart_pos

    # ---------------------------------------------------------------- payments, refunds, fulfilment plans
    def payment_plans(self) -> None:
        rng, o, m = self.rng, self.o, self.m
        kind, src = o["kind"], o["src"]
        T = o["t"]
        u = rng.random(m)
        web_pay = np.where(
            u < 0.85 * 0.8,
            P_STRIPE_SALE,
            np.where(u < 0.85, P_STRIPE_AUTHCAP, np.where(u < 0.95, P_PAYPAL, P_GIFT)),
        )
        pos_pay = np.where(u < 0.6, P_STRIPE_SALE, np.where(u < 0.9, P_MANUAL, P_GIFT))
        pay = np.where(src == POS, pos_pay, np.where(src == DRAFT, P_MANUAL, web_pay))
        pay = np.where(kind == 5, P_STRIPE_SALE, pay)  # orphan drafts: the existing charge
        pay = np.where(kind == 6, P_MANUAL, pay)
        pay = np.where(o["test"] | (o["cancel"] < INF), P_NONE, pay)
        pay_t = np.where(src == DRAFT, T + uniform_int(rng, 0, 12 * HOUR, m), T + uniform_int(rng, 2, 21, m))
        pay_t = np.where((src == POS) | (kind >= 5), T, pay_t)

        v = rng.random(m)
        conv_sale = (kind == 0) & (pay == P_STRIPE_SALE)
        inj = {}
        inj["unpaid"] = conv_sale & (v < 0.015)
        inj["mismatch"] = conv_sale & (v >= 0.015) & (v < 0.025)
        inj["dup"] = conv_sale & (v >= 0.025) & (v < 0.030)
        inj["over_refund"] = conv_sale & (v >= 0.030) & (v < 0.033)
        inj["proc"] = conv_sale & (v >= 0.033) & (v < 0.038)
        inj["ful_delay"] = (kind == 0) & (pay != P_NONE) & (v >= 0.038) & (v < 0.058)
        inj["rec_fail"] = np.isin(kind, [1, 2]) & np.isin(pay, [P_STRIPE_SALE, P_STRIPE_AUTHCAP]) & (v < 0.04)
        w = rng.random(m)
        # unpaid: never paid (half with a failed attempt) or paid 30-60 h late
        late_unpaid = inj["unpaid"] & (w < 0.5)
        never = inj["unpaid"] & ~late_unpaid
        late_rec = inj["rec_fail"] & (w < 0.4)
        late_t = np.where(late_unpaid, T + uniform_int(rng, 30 * HOUR, 60 * HOUR, m), INF)
        late_t = np.where(late_rec, T + uniform_int(rng, 3 * HOUR, 60 * HOUR, m), late_t)
        self.fail_attempts = np.where(
            inj["rec_fail"], rng.choice([1, 2], m), np.where(never & (w < 0.75), 1, 0)
        ) + np.where(
            (pay == P_STRIPE_SALE) & ~inj["unpaid"] & ~inj["rec_fail"] & (kind != 5) & (rng.random(m) < 0.08),
            1,
            0,
        )
        # successful payment time (INF when never paid)
        success_t = np.where(never | (pay == P_NONE), INF, pay_t)
        success_t = np.where(inj["rec_fail"], late_t, success_t)
        success_t = np.where(late_unpaid, late_t, success_t)
        self.fail_t0 = np.where(
            inj["unpaid"] | inj["rec_fail"],
            T + uniform_int(rng, 2, 21, m),
            pay_t - uniform_int(rng, 30, 121, m),
        )
        self.pay = np.where(never & (self.fail_attempts == 0), P_NONE, pay)
        self.pay_t = success_t
        self.capture_t = np.where(pay == P_STRIPE_AUTHCAP, success_t + uniform_int(rng, HOUR, 20 * HOUR, m), success_t)
        self.capture_t = np.where(success_t == INF, INF, self.capture_t)
        self.inj = inj
        # amount mismatch: 80 % a different amount, 20 % another currency (only for non-USD orders)
        self.mismatch_currency = inj["mismatch"] & (o["cur"] != 0) & (rng.random(m) < 0.4)
        delta = np.where(CUR_DIGITS[o["cur"]] == 0, 700, 499) * np.where(rng.random(m) < 0.5, 1, -1)
        self.charge_minor = np.where(
            inj["mismatch"] & ~self.mismatch_currency, np.maximum(o["total"] + delta, 1), o["total"]
        )
        usd_cents = (o["total"] * 10 ** (2 - CUR_DIGITS[o["cur"]]) * rate8_on(o["cur"], T) // 10**8).astype(np.int64)
        self.charge_minor = np.where(self.mismatch_currency, np.maximum(usd_cents, 1), self.charge_minor)
        self.charge_cur = np.where(self.mismatch_currency, 0, o["cur"])
        self.dup_t = np.where(inj["dup"], self.pay_t + uniform_int(rng, 60, 600, m), INF)
        self.proc_missing = inj["proc"] & (rng.random(m) < 0.5)
        self.proc_failed = inj["proc"] & ~self.proc_missing
        self.meta_has_order = rng.random(m) < 0.7
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
        r = rng.random(m)
        partial = (plain & (r < 0.08)) | inj["over_refund"]
        full = plain & (r >= 0.08) & (r < 0.10)
        failed_refund = plain & (r >= 0.10) & (r < 0.11)
        base_t = self.capture_t
        self.refund1_t = np.where(partial | full | failed_refund, base_t + uniform_int(rng, DAY, 20 * DAY, m), INF)
        frac = rng.uniform(0.1, 0.5, m)
        self.refund1_minor = np.where(
            full, self.charge_minor, np.maximum(1, (self.charge_minor * frac).astype(np.int64))
        )
        self.refund1_ok = partial | full
        self.refund1_full = full
        self.refund1_exists = partial | full | failed_refund
        self.refund2_t = np.where(inj["over_refund"], self.refund1_t + uniform_int(rng, HOUR, 48 * HOUR, m), INF)
        self.refund2_minor = self.charge_minor.copy()

        # fulfilment: ordinary orders within 60 h (POS at once, after a late payment 10-60 min after it)
        ful = T + uniform_int(rng, 2 * HOUR, 60 * HOUR, m)
        ful = np.where(src == POS, T + 60, ful)
        ful = np.where(success_t > T + 12 * HOUR, success_t + uniform_int(rng, 600, HOUR, m), ful)
        delayed = inj["ful_delay"]
        late_ship = delayed & (rng.random(m) < 0.6)
        ful = np.where(late_ship, T + uniform_int(rng, 80 * HOUR, 200 * HOUR, m), ful)
        ful = np.where(delayed & ~late_ship, INF, ful)
        ful = np.where(success_t == INF, INF, ful)
        self.ful_t = ful
        cancelled_first = (ful < INF) & (src != POS) & (rng.random(m) < 0.03)
        self.ful_cancel_t = np.where(cancelled_first, T + uniform_int(rng, HOUR, 2 * HOUR, m), INF)
        self.ful_cancel_t = np.where(self.ful_cancel_t >= ful, INF, self.ful_cancel_t)

    # ---------------------------------------------------------------- build raw rows
    def build_tables(self) -> Iterator[tuple[str, Table]]:
        """Raw tables one at a time, so each can be landed (and freed) before the next is built."""
        yield "shop.cart_events", self._cart_events()
        yield "shop.orders", self._orders()
        yield "shop.order_lines", self._order_lines()
        tx, ch, rf = self._payments()
        yield "shop.transactions", tx
        del tx
        yield "stripe.charges", ch
        del ch
        yield "stripe.refunds", rf
        del rf
        yield "shop.fulfillments", self._fulfillments()
        yield "shop.inventory_movements", self._inventory()
        yield "shop.product_prices", self._product_prices()
        yield "messaging.events", self._messaging()

    def iso(self, ts: np.ndarray, off: np.ndarray) -> pa.Array:
        """ISO-8601 local time with the row's UTC offset, e.g. 2026-07-03T06:15:00-04:00 (formatted in DuckDB)."""
        return sql_array(
            "strftime(make_timestamp((t + o * 60) * 1000000), '%Y-%m-%dT%H:%M:%S')"
            " || case when o < 0 then '-' else '+' end"
            " || lpad((abs(o) // 60)::varchar, 2, '0') || ':' || lpad((abs(o) % 60)::varchar, 2, '0')",
            t=np.asarray(ts, dtype=np.int64),
            o=OFFSET_MINUTES[off],
        )

    def emails(self, carts: np.ndarray) -> pa.Array:
        """The carts' emails as people type them: mixed case, stray spaces."""
        return self.typed_emails(self.email_kind[carts], self.email_num[carts])

    def typed_emails(self, kind: np.ndarray, num: np.ndarray) -> pa.Array:
        variant = self.rng.choice(5, len(kind), p=[0.6, 0.1, 0.15, 0.1, 0.05])
        base = (
            "case when k = 0 then 'customer' else 'guest' end || num::varchar || '@'"
            " || ['example.com', 'Mail.Example.org', 'shop.example.net'][num % 3 + 1]"
        )
        expr = (
            f"case v when 1 then upper({base}) when 2 then upper(({base})[1]) || ({base})[2:]"
            f" when 3 then '  ' || {base} || ' ' when 4 then {base} || chr(9) else {base} end"
        )
        return sql_array(expr, k=kind.astype(np.int8), num=num.astype(np.int64), v=variant.astype(np.int8))

    def _cart_events(self) -> Table:
        rng, n = self.rng, self.n
        parts = []  # (cart index, event name, time, line index or -1)
        lines = np.arange(len(self.line_cart))
        parts.append((self.line_cart, 0, self.line_add_t, lines))
        rem = lines[self.line_removed]
        parts.append((self.line_cart[rem], 1, self.remove_t[self.line_cart[rem]], rem))
        c = np.arange(n)
        has_co = self.stage >= 1
        parts.append((c[has_co], 2, self.checkout_t[has_co], np.full(has_co.sum(), NONE)))
        has_ct = self.stage == 2
        parts.append((c[has_ct], 3, self.contact_t[has_ct], np.full(has_ct.sum(), NONE)))
        parts.append((c[self.has_ship], 4, self.ship_t[self.has_ship], np.full(self.has_ship.sum(), NONE)))
        parts.append(
            (
                c[self.has_pay_info],
                5,
                self.pay_info_t[self.has_pay_info],
                np.full(self.has_pay_info.sum(), NONE),
            )
        )
        conv = self.plan_converted
        parts.append((c[conv], 6, self.complete_t[conv], np.full(conv.sum(), NONE)))
        ret = self.return_complete_t < INF
        parts.append((c[ret], 6, self.return_complete_t[ret], np.full(ret.sum(), NONE)))
        ex = self.exact_return
        parts.append((c[ex], 2, self.abandoned_at[ex], np.full(ex.sum(), NONE)))
        cart = np.concatenate([p[0] for p in parts])
        name = np.concatenate([np.full(len(p[0]), p[1]) for p in parts])
        t = np.concatenate([p[2] for p in parts])
        line = np.concatenate([p[3] for p in parts])
        keep = t <= CUTOFF
        cart, name, t, line = cart[keep], name[keep], t[keep], line[keep]
        order = np.lexsort((name, t))
        cart, name, t, line = cart[order], name[order], t[order], line[order]
        self.kept_cart_events = {"cart": cart, "name": name, "t": t, "line": line}
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
        cur = self.cur[cart]
        # contact info (email) is known from the contact step on, and always for known customers
        has_email = (name >= 3) | (self.customer_id[cart] >= 0)
        email = self.emails(cart)
        email = pa.compute.if_else(pa.array(has_email), email, pa.nulls(k, pa.string()))
        # 2 % of storefront rows carry the currency in lower case
        cur_text = labels(
            CURRENCIES + tuple(c.lower() for c in CURRENCIES), np.where(rng.random(k) < 0.02, cur + 4, cur)
        )
        cols = {
            "event_id": prefixed("ev_", np.arange(k) + 1, 12),
            "cart_token": self.token.take(pa.array(cart)),
            "event_name": labels(names, name),
            "occurred_at": self.iso(t, self.off[cart]),
            "customer_id": pa.array(self.customer_id[cart], mask=self.customer_id[cart] < 0),
            "email": email,
            "sku": pa.compute.if_else(
                pa.array(has_line), labels(self.sku_names, self.line_sku[li]), pa.nulls(k, pa.string())
            ),
            "quantity": pa.array(self.line_qty[li].astype(np.int32), mask=~has_line),
            "unit_price": _masked_decimal(major_decimal(self.line_price[li], cur), ~has_line),
            "currency": cur_text,
        }
        table = Table("shop", "cart_events", cols, t, np.ones(k, dtype=bool), ("event_id",))
        self._reject(
            table,
            {
                "null_key": "event_id",
                "invalid_timestamp": "occurred_at",
                "unknown_currency": "currency",
                "negative_quantity": "quantity",
            },
            ("ev_x", 12),
        )
        return table

    # ---------------------------------------------------------------- orders (one row per version)
    def _orders(self) -> Table:
        o, m = self.o, self.m
        T = o["t"]
        paid_at_create = (self.pay_t <= T + 21) & np.isin(self.pay, [P_STRIPE_SALE, P_PAYPAL, P_GIFT, P_MANUAL])
        status0 = np.where(self.pay == P_STRIPE_AUTHCAP, 2, np.where(paid_at_create, 3, 0))
        # versions: (order, time, financial_status code, cancelled)
        ver = [(np.arange(m), T, status0, np.zeros(m, dtype=bool))]
        late_paid = (self.pay_t < INF) & ~paid_at_create & (self.pay != P_STRIPE_AUTHCAP)
        ver.append(
            (
                np.nonzero(late_paid)[0],
                self.pay_t[late_paid],
                np.full(late_paid.sum(), 3),
                np.zeros(late_paid.sum(), dtype=bool),
            )
        )
        cap = (self.pay == P_STRIPE_AUTHCAP) & (self.capture_t < INF)
        ver.append((np.nonzero(cap)[0], self.capture_t[cap], np.full(cap.sum(), 3), np.zeros(cap.sum(), dtype=bool)))
        r1 = self.refund1_ok
        ver.append(
            (
                np.nonzero(r1)[0],
                self.refund1_t[r1],
                np.where(self.refund1_full[r1], 5, 4),
                np.zeros(r1.sum(), dtype=bool),
            )
        )
        r2 = self.refund2_t < INF
        ver.append((np.nonzero(r2)[0], self.refund2_t[r2], np.full(r2.sum(), 5), np.zeros(r2.sum(), dtype=bool)))
        cn = o["cancel"] < INF
        ver.append((np.nonzero(cn)[0], o["cancel"][cn], np.full(cn.sum(), 6), np.ones(cn.sum(), dtype=bool)))
        idx = np.concatenate([v[0] for v in ver])
        vt = np.concatenate([v[1] for v in ver])
        st = np.concatenate([v[2] for v in ver])
        cancelled = np.concatenate([v[3] for v in ver])
        keep = vt <= CUTOFF
        idx, vt, st, cancelled = idx[keep], vt[keep], st[keep], cancelled[keep]
        self.kept_order = np.zeros(m, dtype=bool)
        self.kept_order[idx] = True
        self.final_status = np.full(m, NONE)
        order = np.lexsort((vt, idx))
        idx, vt, st, cancelled = idx[order], vt[order], st[order], cancelled[order]
        last = np.ones(len(idx), dtype=bool)
        last[:-1] = idx[1:] != idx[:-1]
        self.final_status[idx[last]] = st[last]
        self.cancel_kept = np.zeros(m, dtype=bool)
        self.cancel_kept[idx[cancelled]] = True
        statuses = ("pending", "authorized", "authorized", "paid", "partially_refunded", "refunded", "voided")
        k = len(idx)
        cart = o["cart"][idx]
        has_cart = cart >= 0
        ci = np.where(has_cart, cart, 0)
        email = self.emails(ci)
        email = pa.compute.if_else(pa.array(has_cart), email, pa.nulls(k, pa.string()))
        off = o["off"][idx]
        cancel_iso = self.iso(np.where(cancelled, vt, T[idx]), off)
        cols = {
            "order_id": o["id"][idx],
            "cart_token": pa.compute.if_else(
                pa.array(has_cart), self.token.take(pa.array(ci)), pa.nulls(k, pa.string())
            ),
            "customer_id": pa.array(o["customer"][idx], mask=o["customer"][idx] < 0),
            "email": email,
            "created_at": self.iso(T[idx], off),
            "updated_at": self.iso(vt, off),
            "cancelled_at": pa.compute.if_else(pa.array(cancelled), cancel_iso, pa.nulls(k, pa.string())),
            "financial_status": labels(statuses, st),
            "total_price": major_decimal(o["total"][idx], o["cur"][idx]),
            "currency": labels(CURRENCIES, o["cur"][idx]),
            "source_name": labels(SOURCE_NAMES, o["src"][idx]),
            "test": o["test"][idx],
        }
        table = Table("shop", "orders", cols, vt, last, ("order_id",))
        self._reject(
            table,
            {"null_key": "order_id", "invalid_timestamp": "created_at", "unknown_currency": "currency"},
            ("int", 9_800_000_000),
        )
        return table

    def _order_lines(self) -> Table:
        ol = self.ol
        keep = self.kept_order[ol["order"]]
        oi = ol["order"][keep]
        cur = self.o["cur"][oi]
        k = len(oi)
        cols = {
            "order_id": self.o["id"][oi],
            "line_number": ol["line_number"][keep].astype(np.int32),
            "sku": labels(self.sku_names, ol["sku"][keep]),
            "quantity": ol["qty"][keep].astype(np.int32),
            "unit_price": major_decimal(ol["price"][keep], cur),
        }
        table = Table("shop", "order_lines", cols, self.o["t"][oi], np.ones(k, dtype=bool), ("order_id", "line_number"))
        self._reject(table, {"null_key": "order_id", "negative_quantity": "quantity"}, ("line", 1000))
        return table

    # ---------------------------------------------------------------- shop transactions + stripe
    # Stripe objects carry integer ids internally (one sequence for charges and refunds); text ids such as
    # ch_00000000000042 / re_00000000000043 are only made when the rows are written.
    def _payments(self) -> tuple[Table, Table, Table]:
        rng, o, m = self.rng, self.o, self.m
        T = o["t"]
        stripe = np.isin(self.pay, [P_STRIPE_SALE, P_STRIPE_AUTHCAP])
        ch: list[dict] = []  # charges
        tx: list[dict] = []  # shop transactions; ref = Stripe object id or NONE
        next_id = [1]

        def new_ids(count: int) -> np.ndarray:
            start = next_id[0]
            next_id[0] += count
            return np.arange(start, start + count, dtype=np.int64)

        # failed attempts (Stripe failed; shop failure)
        for a in (0, 1):
            sel = np.nonzero(self.fail_attempts > a)[0]
            t = self.fail_t0[sel] + a * uniform_int(rng, 60, 600, len(sel))
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
        sel = np.nonzero(stripe & (self.pay_t < INF) & (o["kind"] != 5))[0]
        ids = new_ids(len(sel))
        self.success_charge_id = np.full(m, NONE)
        self.success_charge_id[sel] = ids
        authcap = self.pay[sel] == P_STRIPE_AUTHCAP
        missing = self.proc_missing[sel]
        failed = self.proc_failed[sel]
        ch.append(
            dict(
                order=sel[~missing],
                id=ids[~missing],
                t=self.pay_t[sel][~missing],
                status=np.where(failed[~missing], 2, 0),
                captured=~failed[~missing],
                cap_t=np.where(failed, INF, self.capture_t[sel])[~missing],
                minor=self.charge_minor[sel][~missing],
                cur=self.charge_cur[sel][~missing],
                fail=failed[~missing],
            )
        )
        kind_first = np.where(authcap, 0, 2)  # authorization or sale
        tx.append(
            dict(
                order=sel,
                kind=kind_first,
                status=0,
                t=self.pay_t[sel],
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
                t=self.capture_t[sel][authcap],
                ref=ids[authcap],
                gateway=0,
                minor=o["total"][sel][authcap],
                cur=o["cur"][sel][authcap],
            )
        )
        # duplicate capture: a second succeeded charge, no shop transaction
        sel = np.nonzero(self.dup_t < INF)[0]
        ids = new_ids(len(sel))
        ch.append(
            dict(
                order=sel,
                id=ids,
                t=self.dup_t[sel],
                status=0,
                captured=True,
                cap_t=self.dup_t[sel],
                minor=self.charge_minor[sel],
                cur=self.charge_cur[sel],
                fail=False,
            )
        )
        # orphan charges (no order); those later linked get a draft order paid by a shop transaction
        n_orph = len(self.orphan_t)
        orph_ids = new_ids(n_orph)
        ch.append(
            dict(
                order=np.full(n_orph, NONE),
                id=orph_ids,
                t=self.orphan_t,
                status=0,
                captured=True,
                cap_t=self.orphan_t,
                minor=self.orphan_minor,
                cur=self.orphan_cur,
                fail=False,
            )
        )
        self.orphan_ids = orph_ids
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
            sel = np.nonzero((self.pay == p) & (self.pay_t < INF))[0]
            tx.append(
                dict(
                    order=sel,
                    kind=2,
                    status=0,
                    t=self.pay_t[sel],
                    ref=NONE,
                    gateway=GATEWAYS.index(GATEWAY_OF[p]),
                    minor=o["total"][sel],
                    cur=o["cur"][sel],
                )
            )

        # refunds
        rf: list[dict] = []
        for which in (1, 2):
            t_arr = self.refund1_t if which == 1 else self.refund2_t
            sel = np.nonzero(t_arr < INF)[0]
            minor = (self.refund1_minor if which == 1 else self.refund2_minor)[sel]
            ok = self.refund1_ok[sel] if which == 1 else np.ones(len(sel), dtype=bool)
            is_stripe = stripe[sel]
            ids = new_ids(len(sel))
            s = sel[is_stripe]
            rf.append(
                dict(
                    order=s,
                    id=ids[is_stripe],
                    charge=self.success_charge_id[s],
                    t=t_arr[s],
                    minor=minor[is_stripe],
                    cur=self.charge_cur[s],
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
                    cur=self.charge_cur[sel],
                )
            )
        self.n_stripe_ids = next_id[0]
        tx_table = self._transactions(tx)
        ch_table, rf_table = self._stripe(ch, rf)
        return tx_table, ch_table, rf_table

    def _transactions(self, tx: list[dict]) -> Table:
        o = self.o
        kind, status, t = _cat(tx, "kind"), _cat(tx, "status"), _cat(tx, "t")
        order, ref, gateway = _cat(tx, "order"), _cat(tx, "ref"), _cat(tx, "gateway")
        minor, cur = _cat(tx, "minor"), _cat(tx, "cur")
        keep = t <= CUTOFF
        srt = np.nonzero(keep)[0][np.lexsort((kind[keep], t[keep]))]
        order, kind, status, t, ref, gateway, minor, cur = (
            a[srt] for a in (order, kind, status, t, ref, gateway, minor, cur)
        )
        self.kept_tx = dict(order=order, kind=kind, status=status, t=t, ref=ref, gateway=gateway)
        k = len(t)
        self.tx_ids = 8_000_000_000 + np.arange(k) * 3 + 1
        cols = {
            "transaction_id": self.tx_ids,
            "order_id": o["id"][order],
            "kind": labels(("authorization", "capture", "sale", "void", "refund"), kind),
            "status": labels(("success", "failure", "pending", "error"), status),
            "amount": major_decimal(minor, cur),
            "currency": labels(CURRENCIES, cur),
            "gateway": labels(GATEWAYS, gateway),
            "gateway_reference": stripe_ids(ref, kind == 4),
            "created_at": self.iso(t, o["off"][order]),
        }
        table = Table("shop", "transactions", cols, t, np.ones(k, dtype=bool), ("transaction_id",))
        self._reject(
            table,
            {"null_key": "transaction_id", "invalid_timestamp": "created_at", "unknown_currency": "currency"},
            ("int", 9_900_000_000),
        )
        return table

    def _stripe(self, ch: list[dict], rf: list[dict]) -> tuple[Table, Table]:
        o = self.o
        c_order, c_id, c_t = _cat(ch, "order"), _cat(ch, "id"), _cat(ch, "t")
        c_status, c_cap, c_cap_t = _cat(ch, "status"), _cat(ch, "captured").astype(bool), _cat(ch, "cap_t")
        c_minor, c_cur, c_fail = _cat(ch, "minor"), _cat(ch, "cur"), _cat(ch, "fail").astype(bool)
        r_order, r_id, r_charge = _cat(rf, "order"), _cat(rf, "id"), _cat(rf, "charge")
        r_t, r_minor, r_cur, r_ok = (
            _cat(rf, "t"),
            _cat(rf, "minor"),
            _cat(rf, "cur"),
            _cat(rf, "ok").astype(bool),
        )
        rk = r_t <= CUTOFF
        r_order, r_id, r_charge, r_t, r_minor, r_cur, r_ok = (
            a[rk] for a in (r_order, r_id, r_charge, r_t, r_minor, r_cur, r_ok)
        )
        # charge versions: created, captured (auth+capture), after each succeeded refund
        charge_pos = np.full(self.n_stripe_ids, NONE)
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
        self.kept_charges = dict(
            order=c_order[fin],
            id=c_id[fin],
            t=c_t[fin],
            status=c_status[fin],
            captured=vcap[last],
            minor=c_minor[fin],
            cur=c_cur[fin],
            refunded=refunded[last],
        )
        self.kept_refunds = dict(order=r_order, id=r_id, charge=r_charge, t=r_t, minor=r_minor, cur=r_cur, ok=r_ok)
        k = len(vi)
        ci = vi
        has_order = (c_order[ci] >= 0) & self.meta_has_order[np.maximum(c_order[ci], 0)]
        orph_pos = np.full(len(c_id), NONE)
        orph_pos[len(c_id) - len(self.orphan_ids) :] = np.arange(len(self.orphan_ids))
        bogus = (c_order[ci] < 0) & self.orphan_bogus_meta[np.maximum(orph_pos[ci], 0)]
        oid = np.where(has_order, o["id"][np.maximum(c_order[ci], 0)], np.where(bogus, 9_700_000_000 + orph_pos[ci], 0))
        cart = np.where(c_order[ci] >= 0, o["cart"][np.maximum(c_order[ci], 0)], NONE)
        with_cart = has_order & (cart >= 0)
        meta = sql_array(
            """case when wc then '{"order_id": "' || oid::varchar || '", "cart_token": "' || tok || '"}'"""
            """ when ho then '{"order_id": "' || oid::varchar || '"}' else '{}' end""",
            wc=with_cart,
            ho=has_order | bogus,
            oid=oid,
            tok=self.token.take(pa.array(np.maximum(cart, 0))),
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
            "created": c_t[ci],
            "failure_code": pa.compute.if_else(
                pa.array(c_fail[ci]),
                labels(("card_declined", "insufficient_funds", "expired_card"), np.arange(k) % 3),
                pa.nulls(k, pa.string()),
            ),
            "metadata": meta,
            "livemode": np.ones(k, dtype=bool),
        }
        charges = Table("stripe", "charges", cols, vt, last, ("id",))
        self._reject(charges, {"null_key": "id", "unknown_currency": "currency"}, ("ch_x", 14))
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
            "created": r_t,
        }
        refunds = Table("stripe", "refunds", rcols, r_t, np.ones(kr, dtype=bool), ("id",))
        self._reject(refunds, {"null_key": "id", "unknown_currency": "currency"}, ("re_x", 14))
        return charges, refunds

    def _fulfillments(self) -> Table:
        o = self.o
        parts = [
            (np.nonzero(self.ful_cancel_t < INF)[0], 1, self.ful_cancel_t),
            (np.nonzero(self.ful_t < INF)[0], 0, self.ful_t),
        ]
        order = np.concatenate([p[0] for p in parts])
        status = np.concatenate([np.full(len(p[0]), p[1]) for p in parts])
        t = np.concatenate([p[2][p[0]] for p in parts])
        keep = t <= CUTOFF
        order, status, t = order[keep], status[keep], t[keep]
        srt = np.argsort(t, kind="stable")
        order, status, t = order[srt], status[srt], t[srt]
        self.kept_ful = dict(order=order, status=status, t=t)
        k = len(t)
        cols = {
            "fulfillment_id": 4_400_000_000 + np.arange(k) * 5 + 2,
            "order_id": o["id"][order],
            "status": labels(("success", "cancelled"), status),
            "created_at": self.iso(t, o["off"][order]),
        }
        table = Table("shop", "fulfillments", cols, t, np.ones(k, dtype=bool), ("fulfillment_id",))
        self._reject(table, {"null_key": "fulfillment_id", "invalid_timestamp": "created_at"}, ("int", 9_600_000_000))
        return table

    def _inventory(self) -> Table:
        rng, o = self.rng, self.o
        parts = []  # (sku, delta, reason, order or -1, time)
        skus = np.arange(self.n_sku_all)
        stock = np.where(skus < N_SKU, 1_000_000, 0)
        stock[N_SKU:] = self.os_stock
        parts.append((skus, stock, 0, np.full(len(skus), NONE), np.full(len(skus), START - 10 * DAY)))
        ol = self.ol
        live = ~o["test"][ol["order"]]
        parts.append((ol["sku"][live], -ol["qty"][live], 1, ol["order"][live], o["t"][ol["order"]][live]))
        cn = live & (o["cancel"][ol["order"]] < INF)
        parts.append((ol["sku"][cn], ol["qty"][cn], 3, ol["order"][cn], o["cancel"][ol["order"]][cn]))
        full = live & self.refund1_full[ol["order"]]
        parts.append((ol["sku"][full], ol["qty"][full], 3, ol["order"][full], self.refund1_t[ol["order"]][full]))
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
        os_restock = self.os_restock_t < INF
        parts.append(
            (
                N_SKU + np.nonzero(os_restock)[0],
                np.full(os_restock.sum(), 20),
                0,
                np.full(os_restock.sum(), NONE),
                self.os_restock_t[os_restock],
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
        self.kept_inv = dict(sku=sku, delta=delta, reason=reason, order=order, t=t, id=ids)
        off = np.where(order >= 0, o["off"][np.maximum(order, 0)], 4)
        cols = {
            "movement_id": ids,
            "sku": labels(self.sku_names, sku),
            "quantity_delta": delta.astype(np.int32),
            "reason": labels(("restock", "sale", "adjustment", "return"), reason),
            "order_id": pa.array(o["id"][np.maximum(order, 0)], mask=order < 0),
            "occurred_at": self.iso(t, off),
        }
        table = Table("shop", "inventory_movements", cols, t, np.ones(k, dtype=bool), ("movement_id",))
        self._reject(table, {"null_key": "movement_id", "invalid_timestamp": "occurred_at"}, ("int", 9_500_000_000))
        return table

    def _product_prices(self) -> Table:
        skus = np.arange(self.n_sku_all)
        s0 = np.repeat(skus, 4)
        c0 = np.tile(np.arange(4), len(skus))
        t0 = np.full(len(s0), START - 30 * DAY)
        ch = self.price_change_t < INF
        s1 = np.repeat(skus[ch], 4)
        c1 = np.tile(np.arange(4), ch.sum())
        t1 = self.price_change_t[s1]
        sku = np.concatenate([s0, s1])
        cur = np.concatenate([c0, c1])
        t = np.concatenate([t0, t1])
        price = np.concatenate([self.price_base[s0, c0], self.price_new[s1, c1]])
        k = len(sku)
        cols = {
            "sku": labels(self.sku_names, sku),
            "price": major_decimal(price, cur),
            "currency": labels(CURRENCIES, cur),
            "valid_from": self.iso(t, np.full(k, 4)),
        }
        table = Table("shop", "product_prices", cols, t, np.ones(k, dtype=bool), ("sku", "currency", "valid_from"))
        self._reject(
            table,
            {"null_key": "sku", "invalid_timestamp": "valid_from", "unknown_currency": "currency"},
            None,
        )
        return table

    def _messaging(self) -> Table:
        rng, n = self.rng, self.n
        c = np.arange(n)
        metrics = (
            "Received Email",
            "Opened Email",
            "Clicked Email",
            "Bounced Email",
            "Received SMS",
            "Clicked SMS",
            "Unsubscribed",
        )
        flows = ("Abandoned Checkout", "Abandoned Checkout SMS", "Browse Abandonment", "Weekly Newsletter")
        # message ids: email message, sms message, pre-abandonment message per cart
        rows = []  # (cart, metric, flow, msg kind 0 email 1 sms 2 pre, time)

        def add(mask, metric, flow, msg, t):
            rows.append((c[mask], metric, flow, msg, t[mask]))

        add(self.email_ok, 0, 0, 0, self.email_send)
        add(self.email_bounced, 3, 0, 0, self.email_send)
        add(self.email_open < INF, 1, 0, 0, self.email_open)
        add(self.email_click < INF, 2, 0, 0, self.email_click)
        add(self.email_unsub < INF, 6, 0, 0, self.email_unsub)
        add(self.has_sms, 4, 1, 1, self.sms_send)
        add(self.sms_click < INF, 5, 1, 1, self.sms_click)
        add(self.pre_send < INF, 0, 2, 2, self.pre_send)
        add(self.pre_click < INF, 2, 2, 2, self.pre_click)
        cart = np.concatenate([r[0] for r in rows])
        metric = np.concatenate([np.full(len(r[0]), r[1]) for r in rows])
        flow = np.concatenate([np.full(len(r[0]), r[2]) for r in rows])
        msg = np.concatenate([np.full(len(r[0]), r[3]) for r in rows])
        t = np.concatenate([r[4] for r in rows])
        keep = t <= CUTOFF
        cart, metric, flow, msg, t = cart[keep], metric[keep], flow[keep], msg[keep], t[keep]
        self.kept_msgs = dict(cart=cart, metric=metric, msg=msg, t=t)
        # newsletters: no cart token (never attributed)
        k_news = n // 2
        news_cust = rng.integers(0, max(1, n // 3), k_news)
        news_t = START + uniform_int(rng, 0, DAYS * DAY, k_news)
        self.newsletter_max_t = int(news_t.max())
        news_metric = np.where(rng.random(k_news) < 0.8, 0, np.where(rng.random(k_news) < 0.5, 1, 2))
        k = len(t)
        cart_tokens = self.token.take(pa.array(cart))
        msg_id = sql_array("'msg_' || tok || '_' || m::varchar", tok=cart_tokens, m=msg)
        news_msg = prefixed("nl_", news_t // (7 * DAY), 3)
        cart_email = self.emails(cart)
        news_email = self.typed_emails(np.zeros(k_news, dtype=np.int64), news_cust)
        all_t = np.concatenate([t, news_t])
        tz = np.concatenate([self.off[cart], rng.integers(0, len(OFFSET_MINUTES), k_news)])
        srt = np.argsort(all_t, kind="stable")
        cols = {
            "event_id": None,
            "metric": labels(metrics, np.concatenate([metric, news_metric])[srt]),
            "profile_email": pa.concat_arrays([cart_email, news_email]).take(pa.array(srt)),
            "cart_token": pa.concat_arrays([cart_tokens, pa.nulls(k_news, pa.string())]).take(pa.array(srt)),
            "flow_name": labels(flows, np.concatenate([flow, np.full(k_news, 3)])[srt]),
            "message_id": pa.concat_arrays([msg_id, news_msg]).take(pa.array(srt)),
            "datetime": self.iso(all_t[srt], tz[srt]),
        }
        cols["event_id"] = prefixed("kl_", np.arange(k + k_news) + 1, 12)
        table = Table("messaging", "events", cols, all_t[srt], np.ones(k + k_news, dtype=bool), ("event_id",))
        self._reject(table, {"null_key": "event_id", "invalid_timestamp": "datetime"}, ("kl_x", 12))
        return table

    # ---------------------------------------------------------------- rejected rows
    def _reject(self, table: Table, reasons: dict[str, str], fresh_key: tuple | None) -> None:
        """Append junk copies of good rows, each breaking exactly one rule, with a fresh (or null) key."""
        rng = self.rng
        n_rows = len(table.event_time)
        for reason, column in reasons.items():
            count = max(2, int(n_rows * REJECT_RATE / len(reasons)))
            pick = rng.integers(0, n_rows, count)
            cols = {name: _take(col, pick) for name, col in table.columns.items()}
            key = table.key_columns[0]
            if reason != "null_key" and fresh_key is not None:
                if fresh_key[0] == "line":  # order lines: same order, a line number no real line has
                    offset = {"negative_quantity": 0}.get(reason, 5000)
                    cols["line_number"] = (fresh_key[1] + offset + np.arange(count)).astype(np.int32)
                else:
                    cols[key] = _fresh_keys(fresh_key, reason, count)
            if reason == "null_key":
                cols[column] = pa.nulls(count, _arrow_type(table.columns[column]))
            elif reason == "invalid_timestamp":
                bad = labels(INVALID_TIMESTAMPS, np.arange(count) % len(INVALID_TIMESTAMPS))
                cols[column] = pa.compute.if_else(
                    pa.array(np.arange(count) % 7 == 6), pa.nulls(count, pa.string()), bad
                )
            elif reason == "unknown_currency":
                codes = [c.lower() for c in UNKNOWN_CURRENCIES] if table.system == "stripe" else UNKNOWN_CURRENCIES
                cols[column] = labels(codes, np.arange(count) % len(codes))
            elif reason == "negative_quantity":
                qty = np.asarray(cols[column].fill_null(1) if isinstance(cols[column], pa.Array) else cols[column])
                cols[column] = pa.array(-np.maximum(np.abs(qty.astype(np.int32)), 1), pa.int32())
                if table.name == "cart_events":
                    cols["event_name"] = pa.array(["product_added_to_cart"] * count, pa.string())
                    price = cols["unit_price"]
                    cols["unit_price"] = pa.compute.if_else(
                        pa.compute.is_null(price), decimal_array(np.full(count, 1999)), price
                    )
                    cols["sku"] = pa.compute.if_else(
                        pa.compute.is_null(cols["sku"]),
                        pa.array(["SKU-00001"] * count, pa.string()),
                        cols["sku"],
                    )
            table.rejected[reason] = cols
            table.rejected_time[reason] = table.event_time[pick]


def _masked_decimal(arr: pa.Array, mask: np.ndarray) -> pa.Array:
    return pa.compute.if_else(pa.array(~mask), arr, pa.nulls(len(arr), arr.type))


def _take(col, idx: np.ndarray):
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    if isinstance(col, pa.Array):
        return col.take(pa.array(idx))
    return np.asarray(col)[idx]


def _arrow_type(col) -> pa.DataType:
    if isinstance(col, pa.Array | pa.ChunkedArray):
        return col.type
    return pa.array(np.asarray(col)[:1]).type


def _fresh_keys(fresh: tuple, reason: str, count: int) -> np.ndarray:
    kind, base = fresh
    offset = {"invalid_timestamp": 0, "unknown_currency": 1, "negative_quantity": 2}[reason] * 10_000_000
    seq = np.arange(count) + offset
    if kind == "int":
        return base + seq
    return prefixed(kind, seq, base)


# --------------------------------------------------------------------------------------------------------------
# landing: _loaded_at, redeliveries, part files
# --------------------------------------------------------------------------------------------------------------
def _loaded_at(t: np.ndarray) -> np.ndarray:
    """Daily batches: rows land the next day between 02:00 and 03:00 UTC, in the order they happened (so the
    newest version of a row is also the newest landed one)."""
    day_end = (t // DAY + 1) * DAY
    return day_end + 2 * HOUR + (t % DAY) * HOUR // DAY


def _land(table: Table, out: Path, rng: np.random.Generator, schema: pa.Schema) -> dict:
    good = pa.table({name: _as_arrow(col, schema.field(name).type) for name, col in table.columns.items()})
    n_good = good.num_rows
    loaded = _loaded_at(table.event_time)
    # redeliveries: the newest version of 2 % of keys lands again, in a later batch file, 1-3 weeks later
    redeliver = np.nonzero(table.is_final & (rng.random(n_good) < REDELIVERY_RATE))[0]
    parts = [good]
    loaded_parts = [loaded]
    parts.append(good.take(pa.array(redeliver)))
    loaded_parts.append(loaded[redeliver] + uniform_int(rng, 7 * DAY, 21 * DAY, len(redeliver)))
    rejected_counts = {}
    for reason, cols in table.rejected.items():
        rej = pa.table({name: _as_arrow(cols[name], schema.field(name).type) for name in table.columns})
        parts.append(rej)
        loaded_parts.append(_loaded_at(table.rejected_time[reason]))
        rejected_counts[reason] = rej.num_rows
    rows = pa.concat_tables(parts)
    loaded_all = np.concatenate(loaded_parts)
    rows = rows.append_column("_loaded_at", pa.array(loaded_all.astype("datetime64[s]").astype("datetime64[us]")))
    order = np.argsort(loaded_all, kind="stable")
    rows = rows.take(pa.array(order))
    week = (loaded_all[order] - START) // (7 * DAY)
    folder = out / table.system / table.name
    folder.mkdir(parents=True, exist_ok=True)
    bounds = np.flatnonzero(np.diff(week)) + 1
    starts = np.concatenate([[0], bounds])
    ends = np.concatenate([bounds, [len(week)]])
    for s, e in zip(starts, ends, strict=True):
        part = rows.slice(int(s), int(e - s)).cast(schema.append(pa.field("_loaded_at", pa.timestamp("us"))))
        pq.write_table(part, folder / f"part-{int(week[s]) + 10:05d}.parquet", compression="zstd")
    return {
        "landed_rows": rows.num_rows,
        "part_files": len(starts),
        "rejected": rejected_counts,
        "redelivered_rows": len(redeliver),
        "distinct_keys": n_good - int((~table.is_final).sum()),
        "duplicates_removed": len(redeliver) + int((~table.is_final).sum()),
    }


def _as_arrow(col, typ: pa.DataType) -> pa.Array:
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    if isinstance(col, pa.Array):
        return col.cast(typ)
    return pa.array(col, typ)


SCHEMAS: dict[str, pa.Schema] = {
    "shop.cart_events": pa.schema(
        [
            ("event_id", pa.string()),
            ("cart_token", pa.string()),
            ("event_name", pa.string()),
            ("occurred_at", pa.string()),
            ("customer_id", pa.int64()),
            ("email", pa.string()),
            ("sku", pa.string()),
            ("quantity", pa.int32()),
            ("unit_price", pa.decimal128(18, 2)),
            ("currency", pa.string()),
        ]
    ),
    "shop.orders": pa.schema(
        [
            ("order_id", pa.int64()),
            ("cart_token", pa.string()),
            ("customer_id", pa.int64()),
            ("email", pa.string()),
            ("created_at", pa.string()),
            ("updated_at", pa.string()),
            ("cancelled_at", pa.string()),
            ("financial_status", pa.string()),
            ("total_price", pa.decimal128(18, 2)),
            ("currency", pa.string()),
            ("source_name", pa.string()),
            ("test", pa.bool_()),
        ]
    ),
    "shop.order_lines": pa.schema(
        [
            ("order_id", pa.int64()),
            ("line_number", pa.int32()),
            ("sku", pa.string()),
            ("quantity", pa.int32()),
            ("unit_price", pa.decimal128(18, 2)),
        ]
    ),
    "shop.transactions": pa.schema(
        [
            ("transaction_id", pa.int64()),
            ("order_id", pa.int64()),
            ("kind", pa.string()),
            ("status", pa.string()),
            ("amount", pa.decimal128(18, 2)),
            ("currency", pa.string()),
            ("gateway", pa.string()),
            ("gateway_reference", pa.string()),
            ("created_at", pa.string()),
        ]
    ),
    "shop.fulfillments": pa.schema(
        [
            ("fulfillment_id", pa.int64()),
            ("order_id", pa.int64()),
            ("status", pa.string()),
            ("created_at", pa.string()),
        ]
    ),
    "shop.inventory_movements": pa.schema(
        [
            ("movement_id", pa.int64()),
            ("sku", pa.string()),
            ("quantity_delta", pa.int32()),
            ("reason", pa.string()),
            ("order_id", pa.int64()),
            ("occurred_at", pa.string()),
        ]
    ),
    "shop.product_prices": pa.schema(
        [
            ("sku", pa.string()),
            ("price", pa.decimal128(18, 2)),
            ("currency", pa.string()),
            ("valid_from", pa.string()),
        ]
    ),
    "stripe.charges": pa.schema(
        [
            ("id", pa.string()),
            ("payment_intent", pa.string()),
            ("amount", pa.int64()),
            ("amount_captured", pa.int64()),
            ("amount_refunded", pa.int64()),
            ("currency", pa.string()),
            ("status", pa.string()),
            ("captured", pa.bool_()),
            ("created", pa.int64()),
            ("failure_code", pa.string()),
            ("metadata", pa.string()),
            ("livemode", pa.bool_()),
        ]
    ),
    "stripe.refunds": pa.schema(
        [
            ("id", pa.string()),
            ("charge", pa.string()),
            ("amount", pa.int64()),
            ("currency", pa.string()),
            ("status", pa.string()),
            ("reason", pa.string()),
            ("created", pa.int64()),
        ]
    ),
    "messaging.events": pa.schema(
        [
            ("event_id", pa.string()),
            ("metric", pa.string()),
            ("profile_email", pa.string()),
            ("cart_token", pa.string()),
            ("flow_name", pa.string()),
            ("message_id", pa.string()),
            ("datetime", pa.string()),
        ]
    ),
}


# --------------------------------------------------------------------------------------------------------------
# ground truth
# --------------------------------------------------------------------------------------------------------------
def _as_of(w: _World) -> int:
    """Newest event time over every event-time column of the kept good rows."""
    cands = [
        w.kept_cart_events["t"].max(),
        w.o["t"][w.kept_order].max(),
        w.kept_tx["t"].max(),
        w.kept_charges["t"].max(),
        w.kept_ful["t"].max(),
        w.kept_inv["t"].max(),
        w.kept_msgs["t"].max(),
        w.newsletter_max_t,
    ]
    if len(w.kept_refunds["t"]):
        cands.append(w.kept_refunds["t"].max())
    # order versions (updated_at / cancelled_at) and the price catalog
    cands.append(
        max(
            int(w.refund1_t[w.refund1_t <= CUTOFF].max(initial=0)),
            int(w.refund2_t[w.refund2_t <= CUTOFF].max(initial=0)),
        )
    )
    cands.append(int(w.price_change_t[w.price_change_t <= CUTOFF].max(initial=0)))
    cands.append(int(w.o["cancel"][w.o["cancel"] <= CUTOFF].max(initial=0)))
    cands.append(int(w.capture_t[w.capture_t <= CUTOFF].max(initial=0)))
    cands.append(int(w.pay_t[w.pay_t <= CUTOFF].max(initial=0)))
    return int(max(cands))


def _cart_outcomes(w: _World, as_of: int) -> pa.Table:
    n = w.n
    kept = lambda t: t <= CUTOFF  # noqa: E731
    contact = (w.stage == 2) & kept(w.contact_t)
    checkout = (w.stage >= 1) & kept(w.checkout_t)
    converted = w.plan_converted & kept(w.complete_t)
    abandoned = w.plan_abandoned & (w.abandoned_at <= as_of)
    has_order = w.cart_has_order & kept(w.cart_order_t)
    recovered = abandoned & has_order & np.isin(w.cart_order_kind, [1, 2])
    outcome = np.full(n, "browsing", dtype=object)
    outcome[checkout] = "no_contact"
    outcome[contact] = "not_yet_abandoned"
    outcome[converted] = "converted"
    outcome[abandoned] = "not_recovered"
    attributed = recovered & (w.cart_order_kind == 1)
    outcome[recovered & (w.cart_order_kind == 2)] = "recovered_organic"
    outcome[attributed] = "recovered_attributed"
    channel = np.where(attributed, np.where(w.recovery_channel_sms, "sms", "email"), None)
    pos = w.cart_order_pos
    order_id = np.where(recovered, w.o["id"][np.maximum(pos, 0)], NONE)
    value = np.zeros(n, dtype=np.int64)
    lines = np.arange(len(w.line_cart))
    add_kept = kept(w.line_add_t)
    v_add = np.where(
        add_kept, usd_e10(w.line_qty * w.line_price, w.cur[w.line_cart], np.minimum(w.line_add_t, CUTOFF)), 0
    )
    rem_t = w.remove_t[w.line_cart]
    rem_kept = w.line_removed & (rem_t <= CUTOFF)
    v_rem = np.where(
        rem_kept, usd_e10(w.line_qty * w.line_price, w.cur[w.line_cart], np.where(rem_kept, rem_t, START)), 0
    )
    np.add.at(value, w.line_cart[lines], v_add - v_rem)
    w.cart_value_e10 = value
    return pa.table(
        {
            "cart_token": w.token,
            "outcome": pa.array(outcome, pa.string()),
            "channel": pa.array(channel, pa.string()),
            "recovered_order_id": pa.array(order_id, mask=order_id < 0),
            "abandoned_at": pa.array(np.where(abandoned, w.abandoned_at, 0).astype("datetime64[s]"), mask=~abandoned),
            "cart_value_usd": decimal_array(value, scale=10, precision=38),
        }
    )


def _exceptions(w: _World, as_of: int) -> pa.Table:
    """Every exception instance by the rules of SPEC §6 applied to the kept rows (see README 'Exception rules')."""
    o, m = w.o, w.m
    T = o["t"]
    sla = w.sla
    out: list[tuple] = []

    def emit(
        etype: str,
        entity_type: str,
        entity: np.ndarray | pa.Array,
        start: np.ndarray,
        cond: np.ndarray,
        resolve: np.ndarray,
    ):
        """An instance exists once its SLA elapsed by as-of with the condition still present at the due time."""
        due = start + sla[etype]
        exists = cond & (due <= as_of) & (resolve > due)
        resolved = exists & (resolve <= as_of)
        if isinstance(entity, pa.Array):
            text = entity.filter(pa.array(exists))
        elif entity_type == "charge":
            text = stripe_ids(entity[exists], np.zeros(int(exists.sum()), dtype=bool))
        else:
            text = pa.array(entity[exists]).cast(pa.string())
        out.append((etype, entity_type, text, start[exists], due[exists], resolved[exists], resolve[exists]))

    live = w.kept_order & ~o["test"] & ~w.cancel_kept
    # first successful capture/sale in the shop
    tx = w.kept_tx
    ok_pay = np.isin(tx["kind"], [1, 2]) & (tx["status"] == 0)
    first_pay = np.full(m, INF)
    np.minimum.at(first_pay, tx["order"][ok_pay], tx["t"][ok_pay])
    emit("order_unpaid", "order", o["id"], T, live, first_pay)

    # Stripe charges linked to orders (metadata.order_id or a shop transaction's gateway_reference)
    chg = w.kept_charges
    stripe_tx = tx["gateway"] == 0
    c_order = chg["order"]
    via_meta = (c_order >= 0) & w.meta_has_order[np.maximum(c_order, 0)]
    via_tx = np.isin(chg["id"], tx["ref"][stripe_tx & (tx["kind"] != 4)])
    linked = (via_meta | via_tx) & (c_order >= 0)
    linked &= w.kept_order[np.maximum(c_order, 0)]
    succeeded = chg["status"] == 0
    captured = succeeded & chg["captured"]
    # charge_without_order: succeeded charge matching no order; resolved when the linking transaction lands
    orphan = np.isin(chg["id"], w.orphan_ids)
    orphan_pos = np.searchsorted(w.orphan_ids, chg["id"][orphan]) if orphan.any() else np.zeros(0, np.int64)
    link_t = np.full(len(chg["id"]), INF)
    link_t[orphan] = np.where(w.orphan_resolve_t[orphan_pos] <= CUTOFF, w.orphan_resolve_t[orphan_pos], INF)
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

    rf = w.kept_refunds
    ok_r = rf["ok"] & (rf["order"] >= 0)
    ref_sum = np.bincount(rf["order"][ok_r], weights=rf["minor"][ok_r], minlength=m).astype(np.int64)
    over = w.kept_order & (ref_sum > cap_sum) & (ref_sum > 0)
    emit("refund_exceeds_capture", "order", o["id"], T, over, np.full(m, INF))

    # processor_mismatch: per shop transaction on the stripe gateway
    # status of the Stripe object each stripe-gateway transaction references (-1: no such object landed)
    status_of = np.full(w.n_stripe_ids, -1)
    status_of[chg["id"]] = chg["status"]
    status_of[rf["id"]] = np.where(rf["ok"], 0, 2)
    st = stripe_tx
    counterpart = np.where(st, status_of[np.maximum(tx["ref"], 0)], -2)
    disagree = st & (((tx["status"] == 0) & (counterpart != 0)) | ((tx["status"] != 0) & (counterpart == 0)))
    emit("processor_mismatch", "transaction", w.tx_ids, T[tx["order"]], disagree, np.full(len(tx["t"]), INF))

    # oversell: a sale that takes the SKU's running stock from >= 0 to < 0; resolved when stock is back >= 0
    inv = w.kept_inv
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
    emit("oversell", "inventory_movement", ids, t, crossing, back)

    # fulfillment_delayed: paid live order without a successful fulfillment within the SLA
    fu = w.kept_ful
    ok_f = fu["status"] == 0
    first_ful = np.full(m, INF)
    np.minimum.at(first_ful, fu["order"][ok_f], fu["t"][ok_f])
    emit("fulfillment_delayed", "order", o["id"], T, live & (first_pay < INF), first_ful)

    # price_drift: a recovered order's line whose cart price differs from the catalog price at order time
    outcomes = w.outcomes
    rec_order = np.zeros(m, dtype=bool)
    rec_ids = outcomes.column("recovered_order_id").drop_null().to_numpy()
    rec_order[np.searchsorted(o["id"], rec_ids)] = True
    ol = w.ol
    cat_price = w.catalog_price(ol["sku"], o["cur"][ol["order"]], T[ol["order"]])
    drift_line = rec_order[ol["order"]] & (ol["price"] != cat_price)
    drift = np.bincount(ol["order"][drift_line], minlength=m) > 0
    emit("price_drift", "order", o["id"], T, drift, np.full(m, INF))

    # recovery_stalled: abandoned cart worth >= threshold with no recovery message within the SLA
    abandoned = w.plan_abandoned & (w.abandoned_at <= as_of)
    msgs = w.kept_msgs
    received = np.isin(msgs["metric"], [0, 4]) & (msgs["t"] > w.abandoned_at[msgs["cart"]])
    first_msg = np.full(w.n, INF)
    np.minimum.at(first_msg, msgs["cart"][received], msgs["t"][received])
    high = w.cart_value_e10 >= HIGH_VALUE_CART_USD * 10**10
    emit("recovery_stalled", "cart", w.token, w.abandoned_at, abandoned & high, first_msg)

    # recovered_payment_failed: a recovered order whose Stripe attempts all failed
    attempts = np.bincount(c_order[linked], minlength=m)
    ok_charge = np.full(m, INF)
    sel = linked & succeeded
    np.minimum.at(ok_charge, c_order[sel], chg["t"][sel])
    fails = rec_order & (attempts >= 1)
    emit("recovered_payment_failed", "order", o["id"], T, fails, ok_charge)

    types = [row[0] for row in out]
    sizes = [len(row[2]) for row in out]
    resolved = np.concatenate([row[5] for row in out])
    resolve = np.concatenate([row[6] for row in out])
    return pa.table(
        {
            "exception_type": labels(types, np.repeat(np.arange(len(out)), sizes)),
            "entity_type": labels([row[1] for row in out], np.repeat(np.arange(len(out)), sizes)),
            "entity_id": pa.concat_arrays([row[2] for row in out]),
            "clock_start_at": pa.array(np.concatenate([row[3] for row in out]).astype("datetime64[s]")),
            "due_at": pa.array(np.concatenate([row[4] for row in out]).astype("datetime64[s]")),
            "status": labels(("open", "resolved"), resolved.astype(np.int64)),
            "resolved_at": pa.array(np.where(resolved, resolve, 0).astype("datetime64[s]"), mask=~resolved),
        }
    )


# --------------------------------------------------------------------------------------------------------------
# entry point
# --------------------------------------------------------------------------------------------------------------
def generate(
    out_dir: Path, carts: int = 20_000, seed: int = 42, land_fx: bool = False, rules: Path = RULES_CSV
) -> dict:
    """Generate landing data for `carts` carts into out_dir (replacing it) and return the manifest."""
    if carts < 100:
        raise ValueError("carts must be at least 100")
    out_dir = Path(out_dir)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    w = _World(carts, seed, load_slas(rules))
    steps: list[Callable[[], None]] = [
        w.catalog,
        w.carts,
        w.messages,
        w.cart_orders,
        w.orders,
        w.payment_plans,
    ]
    for step in steps:
        step()
    land_rng = np.random.default_rng([seed, 1])
    table_stats = {}
    for full_name, table in w.build_tables():
        table_stats[full_name] = _land(table, out_dir, land_rng, SCHEMAS[full_name])
        del table
    if land_fx:
        table_stats["reference.fx_rates"] = _land_fx(out_dir)
    as_of = _as_of(w)
    w.outcomes = _cart_outcomes(w, as_of)
    exceptions = _exceptions(w, as_of)
    (out_dir / "manifest").mkdir()
    pq.write_table(w.outcomes, out_dir / "manifest" / "cart_outcomes.parquet", compression="zstd")
    pq.write_table(exceptions, out_dir / "manifest" / "exceptions.parquet", compression="zstd")
    manifest = _manifest(w, seed, as_of, table_stats, exceptions)
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def _land_fx(out_dir: Path) -> dict:
    rows = fx.fx_rows()
    table = pa.table(
        {
            "rate_date": pa.array([r[0] for r in rows]).cast(pa.date32()),
            "currency": pa.array([r[1] for r in rows], pa.string()),
            "rate_to_usd": pa.array([r[2] for r in rows]).cast(pa.decimal128(18, 8)),
            "_loaded_at": pa.array(np.full(len(rows), START - DAY).astype("datetime64[s]").astype("datetime64[us]")),
        }
    )
    folder = out_dir / "reference" / "fx_rates"
    folder.mkdir(parents=True)
    pq.write_table(table, folder / "part-00000.parquet", compression="zstd")
    return {
        "landed_rows": table.num_rows,
        "part_files": 1,
        "rejected": {},
        "redelivered_rows": 0,
        "distinct_keys": table.num_rows,
        "duplicates_removed": 0,
    }


def _iso_utc(ts: int) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _manifest(w: _World, seed: int, as_of: int, table_stats: dict, exceptions: pa.Table) -> dict:
    outcomes = w.outcomes.column("outcome").to_numpy(zero_copy_only=False)
    channel = w.outcomes.column("channel").to_numpy(zero_copy_only=False)
    names, counts = np.unique(outcomes, return_counts=True)
    by_outcome = {str(k): int(v) for k, v in zip(names, counts, strict=True)}
    attributed = outcomes == "recovered_attributed"
    by_channel = {ch: int((attributed & (channel == ch)).sum()) for ch in ("email", "sms")}
    exc_types = exceptions.column("exception_type").to_numpy(zero_copy_only=False)
    exc_status = exceptions.column("status").to_numpy(zero_copy_only=False)
    by_exc = {}
    for etype in sorted(w.sla):
        sel = exc_types == etype
        by_exc[etype] = {s: int((sel & (exc_status == s)).sum()) for s in ("open", "resolved")}
    return {
        "seed": seed,
        "carts": w.n,
        "start": _iso_utc(START),
        "cutoff": _iso_utc(CUTOFF),
        "as_of": _iso_utc(as_of),
        "parameters": {
            "abandonment_window_minutes": ABANDONMENT_WINDOW // 60,
            "recovery_window_days": RECOVERY_WINDOW // DAY,
            "attribution_window_hours": ATTRIBUTION_WINDOW // HOUR,
            "high_value_cart_threshold": HIGH_VALUE_CART_USD,
            "reporting_currency": "USD",
            "sla_hours": {k: v // HOUR for k, v in sorted(w.sla.items())},
        },
        "tables": table_stats,
        "cart_outcomes": {
            "by_outcome": by_outcome,
            "attributed_by_channel": by_channel,
            "file": "manifest/cart_outcomes.parquet",
        },
        "exceptions": {"by_type": by_exc, "file": "manifest/exceptions.parquet"},
    }

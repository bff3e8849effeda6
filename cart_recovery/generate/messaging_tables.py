"""The messaging platform's raw table: recovery-flow and newsletter events."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from cart_recovery.generate.arrays import labels, prefixed, sql_array, uniform_int
from cart_recovery.generate.constants import CUTOFF, DAY, DAYS, INF, OFFSET_MINUTES, START
from cart_recovery.generate.raw_table import Table
from cart_recovery.generate.rejects import add_rejects
from cart_recovery.generate.world import World


def messaging_events_table(world: World) -> Table:
    rng, n = world.rng, world.n_carts
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

    add(world.email_ok, 0, 0, 0, world.email_send)
    add(world.email_bounced, 3, 0, 0, world.email_send)
    add(world.email_open < INF, 1, 0, 0, world.email_open)
    add(world.email_click < INF, 2, 0, 0, world.email_click)
    add(world.email_unsub < INF, 6, 0, 0, world.email_unsub)
    add(world.has_sms, 4, 1, 1, world.sms_send)
    add(world.sms_click < INF, 5, 1, 1, world.sms_click)
    add(world.pre_send < INF, 0, 2, 2, world.pre_send)
    add(world.pre_click < INF, 2, 2, 2, world.pre_click)
    cart = np.concatenate([r[0] for r in rows])
    metric = np.concatenate([np.full(len(r[0]), r[1]) for r in rows])
    flow = np.concatenate([np.full(len(r[0]), r[2]) for r in rows])
    msg = np.concatenate([np.full(len(r[0]), r[3]) for r in rows])
    t = np.concatenate([r[4] for r in rows])
    keep = t <= CUTOFF
    cart, metric, flow, msg, t = cart[keep], metric[keep], flow[keep], msg[keep], t[keep]
    world.kept_msgs = dict(cart=cart, metric=metric, msg=msg, t=t)
    # newsletters: no cart token (never attributed)
    k_news = n // 2
    news_cust = rng.integers(0, max(1, n // 3), k_news)
    news_t = START + uniform_int(rng, 0, DAYS * DAY, k_news)
    # the newest newsletter goes out at the cut, so the data's as-of is the cut itself (the as-of that
    # generate(as_of=...) asks for) rather than wherever the last random event happened to fall
    news_t[np.argmax(news_t)] = CUTOFF
    world.newsletter_max_t = int(news_t.max())
    news_metric = np.where(rng.random(k_news) < 0.8, 0, np.where(rng.random(k_news) < 0.5, 1, 2))
    k = len(t)
    cart_tokens = world.token.take(pa.array(cart))
    msg_id = sql_array("'msg_' || tok || '_' || m::varchar", tok=cart_tokens, m=msg)
    news_msg = prefixed("nl_", news_t // (7 * DAY), 3)
    cart_email = world.emails(cart)
    news_email = world.typed_emails(np.zeros(k_news, dtype=np.int64), news_cust)
    all_t = np.concatenate([t, news_t])
    tz = np.concatenate([world.off[cart], rng.integers(0, len(OFFSET_MINUTES), k_news)])
    srt = np.argsort(all_t, kind="stable")
    cols = {
        "event_id": None,
        "metric": labels(metrics, np.concatenate([metric, news_metric])[srt]),
        "profile_email": pa.concat_arrays([cart_email, news_email]).take(pa.array(srt)),
        "cart_token": pa.concat_arrays([cart_tokens, pa.nulls(k_news, pa.string())]).take(pa.array(srt)),
        "flow_name": labels(flows, np.concatenate([flow, np.full(k_news, 3)])[srt]),
        "message_id": pa.concat_arrays([msg_id, news_msg]).take(pa.array(srt)),
        "datetime": world.iso(all_t[srt], tz[srt]),
    }
    cols["event_id"] = prefixed("kl_", np.arange(k + k_news) + 1, 12)
    table = Table("messaging", "events", cols, all_t[srt], np.ones(k + k_news, dtype=bool), ("event_id",))
    add_rejects(world.rng, table, {"null_key": "event_id", "invalid_timestamp": "datetime"}, ("kl_x", 12))
    return table

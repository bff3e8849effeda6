"""The landing-data generator: the landing contract, determinism, and a manifest that tells the truth about the files.

The contract below is written by hand from the landing contract (README "Landing real data"), never read back from the
generator. Manifest figures are recomputed from the written Parquet files with SQL that applies docs/definitions.md
directly.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import duckdb
import pytest

from cart_recovery import fx
from cart_recovery.generate import generate

REPO_ROOT = Path(__file__).resolve().parents[2]
CARTS = 3000

VARCHAR, BIGINT, INTEGER, BOOLEAN, TIMESTAMP = "VARCHAR", "BIGINT", "INTEGER", "BOOLEAN", "TIMESTAMP"
MONEY = "DECIMAL(18,2)"
CONTRACT: dict[str, list[tuple[str, str]]] = {
    "shop/cart_events": [
        ("event_id", VARCHAR), ("cart_token", VARCHAR), ("event_name", VARCHAR), ("occurred_at", VARCHAR),
        ("customer_id", BIGINT), ("email", VARCHAR), ("sku", VARCHAR), ("quantity", INTEGER),
        ("unit_price", MONEY), ("currency", VARCHAR), ("_loaded_at", TIMESTAMP),
    ],
    "shop/orders": [
        ("order_id", BIGINT), ("cart_token", VARCHAR), ("customer_id", BIGINT), ("email", VARCHAR),
        ("created_at", VARCHAR), ("updated_at", VARCHAR), ("cancelled_at", VARCHAR), ("financial_status", VARCHAR),
        ("total_price", MONEY), ("currency", VARCHAR), ("source_name", VARCHAR), ("test", BOOLEAN),
        ("_loaded_at", TIMESTAMP),
    ],
    "shop/order_lines": [
        ("order_id", BIGINT), ("line_number", INTEGER), ("sku", VARCHAR), ("quantity", INTEGER),
        ("unit_price", MONEY), ("_loaded_at", TIMESTAMP),
    ],
    "shop/transactions": [
        ("transaction_id", BIGINT), ("order_id", BIGINT), ("kind", VARCHAR), ("status", VARCHAR), ("amount", MONEY),
        ("currency", VARCHAR), ("gateway", VARCHAR), ("gateway_reference", VARCHAR), ("created_at", VARCHAR),
        ("_loaded_at", TIMESTAMP),
    ],
    "shop/fulfillments": [
        ("fulfillment_id", BIGINT), ("order_id", BIGINT), ("status", VARCHAR), ("created_at", VARCHAR),
        ("_loaded_at", TIMESTAMP),
    ],
    "shop/inventory_movements": [
        ("movement_id", BIGINT), ("sku", VARCHAR), ("quantity_delta", INTEGER), ("reason", VARCHAR),
        ("order_id", BIGINT), ("occurred_at", VARCHAR), ("_loaded_at", TIMESTAMP),
    ],
    "shop/product_prices": [
        ("sku", VARCHAR), ("price", MONEY), ("currency", VARCHAR), ("valid_from", VARCHAR), ("_loaded_at", TIMESTAMP),
    ],
    "stripe/charges": [
        ("id", VARCHAR), ("payment_intent", VARCHAR), ("amount", BIGINT), ("amount_captured", BIGINT),
        ("amount_refunded", BIGINT), ("currency", VARCHAR), ("status", VARCHAR), ("captured", BOOLEAN),
        ("created", BIGINT), ("failure_code", VARCHAR), ("metadata", VARCHAR), ("livemode", BOOLEAN),
        ("_loaded_at", TIMESTAMP),
    ],
    "stripe/refunds": [
        ("id", VARCHAR), ("charge", VARCHAR), ("amount", BIGINT), ("currency", VARCHAR), ("status", VARCHAR),
        ("reason", VARCHAR), ("created", BIGINT), ("_loaded_at", TIMESTAMP),
    ],
    "messaging/events": [
        ("event_id", VARCHAR), ("metric", VARCHAR), ("profile_email", VARCHAR), ("cart_token", VARCHAR),
        ("flow_name", VARCHAR), ("message_id", VARCHAR), ("datetime", VARCHAR), ("_loaded_at", TIMESTAMP),
    ],
}  # fmt: skip

ENUMS = {
    ("shop/cart_events", "event_name"): {
        "product_added_to_cart", "product_removed_from_cart", "checkout_started", "checkout_contact_info_submitted",
        "checkout_shipping_info_submitted", "payment_info_submitted", "checkout_completed",
    },
    ("shop/orders", "financial_status"): {"pending", "authorized", "paid", "partially_refunded", "refunded", "voided"},
    ("shop/orders", "source_name"): {"web", "mobile_app", "pos", "draft"},
    ("shop/transactions", "kind"): {"authorization", "capture", "sale", "refund", "void"},
    ("shop/transactions", "status"): {"success", "failure", "pending", "error"},
    ("shop/transactions", "gateway"): {"stripe", "paypal", "manual", "gift_card"},
    ("shop/fulfillments", "status"): {"success", "cancelled"},
    ("shop/inventory_movements", "reason"): {"restock", "sale", "adjustment", "return"},
    ("stripe/charges", "status"): {"succeeded", "pending", "failed"},
    ("stripe/refunds", "status"): {"succeeded", "pending", "failed"},
    ("messaging/events", "metric"): {
        "Received Email", "Opened Email", "Clicked Email", "Bounced Email", "Received SMS", "Clicked SMS",
        "Unsubscribed",
    },
}  # fmt: skip

# docs/definitions.md "Rows": what makes a row unusable, per table (key columns, text timestamps, currency, quantity)
KEYS = {
    "shop/cart_events": ["event_id", "cart_token"],  # an event without its cart cannot be used
    "shop/orders": ["order_id"],
    "shop/order_lines": ["order_id", "line_number"],
    "shop/transactions": ["transaction_id"],
    "shop/fulfillments": ["fulfillment_id"],
    "shop/inventory_movements": ["movement_id"],
    "shop/product_prices": ["sku", "currency", "valid_from"],
    "stripe/charges": ["id"],
    "stripe/refunds": ["id"],
    "messaging/events": ["event_id"],
}
TIMESTAMP_COLUMNS = {
    "shop/cart_events": ["occurred_at"],
    "shop/orders": ["created_at", "updated_at"],
    "shop/transactions": ["created_at"],
    "shop/fulfillments": ["created_at"],
    "shop/inventory_movements": ["occurred_at"],
    "shop/product_prices": ["valid_from"],
    "messaging/events": ["datetime"],
}
NULLABLE_TIMESTAMPS = {"shop/orders": ["cancelled_at"]}
CURRENCY_TABLES = {"shop/cart_events", "shop/orders", "shop/transactions", "shop/product_prices", "stripe/charges",
                   "stripe/refunds"}  # fmt: skip
QUANTITY_TABLES = {"shop/cart_events", "shop/order_lines"}
ISO_WITH_OFFSET = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$"


def _valid_ts(col: str) -> str:
    return f"(regexp_matches({col}, '{ISO_WITH_OFFSET}') and try_cast({col} as timestamptz) is not null)"


def reject_reason_sql(table: str) -> str:
    """SQL CASE giving a row's reject reason (first rule that fails) or null."""
    currencies = "', '".join(fx.CURRENCIES)
    whens = [f"when {' or '.join(f'{k} is null' for k in KEYS[table])} then 'null_key'"]
    for col in TIMESTAMP_COLUMNS.get(table, []):
        whens.append(f"when not coalesce({_valid_ts(col)}, false) then 'invalid_timestamp'")
    for col in NULLABLE_TIMESTAMPS.get(table, []):
        whens.append(f"when {col} is not null and not coalesce({_valid_ts(col)}, false) then 'invalid_timestamp'")
    if table in CURRENCY_TABLES:
        whens.append(f"when not coalesce(upper(trim(currency)) in ('{currencies}'), false) then 'unknown_currency'")
    if table in QUANTITY_TABLES:
        whens.append("when quantity < 0 then 'negative_quantity'")
    return "case " + " ".join(whens) + " end"


def files(raw: Path, table: str) -> str:
    return f"read_parquet('{raw}/{table}/*.parquet')"


def sha256_tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module", params=[11, 23], ids=lambda s: f"seed{s}")
def landing(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    raw = tmp_path_factory.mktemp("gen") / "raw"
    manifest = generate(raw, carts=CARTS, seed=request.param)
    return raw, manifest


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    c.execute("set TimeZone = 'UTC'")
    return c


def test_every_table_matches_the_contract_in_every_part_file(landing, con):
    raw, _ = landing
    assert sorted(str(p.relative_to(raw)) for p in raw.glob("*/*") if p.is_dir()) == sorted(CONTRACT)
    for table, columns in CONTRACT.items():
        parts = sorted((raw / table).glob("*.parquet"))
        assert len(parts) >= 2, f"{table}: several part files expected"
        for part in parts:
            described = con.execute(f"describe select * from read_parquet('{part}')").fetchall()
            assert [(r[0], r[1]) for r in described] == columns, f"{part} breaks the contract"


def test_vocabularies_of_usable_rows(landing, con):
    raw, _ = landing
    for (table, column), allowed in ENUMS.items():
        seen = con.execute(
            f"select distinct {column} from {files(raw, table)} where {reject_reason_sql(table)} is null"
        ).fetchall()
        assert {r[0] for r in seen} <= allowed, f"{table}.{column}"


def test_shapes_follow_the_real_systems(landing, con):
    raw, _ = landing
    q = con.execute
    # JPY is zero-decimal in Stripe minor units: a JPY charge equals its order's total, not 100x it
    jpy = q(
        f"""select count(*), count(*) filter (where c.amount = o.total_price)
        from {files(raw, "stripe/charges")} c
        join {files(raw, "shop/transactions")} t on t.gateway_reference = c.id and t.kind = 'sale'
        join {files(raw, "shop/orders")} o on o.order_id = t.order_id
        where c.currency = 'jpy' and o.currency = 'JPY' and c.status = 'succeeded'"""
    ).fetchone()
    assert jpy[0] > 0 and jpy[1] >= 0.9 * jpy[0]
    usd = q(
        f"""select count(*), count(*) filter (where c.amount = o.total_price * 100)
        from {files(raw, "stripe/charges")} c
        join {files(raw, "shop/transactions")} t on t.gateway_reference = c.id and t.kind = 'sale'
        join {files(raw, "shop/orders")} o on o.order_id = t.order_id
        where c.currency = 'usd' and o.currency = 'USD' and c.status = 'succeeded'"""
    ).fetchone()
    assert usd[0] > 0 and usd[1] >= 0.9 * usd[0]
    offsets = q(
        f"select count(distinct right(occurred_at, 6)) from {files(raw, 'shop/cart_events')} "
        f"where {_valid_ts('occurred_at')}"
    ).fetchone()[0]
    assert offsets >= 5
    emails = q(
        f"""select count(*) filter (where email <> lower(trim(email))), count(*) filter (where email <> trim(email))
        from {files(raw, "shop/cart_events")} where email is not null"""
    ).fetchone()
    assert emails[0] > 0 and emails[1] > 0
    sources = {r[0] for r in q(f"select distinct source_name from {files(raw, 'shop/orders')}").fetchall()}
    assert {"web", "mobile_app", "pos", "draft"} <= sources
    partial = q(
        f"""select count(*) from {files(raw, "stripe/charges")}
        where status = 'succeeded' and amount_refunded > 0 and amount_refunded < amount"""
    ).fetchone()[0]
    assert partial > 0
    channels = {r[0] for r in q(f"select distinct metric from {files(raw, 'messaging/events')}").fetchall()}
    assert {"Received Email", "Received SMS", "Clicked Email", "Clicked SMS"} <= channels
    # daily seasonality: evenings busier than early mornings (UTC hours of first cart events)
    by_hour = dict(
        q(
            f"""select hour(try_cast(occurred_at as timestamptz)) h, count(*) from {files(raw, "shop/cart_events")}
            where event_name = 'product_added_to_cart' and {_valid_ts("occurred_at")} group by h"""
        ).fetchall()
    )
    assert sum(by_hour.get(h, 0) for h in (18, 19, 20)) > 2 * sum(by_hour.get(h, 0) for h in (2, 3, 4))


def test_same_seed_gives_byte_identical_files(tmp_path):
    generate(tmp_path / "a", carts=800, seed=5)
    generate(tmp_path / "b", carts=800, seed=5)
    generate(tmp_path / "c", carts=800, seed=6)
    a, b, c = (sha256_tree(tmp_path / d) for d in "abc")
    assert len(a) > 20
    assert a == b
    assert a != c


def test_landing_counts_in_the_manifest_match_the_files(landing, con):
    raw, manifest = landing
    stats = manifest["tables"]
    assert set(stats) == {t.replace("/", ".") for t in CONTRACT}
    for table in CONTRACT:
        s = stats[table.replace("/", ".")]
        src = files(raw, table)
        landed = con.execute(f"select count(*) from {src}").fetchone()[0]
        assert s["landed_rows"] == landed, table
        assert s["part_files"] == len(list((raw / table).glob("*.parquet"))), table
        reasons = dict(
            con.execute(
                f"select reason, count(*) from (select {reject_reason_sql(table)} as reason from {src}) "
                "where reason is not null group by reason"
            ).fetchall()
        )
        assert s["rejected"] == reasons, table
        keys = ", ".join(KEYS[table])
        good, distinct = con.execute(
            f"select count(*), count(distinct ({keys})) from {src} where {reject_reason_sql(table)} is null"
        ).fetchone()
        assert s["distinct_keys"] == distinct, table
        assert s["duplicates_removed"] == good - distinct, table
        assert landed == sum(reasons.values()) + distinct + s["duplicates_removed"], table


def test_every_rejection_rule_is_exercised(landing):
    _, manifest = landing
    seen = {(t, r) for t, s in manifest["tables"].items() for r, n in s["rejected"].items() if n > 0}
    for reason in ("null_key", "invalid_timestamp", "unknown_currency", "negative_quantity"):
        assert any(r == reason for _, r in seen), reason
    assert ("shop.cart_events", "negative_quantity") in seen
    assert ("shop.order_lines", "negative_quantity") in seen
    assert ("stripe.charges", "unknown_currency") in seen
    assert all(s["redelivered_rows"] > 0 for t, s in manifest["tables"].items() if t != "shop.product_prices")


def test_redelivered_rows_are_identical_or_newer(landing, con):
    """Redelivery keeps the key; for orders the newest updated_at must also be the newest _loaded_at."""
    raw, _ = landing
    copies = con.execute(
        f"""select count(*), count(*) filter (where files > 1 and same_content) from (
            select event_id, count(distinct filename) files, count(distinct (occurred_at, cart_token, event_name,
                   quantity, unit_price)) = 1 as same_content
            from read_parquet('{raw}/shop/cart_events/*.parquet', filename = true)
            where event_id is not null group by event_id having count(*) > 1)"""
    ).fetchone()
    assert copies[0] > 0 and copies[0] == copies[1], "redelivered events must be exact copies in another part file"
    stale = con.execute(
        f"""select count(*) from (
            select order_id, arg_max(updated_at, _loaded_at) as by_load,
                   max(try_cast(updated_at as timestamptz)) as newest
            from {files(raw, "shop/orders")} where {reject_reason_sql("shop/orders")} is null group by order_id)
        where try_cast(by_load as timestamptz) <> newest"""
    ).fetchone()[0]
    assert stale == 0


def test_as_of_is_the_newest_event_time(landing, con):
    raw, manifest = landing
    parts = []
    for table, cols in TIMESTAMP_COLUMNS.items():
        for col in cols:
            parts.append(
                f"select max(try_cast({col} as timestamptz)) t from {files(raw, table)} "
                f"where {reject_reason_sql(table)} is null"
            )
    for table in ("stripe/charges", "stripe/refunds"):
        parts.append(
            f"select max(to_timestamp(created)) t from {files(raw, table)} where {reject_reason_sql(table)} is null"
        )
    newest = con.execute(f"select strftime(max(t), '%Y-%m-%dT%H:%M:%SZ') from ({' union all '.join(parts)})")
    assert newest.fetchone()[0] == manifest["as_of"]


def test_outcome_and_exception_summaries_match_their_files(landing, con):
    raw, manifest = landing
    outcomes = dict(
        con.execute(
            f"select outcome, count(*) from read_parquet('{raw}/manifest/cart_outcomes.parquet') group by 1"
        ).fetchall()
    )
    assert manifest["cart_outcomes"]["by_outcome"] == outcomes
    assert sum(outcomes.values()) == manifest["carts"] == CARTS
    carts = con.execute(
        f"select count(distinct cart_token) from {files(raw, 'shop/cart_events')} "
        f"where event_name = 'product_added_to_cart' and {reject_reason_sql('shop/cart_events')} is null"
    ).fetchone()[0]
    assert carts == CARTS
    rows = con.execute(
        f"select exception_type, status, count(*) from read_parquet('{raw}/manifest/exceptions.parquet') group by all"
    ).fetchall()
    by_type = manifest["exceptions"]["by_type"]
    assert {(t, s): n for t, s, n in rows} == {(t, s): n for t, v in by_type.items() for s, n in v.items() if n}
    rules = (REPO_ROOT / "seeds" / "exception_rules.csv").read_text().splitlines()[1:]
    assert set(by_type) == {line.split(",")[0] for line in rules}
    for etype, counts in by_type.items():
        assert counts["open"] + counts["resolved"] > 0, f"{etype} never injected"
    for etype in ("order_unpaid", "fulfillment_delayed", "charge_without_order", "recovery_stalled",
                  "recovered_payment_failed", "oversell"):  # fmt: skip
        assert by_type[etype]["resolved"] > 0, f"{etype} never resolved"


# the docs/definitions.md rules applied to the files, independently of how the generator planned the carts
OUTCOME_SQL = """
with events as (
    select cart_token, event_name, try_cast(occurred_at as timestamptz)::timestamp as t
    from (select *, row_number() over (partition by event_id order by _loaded_at desc) rn
          from {cart_events} where {cart_ok} is null) where rn = 1
),
as_of as (select '{as_of}'::timestamp as as_of),
carts as (
    select cart_token,
        bool_or(event_name = 'checkout_started') as has_checkout,
        min(t) filter (where event_name = 'checkout_contact_info_submitted') as contact_at,
        min(t) filter (where event_name = 'checkout_completed') as completed_at
    from events group by cart_token having bool_or(event_name = 'product_added_to_cart')
),
gaps as (
    select e.cart_token, e.t,
        coalesce(lead(e.t) over (partition by e.cart_token order by e.t), a.as_of) - e.t as silence
    from events e cross join as_of a
),
first_silence as (
    select g.cart_token, min(g.t) as silent_from
    from gaps g join carts c using (cart_token)
    where g.t >= c.contact_at and g.silence >= interval 60 minutes
    group by g.cart_token
),
judged as (
    select c.*, s.silent_from,
        case when c.completed_at is not null and c.completed_at <= coalesce(s.silent_from, c.completed_at)
             then null else s.silent_from + interval 60 minutes end as abandoned_at
    from carts c left join first_silence s using (cart_token)
),
orders as (
    select order_id, cart_token, try_cast(created_at as timestamptz)::timestamp as created,
           cancelled_at is not null as is_cancelled, test
    from (select *, row_number() over (partition by order_id order by try_cast(updated_at as timestamptz) desc,
                 _loaded_at desc) rn from {orders} where {orders_ok} is null) where rn = 1
),
recovered as (
    select j.cart_token, min_by(o.order_id, o.created) as order_id, min(o.created) as order_at
    from judged j join orders o on o.cart_token = j.cart_token
    where o.created > j.abandoned_at and o.created <= j.abandoned_at + interval 7 days
      and not o.is_cancelled and not o.test
    group by j.cart_token
),
messages as (
    select cart_token, metric, message_id, try_cast(datetime as timestamptz)::timestamp as t
    from (select *, row_number() over (partition by event_id order by _loaded_at desc) rn
          from {messages} where {messages_ok} is null) where rn = 1 and cart_token is not null
),
deciding as (
    select r.cart_token, arg_max(m.message_id, m.t) as message_id, arg_max(m.metric, m.t) as metric,
           max(m.t) as sent_at
    from recovered r join judged j using (cart_token)
    join messages m on m.cart_token = r.cart_token
    where m.metric in ('Received Email', 'Received SMS') and m.t > j.abandoned_at and m.t < r.order_at
    group by r.cart_token
),
clicks as (
    select message_id, min(t) as clicked_at from messages
    where metric in ('Clicked Email', 'Clicked SMS') group by message_id
)
select j.cart_token,
    case
        when r.order_id is not null and d.cart_token is not null
             and r.order_at <= coalesce(k.clicked_at, d.sent_at) + interval 120 hours then 'recovered_attributed'
        when r.order_id is not null then 'recovered_organic'
        when j.abandoned_at is not null then 'not_recovered'
        when j.completed_at is not null then 'converted'
        when j.contact_at is not null then 'not_yet_abandoned'
        when j.has_checkout then 'no_contact'
        else 'browsing'
    end as outcome,
    case when d.metric = 'Received SMS' then 'sms' when d.metric = 'Received Email' then 'email' end as channel,
    r.order_id as recovered_order_id,
    j.abandoned_at
from judged j
left join recovered r using (cart_token)
left join deciding d using (cart_token)
left join clicks k using (message_id)
"""


def test_every_cart_outcome_follows_the_definitions_applied_to_the_files(landing, con):
    raw, manifest = landing
    sql = OUTCOME_SQL.format(
        cart_events=files(raw, "shop/cart_events"),
        cart_ok=reject_reason_sql("shop/cart_events"),
        orders=files(raw, "shop/orders"),
        orders_ok=reject_reason_sql("shop/orders"),
        messages=files(raw, "messaging/events"),
        messages_ok=reject_reason_sql("messaging/events"),
        as_of=manifest["as_of"].rstrip("Z"),
    )
    con.execute(f"create or replace temp table derived as {sql}")
    mismatches = con.execute(
        f"""select m.cart_token, m.outcome, d.outcome, m.channel, d.channel
        from read_parquet('{raw}/manifest/cart_outcomes.parquet') m
        full join derived d using (cart_token)
        where m.outcome is distinct from d.outcome
           or (m.outcome = 'recovered_attributed' and m.channel is distinct from d.channel)
           or m.recovered_order_id is distinct from d.recovered_order_id
           or (m.abandoned_at is distinct from d.abandoned_at and m.outcome not in ('converted'))
        limit 10"""
    ).fetchall()
    assert mismatches == []
    # every outcome occurs, so the comparison above covered each rule
    assert set(manifest["cart_outcomes"]["by_outcome"]) >= {
        "browsing", "no_contact", "converted", "not_recovered", "recovered_attributed", "recovered_organic",
    }  # fmt: skip
    assert all(v > 0 for v in manifest["cart_outcomes"]["attributed_by_channel"].values())


def test_committed_fx_seed_is_the_generator_rates():
    assert (REPO_ROOT / "seeds" / "fx_rates.csv").read_text() == fx.fx_seed_csv()
    assert (REPO_ROOT / "seeds" / "currencies.csv").read_text() == fx.currencies_seed_csv()


def test_manifest_is_json_with_its_files(landing):
    raw, manifest = landing
    assert json.loads((raw / "manifest.json").read_text()) == manifest
    assert (raw / manifest["cart_outcomes"]["file"]).exists()
    assert (raw / manifest["exceptions"]["file"]).exists()


def test_land_fx_writes_reference_rates(tmp_path, con):
    m = generate(tmp_path / "raw", carts=300, seed=3, land_fx=True)
    rows = con.execute(
        f"select count(*), count(distinct currency), min(rate_date), max(rate_date), max(_loaded_at) "
        f"from read_parquet('{tmp_path}/raw/reference/fx_rates/*.parquet')"
    ).fetchone()
    # the seed's rates from its first day up to the day of the data's as-of, never a rate of a later day
    as_of = dt.datetime.fromisoformat(m["as_of"].replace("Z", "+00:00")).replace(tzinfo=None)
    days = (as_of.date() - fx.FX_START).days + 1
    assert rows[0] == m["tables"]["reference.fx_rates"]["landed_rows"] == days * len(fx.CURRENCIES)
    assert rows[1] == len(fx.CURRENCIES)
    assert (rows[2], rows[3]) == (fx.FX_START, as_of.date())
    assert rows[4] <= as_of


AS_OF = dt.datetime(2027, 3, 14, 15, 9, 26, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def moved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, Path, dict]:
    """One seed generated twice: on the fixed calendar and ending at AS_OF (138 days and 15 h later)."""
    root = tmp_path_factory.mktemp("moved")
    fixed = generate(root / "fixed", carts=CARTS, seed=5)
    later = generate(root / "later", carts=CARTS, seed=5, as_of=AS_OF)
    return root / "fixed", fixed, root / "later", later


def test_as_of_moves_the_whole_data_set_to_end_there(moved, con):
    fixed_dir, fixed, later_dir, later = moved
    shift = AS_OF - dt.datetime.fromisoformat(fixed["as_of"].replace("Z", "+00:00"))
    assert later["as_of"] == "2027-03-14T15:09:26Z"
    # the newest event of the landed data is the as-of itself, and nothing landed after it (+ the landing lag)
    newest = max(
        con.execute(f"select max(try_cast({column} as timestamptz)) from {files(later_dir, table)}").fetchone()[0]
        for table, columns in TIMESTAMP_COLUMNS.items()
        for column in columns
    )
    assert newest == AS_OF
    loaded = con.execute(f"select max(_loaded_at) from read_parquet('{later_dir}/*/*/*.parquet')").fetchone()[0]
    assert AS_OF.replace(tzinfo=None) <= loaded <= AS_OF.replace(tzinfo=None) + dt.timedelta(seconds=5)
    # every time moved by the same amount: the same carts have the same outcomes, abandoned that much later
    pairs = con.execute(
        f"""
        select count(*), count(*) filter (where f.outcome = l.outcome and f.abandoned_at is not distinct from
            l.abandoned_at - to_microseconds({int(shift.total_seconds() * 1e6)}))
        from read_parquet('{fixed_dir}/manifest/cart_outcomes.parquet') as f
        join read_parquet('{later_dir}/manifest/cart_outcomes.parquet') as l using (cart_token)
        """
    ).fetchone()
    assert pairs == (CARTS, CARTS)
    # the FX seed's dates no longer fit: the rates are landed, moved by the whole days of the shift
    first, last = con.execute(
        f"select min(rate_date), max(rate_date) from read_parquet('{later_dir}/reference/fx_rates/*.parquet')"
    ).fetchone()
    assert first == fx.FX_START + dt.timedelta(days=shift.days)
    assert last == AS_OF.date()


def test_cart_price_drift_is_injected_where_only_the_cart_price_shows_it(tmp_path, con):
    """Some recovered orders carry the new catalog price on their lines while the cart showed the old one: the
    ground truth raises price_drift for them, which comparing the order line with the catalog would miss."""
    raw = tmp_path / "raw"
    generate(raw, carts=CARTS, seed=11)
    drifted = {
        row[0]
        for row in con.execute(
            f"select entity_id from read_parquet('{raw}/manifest/exceptions.parquet') "
            "where exception_type = 'price_drift'"
        ).fetchall()
    }
    line_off_catalog = {
        row[0]
        for row in con.execute(
            f"""
            with prices as (
                select sku, upper(trim(currency)) as currency, price, try_cast(valid_from as timestamptz) as valid_from
                from {files(raw, "shop/product_prices")}
            ),
            orders as (
                select distinct on (order_id) order_id, upper(trim(currency)) as currency,
                    try_cast(created_at as timestamptz) as created_at
                from {files(raw, "shop/orders")} order by order_id, updated_at desc
            ),
            lines as (
                select o.order_id, l.sku, l.unit_price, o.currency, o.created_at
                from {files(raw, "shop/order_lines")} as l join orders as o using (order_id)
            ),
            priced as (
                select lines.*, arg_max(prices.price, prices.valid_from) as catalog
                from lines join prices on lines.sku = prices.sku and lines.currency = prices.currency
                    and prices.valid_from <= lines.created_at
                group by all
            )
            select cast(order_id as varchar) from priced where unit_price <> catalog
            """
        ).fetchall()
    }
    assert drifted - line_off_catalog, "some drift shows only against the cart price"

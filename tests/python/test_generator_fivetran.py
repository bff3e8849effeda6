"""The generator's connector format (`format="fivetran"`, docs/connectors.md "Generated connector data").

The connector tables' columns and types are written by hand from Fivetran's dbt packages' macros
(tests/python/fivetran_columns.py), never read from the generator. The same world is checked row by row against
the native format of the same seed, and the checkout-grain truth is recomputed with SQL over the connector files.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pytest
from fivetran_columns import COLUMN_COUNTS, MACROS, columns_of

from cart_recovery import fx
from cart_recovery.cli import main as cli_main
from cart_recovery.generate import generate

REPO_ROOT = Path(__file__).resolve().parents[2]
CARTS = 3000
SEED = 7
CURRENCIES = ", ".join(f"'{c}'" for c in fx.CURRENCIES)
ISO_WITH_OFFSET = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$"


def files(raw: Path, table: str, **options: bool) -> str:
    extra = "".join(f", {k} = {str(v).lower()}" for k, v in options.items())
    return f"read_parquet('{raw}/{table}/*.parquet'{extra})"


def utc(column: str) -> str:
    """A native ISO-8601 timestamp as naive UTC, NULL where the native format rejects it."""
    return (
        f"case when regexp_full_match({column}, '{ISO_WITH_OFFSET}') "
        f"then try_cast({column} as timestamptz)::timestamp end"
    )


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    c.execute("set TimeZone = 'UTC'")
    return c


@pytest.fixture(scope="module")
def worlds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, Path, dict]:
    """One world in both formats."""
    root = tmp_path_factory.mktemp("formats")
    native = generate(root / "native", carts=CARTS, seed=SEED)
    connector = generate(root / "fivetran", carts=CARTS, seed=SEED, format="fivetran")
    return root / "native", native, root / "fivetran", connector


def sha256_tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("seed", [7, 42])
def test_native_output_is_byte_identical_to_before_the_connector_format(tmp_path, seed):
    """Hashes of every file written by the generator of commit 17d04b7 (before the connector format), 3000 carts.
    They pin the Parquet writer too (pyarrow/zstd of pyproject.toml): after a dependency upgrade that changes the
    bytes, record them again from that commit (`git worktree add`) rather than from the code under test."""
    expected = json.loads((Path(__file__).parent / "data" / "native_generator_sha256.json").read_text())[str(seed)]
    generate(tmp_path / "raw", carts=CARTS, seed=seed)
    got = sha256_tree(tmp_path / "raw")
    assert sorted(got) == sorted(expected)
    assert [name for name in expected if got[name] != expected[name]] == []


def test_every_connector_table_has_the_macro_columns_and_types(worlds, con):
    _, _, raw, manifest = worlds
    tables = sorted(str(p.relative_to(raw)) for p in raw.glob("*/*") if p.is_dir() and p.parent.name != "manifest")
    assert tables == sorted(MACROS)
    for table in MACROS:
        expected = columns_of(table)
        assert len(expected) == COLUMN_COUNTS[table], table
        parts = sorted((raw / table).glob("*.parquet"))
        assert parts, table
        for part in parts:
            described = con.execute(f"describe select * from read_parquet('{part}')").fetchall()
            assert [(r[0], r[1]) for r in described] == expected, f"{part} breaks the macro"
        landed = con.execute(f"select count(*) from {files(raw, table)}").fetchone()[0]
        assert manifest["tables"][table.replace("/", ".")]["landed_rows"] == landed, table
    deleted = con.execute(
        f"select count(*) filter (where _fivetran_deleted) from {files(raw, 'shopify/order')}"
    ).fetchone()[0]
    assert deleted == 0


# native table -> (connector table, SQL condition on the pair n (native row), f (connector row) that must hold)
SAME_ROWS = {
    "shop/orders": (
        "shopify/order",
        f"""f.id is not distinct from n.order_id and f.cart_token is not distinct from n.cart_token
        and (f.checkout_token is null) = (n.cart_token is null)
        and f.created_at is not distinct from {utc("n.created_at")}
        and f.updated_at is not distinct from {utc("n.updated_at")}
        and f.cancelled_at is not distinct from {utc("n.cancelled_at")}
        and f.financial_status = n.financial_status and f.total_price = n.total_price::double
        and f.currency = n.currency and f.test = n.test and f.email is not distinct from n.email
        and f.customer_id is not distinct from n.customer_id and not f._fivetran_deleted
        and f.source_name = case n.source_name when 'mobile_app' then
            case when coalesce(n.order_id, 0) % 2 = 0 then 'iphone' else 'android' end
            when 'draft' then 'shopify_draft_order' else n.source_name end""",
    ),
    "shop/order_lines": (
        "shopify/order_line",
        """f.order_id is not distinct from n.order_id and f.index = n.line_number - 1 and f.sku = n.sku
        and f.quantity = n.quantity and f.price = n.unit_price::double and f.id is not null""",
    ),
    "shop/transactions": (
        "shopify/transaction",
        f"""f.id is not distinct from n.transaction_id and f.order_id = n.order_id and f.kind = n.kind
        and f.status = n.status and f.amount = n.amount and f.currency = n.currency and f.gateway = n.gateway
        and f.authorization is not distinct from n.gateway_reference and not f.test
        and f.created_at is not distinct from {utc("n.created_at")}""",
    ),
    "shop/fulfillments": (
        "shopify/fulfillment",
        f"""f.id is not distinct from n.fulfillment_id and f.order_id = n.order_id and f.status = n.status
        and f.created_at is not distinct from {utc("n.created_at")}""",
    ),
    "stripe/charges": (
        "stripe/charge",
        """f.id is not distinct from n.id and f.payment_intent_id = n.payment_intent and f.amount = n.amount
        and f.amount_refunded = n.amount_refunded and f.currency = n.currency and f.status = n.status
        and f.captured = n.captured and f.created = make_timestamp(n.created * 1000000)
        and f.failure_code is not distinct from n.failure_code and f.metadata = n.metadata
        and f.livemode = n.livemode""",
    ),
    "stripe/refunds": (
        "stripe/refund",
        """f.id is not distinct from n.id and f.charge_id = n.charge and f.amount = n.amount
        and f.currency = n.currency and f.status = n.status and f.reason is not distinct from n.reason
        and f.created = make_timestamp(n.created * 1000000)""",
    ),
    "messaging/events": (
        "klaviyo/event",
        f"""f.id is not distinct from n.event_id and f.type = n.metric
        and f.timestamp is not distinct from {utc("n.datetime")} and f.datetime is not distinct from f.timestamp
        and (f.flow_id is not null) = (n.cart_token is not null) and (f.campaign_id is null) = (f.flow_id is not null)
        and (f.flow_message_id is null) = (f.flow_id is null) and f.person_id is not null""",
    ),
}


def test_the_same_world_lands_row_for_row(worlds, con):
    """Where a connector table maps a native one, the same rows land in the same part files at the same time
    (redeliveries and junk rows included), converted."""
    native_dir, native, raw, manifest = worlds
    for native_table, (table, condition) in SAME_ROWS.items():
        n_stats, f_stats = native["tables"][native_table.replace("/", ".")], manifest["tables"][table.replace("/", ".")]
        assert (n_stats["landed_rows"], n_stats["rejected"], n_stats["redelivered_rows"]) == (
            f_stats["landed_rows"],
            f_stats["rejected"],
            f_stats["redelivered_rows"],
        ), table
        assert sorted(p.name for p in (native_dir / native_table).glob("*.parquet")) == sorted(
            p.name for p in (raw / table).glob("*.parquet")
        ), table
        total, same = con.execute(
            f"""select count(*), count(*) filter (where {condition} and f._fivetran_synced = n._loaded_at)
            from {files(native_dir, native_table, filename=True, file_row_number=True)} n
            join {files(raw, table, filename=True, file_row_number=True)} f
              on parse_filename(n.filename) = parse_filename(f.filename) and n.file_row_number = f.file_row_number"""
        ).fetchone()
        assert total == n_stats["landed_rows"] > 0, table
        assert same == total, table
    # Klaviyo people: one per normalised email, every event's person carries its email that way
    people = con.execute(
        f"""select count(*), count(distinct p.id), count(*) filter (where p.email = lower(trim(n.profile_email)))
        from {files(native_dir, "messaging/events", filename=True, file_row_number=True)} n
        join {files(raw, "klaviyo/event", filename=True, file_row_number=True)} f
          on parse_filename(n.filename) = parse_filename(f.filename) and n.file_row_number = f.file_row_number
        join (select distinct id, email from {files(raw, "klaviyo/person")}) p on p.id = f.person_id"""
    ).fetchone()
    assert people[0] == native["tables"]["messaging.events"]["landed_rows"] == people[2]
    emails = con.execute(f"select count(distinct email), count(distinct id) from {files(raw, 'klaviyo/person')}")
    assert emails.fetchone()[0] == people[1]


def test_derived_tables_follow_the_native_world(worlds, con):
    native_dir, _, raw, _ = worlds
    # one checkout per cart that reached checkout; its times are its cart's events
    mismatches = con.execute(
        f"""
        with events as (
            select cart_token, event_name, try_cast(occurred_at as timestamptz)::timestamp as t
            from {files(native_dir, "shop/cart_events")}
            where event_id is not null and cart_token is not null and {utc("occurred_at")} is not null
              and upper(trim(currency)) in ({CURRENCIES}) and coalesce(quantity, 0) >= 0
        ),
        carts as (
            select cart_token, min(t) filter (where event_name = 'checkout_started') as started,
                min(t) filter (where event_name = 'checkout_completed') as completed,
                max(t) filter (where event_name <> 'checkout_completed') as last_activity,
                bool_or(event_name = 'checkout_contact_info_submitted') as contact
            from events group by cart_token having started is not null
        ),
        checkouts as (
            select * from {files(raw, "shopify/abandoned_checkout")}
            qualify row_number() over (partition by id order by _fivetran_synced desc) = 1
        )
        select count(*) filter (where c.cart_token is null or k.id is null
            or k.created_at <> c.started or k.closed_at is distinct from c.completed
            or k.updated_at <> c.last_activity or (k.email is not null) <> c.contact),
            count(*), count(distinct k.token)
        from carts c full join checkouts k using (cart_token)"""
    ).fetchone()
    assert mismatches[0] == 0 and mismatches[1] == mismatches[2] > 0
    # an order carries its checkout's token
    tokens = con.execute(
        f"""select count(*), count(*) filter (where o.checkout_token = k.token)
        from (select distinct cart_token, checkout_token from {files(raw, "shopify/order")}
              where cart_token is not null) o
        join (select distinct cart_token, token from {files(raw, "shopify/abandoned_checkout")}) k using (cart_token)"""
    ).fetchone()
    assert tokens[0] > 0 and tokens[0] == tokens[1]
    # the stock now is what the native movements add up to; one variant, item, level and quantity per SKU
    stock = con.execute(
        f"""
        with native as (
            select sku, sum(quantity_delta) as stock from (
                select distinct movement_id, sku, quantity_delta from {files(native_dir, "shop/inventory_movements")}
                where movement_id is not null and {utc("occurred_at")} is not null)
            group by sku
        ),
        connector as (
            select i.sku, q.quantity from (select distinct * exclude (_fivetran_synced)
                from {files(raw, "shopify/inventory_quantity")}) q
            join (select distinct id, sku from {files(raw, "shopify/inventory_item")}) i on i.id = q.inventory_item_id
            join (select distinct id, inventory_item_id from {files(raw, "shopify/inventory_level")}) l
              on l.id = q.inventory_level_id and l.inventory_item_id = i.id
            where q.name = 'available'
        )
        select count(*), count(*) filter (where n.stock = c.quantity), count(*) filter (where c.quantity < 0),
            (select count(distinct sku) from {files(raw, "shopify/product_variant")})
        from native n full join connector c using (sku)"""
    ).fetchone()
    assert stock[0] == stock[1] == stock[3] > 0 and stock[2] > 0


# docs/definitions.md "Carts" on the checkout's events (docs/connectors.md "Checkout grain"), with recovery
# messages matched by person ("Attribution by person"), over the connector files alone
CHECKOUT_SQL = """
with checkouts as (
    select *, coalesce(cart_token, token) as cart_key from {checkout}
    where id is not null qualify row_number() over (partition by id order by _fivetran_synced desc) = 1
),
events as (
    select cart_key, created_at as t from checkouts
    union all select cart_key, updated_at from checkouts where updated_at > created_at
    union all select cart_key, closed_at from checkouts where closed_at is not null
),
gaps as (
    select cart_key, t, coalesce(lead(t) over (partition by cart_key order by t), '{as_of}'::timestamp) - t as silence
    from events
),
first_silence as (
    select g.cart_key, min(g.t) as silent_from from gaps g join checkouts c using (cart_key)
    where c.email is not null and g.t >= c.created_at and g.silence >= interval 60 minutes group by g.cart_key
),
judged as (
    select c.*, case when c.closed_at is not null and c.closed_at <= coalesce(s.silent_from, c.closed_at) then null
        else s.silent_from + interval 60 minutes end as abandoned_at
    from checkouts c left join first_silence s using (cart_key)
),
orders as (
    select id, cart_token, checkout_token, created_at, cancelled_at is not null as cancelled, test from {orders}
    where id is not null and created_at is not null and updated_at is not null
      and upper(trim(currency)) in ({currencies})
    qualify row_number() over (partition by id order by updated_at desc, _fivetran_synced desc) = 1
),
recovered as (
    select j.cart_key, min_by(o.id, o.created_at) as order_id, min(o.created_at) as order_at
    from judged j join orders o on o.cart_token = j.cart_key or o.checkout_token = j.token
    where o.created_at > j.abandoned_at and o.created_at <= j.abandoned_at + interval 7 days
      and not o.cancelled and not o.test
    group by j.cart_key
),
people as (
    select id, lower(trim(email)) as email from {person}
    qualify row_number() over (partition by id order by _fivetran_synced desc) = 1
),
messages as (
    select e.id, e.type, coalesce(e.flow_message_id, e.campaign_id) as message, e.timestamp as t, p.email
    from (select * from {event} where id is not null and timestamp is not null
          qualify row_number() over (partition by id order by _fivetran_synced desc) = 1) e
    join people p on p.id = e.person_id
),
deciding as (
    select r.cart_key, arg_max(m.type, (m.t, m.id)) as metric, arg_max(m.message, (m.t, m.id)) as message,
        arg_max(m.email, (m.t, m.id)) as email, max(m.t) as sent_at
    from recovered r join judged j using (cart_key) join messages m on m.email = lower(trim(j.email))
    where m.type in ('Received Email', 'Received SMS') and m.t > j.abandoned_at
      and m.t <= j.abandoned_at + interval 120 hours and m.t < r.order_at
    group by r.cart_key
),
clicks as (
    select d.cart_key, min(m.t) as clicked_at from deciding d
    join messages m on m.email = d.email and m.message = d.message and m.type like 'Clicked %' and m.t > d.sent_at
    group by d.cart_key
),
rates as (select rate_date, currency, rate_to_usd from read_csv('{fx}', types = {{'rate_to_usd': 'DECIMAL(18,8)'}}))
select j.cart_key as cart_token,
    case
        when r.order_id is not null and d.cart_key is not null
             and r.order_at <= coalesce(k.clicked_at, d.sent_at) + interval 120 hours then 'recovered_attributed'
        when r.order_id is not null then 'recovered_organic'
        when j.abandoned_at is not null then 'not_recovered'
        when j.closed_at is not null then 'converted'
        when j.email is not null then 'not_yet_abandoned'
        else 'no_contact'
    end as outcome,
    case when r.order_id is null or r.order_at > coalesce(k.clicked_at, d.sent_at) + interval 120 hours then null
         when d.metric = 'Received SMS' then 'sms' when d.metric = 'Received Email' then 'email' end as channel,
    r.order_id as recovered_order_id,
    j.abandoned_at,
    j.total_price::decimal(18, 2) * x.rate_to_usd as cart_value_usd
from judged j
left join recovered r using (cart_key)
left join deciding d using (cart_key)
left join clicks k using (cart_key)
left join rates x on x.rate_date = j.created_at::date and x.currency = upper(j.currency)
"""


def checkout_sql(raw: Path, as_of: str) -> str:
    return CHECKOUT_SQL.format(
        checkout=files(raw, "shopify/abandoned_checkout"),
        orders=files(raw, "shopify/order"),
        person=files(raw, "klaviyo/person"),
        event=files(raw, "klaviyo/event"),
        currencies=CURRENCIES,
        fx=REPO_ROOT / "seeds" / "fx_rates.csv",
        as_of=as_of.rstrip("Z"),
    )


def test_checkout_truth_follows_the_rules_applied_to_the_connector_files(worlds, con):
    _, _, raw, manifest = worlds
    con.execute(f"create or replace temp table derived_checkouts as {checkout_sql(raw, manifest['as_of'])}")
    truth = f"read_parquet('{raw}/manifest/checkout_outcomes.parquet')"
    mismatches = con.execute(
        f"""select m.cart_token, m.outcome, d.outcome, m.channel, d.channel, m.abandoned_at, d.abandoned_at
        from {truth} m full join derived_checkouts d using (cart_token)
        where m.outcome is distinct from d.outcome or m.channel is distinct from d.channel
           or m.recovered_order_id is distinct from d.recovered_order_id
           or m.abandoned_at is distinct from d.abandoned_at or m.cart_value_usd is distinct from d.cart_value_usd
        limit 10"""
    ).fetchall()
    assert mismatches == []
    checked = con.execute("select count(*) from derived_checkouts").fetchone()[0]
    by_outcome = manifest["checkout_outcomes"]["by_outcome"]
    assert checked == sum(by_outcome.values()) >= 300
    assert set(by_outcome) == {
        "no_contact", "converted", "not_recovered", "recovered_attributed", "recovered_organic",
    }  # fmt: skip
    assert all(v > 0 for v in manifest["checkout_outcomes"]["attributed_by_channel"].values())
    assert manifest["format"] == "fivetran" and "cart_outcomes" not in manifest


def test_exceptions_at_checkout_grain(worlds, con):
    native_dir, _, raw, manifest = worlds
    key = "exception_type, entity_type, entity_id, clock_start_at, due_at, status, resolved_at"
    order_types = ("order_unpaid", "charge_without_order", "amount_mismatch", "duplicate_capture",
                   "refund_exceeds_capture", "processor_mismatch", "fulfillment_delayed")  # fmt: skip
    in_types = ", ".join(f"'{t}'" for t in order_types)
    only = con.execute(
        f"""select count(*) from ((select {key} from read_parquet('{native_dir}/manifest/exceptions.parquet')
            where exception_type in ({in_types})
            except all select {key} from read_parquet('{raw}/manifest/exceptions.parquet'))
        union all (select {key} from read_parquet('{raw}/manifest/exceptions.parquet')
            where exception_type in ({in_types})
            except all select {key} from read_parquet('{native_dir}/manifest/exceptions.parquet')))"""
    ).fetchone()[0]
    assert only == 0
    by_type = manifest["exceptions"]["by_type"]
    assert by_type["price_drift"] == {"open": 0, "resolved": 0}
    for etype in ("recovery_stalled", "recovered_payment_failed", "oversell"):
        assert sum(by_type[etype].values()) > 0, etype
    # recovery_stalled is raised on checkouts, recovered_payment_failed on orders that recover one
    entities = con.execute(
        f"""select e.exception_type, count(*), count(c.cart_token), count(r.recovered_order_id)
        from read_parquet('{raw}/manifest/exceptions.parquet') e
        left join read_parquet('{raw}/manifest/checkout_outcomes.parquet') c
          on e.exception_type = 'recovery_stalled' and c.cart_token = e.entity_id and c.abandoned_at = e.clock_start_at
        left join read_parquet('{raw}/manifest/checkout_outcomes.parquet') r
          on e.exception_type = 'recovered_payment_failed' and r.recovered_order_id::varchar = e.entity_id
        where e.exception_type in ('recovery_stalled', 'recovered_payment_failed') group by 1 order by 1"""
    ).fetchall()
    assert entities[0][1] == entities[0][3] and entities[1][1] == entities[1][2]
    # oversell on derived movements: a sale (order line) of a SKU whose stock now is negative, never resolved
    oversold = con.execute(
        f"""select count(*), count(*) filter (where q.quantity < 0 and e.status = 'open')
        from read_parquet('{raw}/manifest/exceptions.parquet') e
        join (select distinct id, sku from {files(raw, "shopify/order_line")}) l on l.id::varchar = e.entity_id
        join (select distinct id, sku from {files(raw, "shopify/inventory_item")}) i on i.sku = l.sku
        join (select distinct inventory_item_id, quantity from {files(raw, "shopify/inventory_quantity")}) q
          on q.inventory_item_id = i.id
        where e.exception_type = 'oversell'"""
    ).fetchone()
    assert oversold[0] == oversold[1] == sum(by_type["oversell"].values())


def test_neutral_rejects_gives_null_timestamps_and_the_same_rejections(tmp_path, con):
    plain = generate(tmp_path / "plain", carts=500, seed=3)
    neutral = generate(tmp_path / "neutral", carts=500, seed=3, neutral_rejects=True)
    assert {t: s["rejected"] for t, s in plain["tables"].items()} == {
        t: s["rejected"] for t, s in neutral["tables"].items()
    }
    for table, column in (("shop/orders", "created_at"), ("shop/cart_events", "occurred_at"),
                          ("messaging/events", "datetime"), ("shop/product_prices", "valid_from")):  # fmt: skip
        bad = con.execute(
            f"""select count(*) filter (where {column} is not null and {utc(column)} is null),
                count(*) filter (where {column} is null)
            from {files(tmp_path / "neutral", table)}"""
        ).fetchone()
        assert bad[0] == 0 and bad[1] == neutral["tables"][table.replace("/", ".")]["rejected"]["invalid_timestamp"]
    # the connector format is the same either way: every bad timestamp is NULL there anyway
    generate(tmp_path / "ft", carts=500, seed=3, format="fivetran", neutral_rejects=True)
    generate(tmp_path / "ft2", carts=500, seed=3, format="fivetran")
    assert sha256_tree(tmp_path / "ft") == sha256_tree(tmp_path / "ft2")


def test_cli_generates_the_connector_format_ending_at_as_of(tmp_path, con, capsys):
    out = tmp_path / "raw"
    code = cli_main(
        ["generate", "--format", "fivetran", "--carts", "300", "--seed", "4", "--out", str(out),
         "--as-of", "2027-03-14T15:09:26Z"]
    )  # fmt: skip
    assert code == 0
    assert '"checkout_outcomes"' in capsys.readouterr().out
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["format"] == "fivetran" and manifest["as_of"] == "2027-03-14T15:09:26Z"
    newest, synced = con.execute(
        f"select max(timestamp), max(_fivetran_synced) from {files(out, 'klaviyo/event')}"
    ).fetchone()
    assert str(newest) == "2027-03-14 15:09:26" and synced <= newest.replace(second=31)
    assert (out / "reference" / "fx_rates").is_dir()

"""Recovery funnel marts (docs/definitions.md "Carts") against the generator's ground truth.

Ground truth: manifest/cart_outcomes.parquet, one row per cart with its outcome, attributed channel, recovering
order, abandoned_at and exact cart value. Checked on two seeds (the `seeded_warehouse` fixture).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import duckdb
import pytest
from conftest import Warehouse

REPORTING_TIMEZONE = ZoneInfo("America/New_York")
RECOVERY_WINDOW = timedelta(days=7)


@pytest.fixture
def con(seeded_warehouse: Warehouse) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = seeded_warehouse.attached("cart_outcomes")
    yield connection
    connection.close()


def _as_of(con: duckdb.DuckDBPyConnection) -> datetime:
    (as_of,) = con.execute("select as_of from wh.intermediate.int_warehouse__as_of").fetchall()[0]
    return as_of


def test_every_cart_outcome_matches_the_manifest(con: duckdb.DuckDBPyConnection) -> None:
    """Per cart: outcome, attributed channel, recovering order, abandoned_at and exact value equal the truth."""
    mismatches = con.execute(
        """
        select t.cart_token, t.outcome, o.cart_outcome, t.channel, o.attributed_channel,
               t.recovered_order_id, o.recovered_order_id, t.abandoned_at, o.abandoned_at,
               t.cart_value_usd, o.cart_value_reporting_unrounded
        from truth as t
        full outer join wh.intermediate.int_carts__outcomes as o on t.cart_token = o.cart_token
        where t.cart_token is null or o.cart_token is null
           or t.outcome <> o.cart_outcome
           or t.channel is distinct from o.attributed_channel
           or t.recovered_order_id is distinct from o.recovered_order_id
           or t.abandoned_at is distinct from o.abandoned_at
           or t.cart_value_usd <> o.cart_value_reporting_unrounded
        """
    ).fetchall()
    assert len(mismatches) == 0, f"{len(mismatches)} carts differ from the manifest, e.g. {mismatches[:5]}"


def test_fct_cart_recovery_holds_every_checkout_cart_with_its_outcome(con: duckdb.DuckDBPyConnection) -> None:
    """The public mart: one row per cart that reached checkout, outcome and rounded value as in the truth."""
    mismatches = con.execute(
        """
        select t.cart_token, t.outcome, f.cart_outcome, t.cart_value_usd, f.cart_value
        from (select * from truth where outcome <> 'browsing') as t
        full outer join wh.fct_cart_recovery as f on t.cart_token = f.cart_token
        where t.cart_token is null or f.cart_token is null
           or t.outcome <> f.cart_outcome
           or t.channel is distinct from f.attributed_channel
           or t.recovered_order_id is distinct from f.recovered_order_id
           or t.abandoned_at is distinct from f.abandoned_at
           or cast(t.cart_value_usd as decimal(18, 2)) <> f.cart_value
           or (f.recovery_type is null) <> (t.outcome not in ('not_recovered', 'recovered_attributed',
                                                               'recovered_organic'))
        """
    ).fetchall()
    assert mismatches == []


def test_outcome_counts_equal_the_manifest_summary(con: duckdb.DuckDBPyConnection, seeded_warehouse) -> None:
    summary = json.loads((seeded_warehouse.raw_dir / "manifest.json").read_text())["cart_outcomes"]
    counted = dict(
        con.execute("select cart_outcome, count(*) from wh.intermediate.int_carts__outcomes group by 1").fetchall()
    )
    assert counted == summary["by_outcome"]
    by_channel = dict(
        con.execute(
            "select channel, sum(recovered_attributed) from wh.fct_recovery_funnel_daily "
            "where channel in ('email', 'sms') group by 1"
        ).fetchall()
    )
    assert by_channel == summary["attributed_by_channel"]


def test_funnel_totals_add_up_to_every_cart(con: duckdb.DuckDBPyConnection) -> None:
    """Each cart sits in exactly one funnel row: the rows add up to the truth's totals per stage."""
    totals = con.execute(
        """
        select sum(carts), sum(checkouts_started), sum(contact_captured), sum(abandoned),
               sum(recovered), sum(recovered_attributed), sum(recovered_organic)
        from wh.fct_recovery_funnel_daily
        """
    ).fetchall()[0]
    expected = con.execute(
        """
        select count(*),
               count(*) filter (where outcome <> 'browsing'),
               count(*) filter (where outcome not in ('browsing', 'no_contact')),
               count(*) filter (where outcome in ('not_recovered', 'recovered_attributed', 'recovered_organic')),
               count(*) filter (where outcome in ('recovered_attributed', 'recovered_organic')),
               count(*) filter (where outcome = 'recovered_attributed'),
               count(*) filter (where outcome = 'recovered_organic')
        from truth
        """
    ).fetchall()[0]
    assert totals == expected


def test_cohort_date_is_the_new_york_date_of_abandonment(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        "select abandoned_at, cohort_date from wh.fct_cart_recovery where is_abandoned order by cart_token"
    ).fetchall()
    assert rows
    wrong = [
        (abandoned_at, cohort_date)
        for abandoned_at, cohort_date in rows
        if abandoned_at.replace(tzinfo=UTC).astimezone(REPORTING_TIMEZONE).date() != cohort_date
    ]
    assert wrong == []


def test_provisional_cohorts_are_those_whose_recovery_window_is_still_open(
    con: duckdb.DuckDBPyConnection,
) -> None:
    as_of = _as_of(con).replace(tzinfo=UTC)
    rows = con.execute("select distinct cohort_date, is_provisional from wh.fct_recovery_funnel_daily").fetchall()

    def end_of_local_day(day: date) -> datetime:
        return datetime.combine(day + timedelta(days=1), datetime.min.time(), REPORTING_TIMEZONE)

    expected = {day: end_of_local_day(day) + RECOVERY_WINDOW > as_of for day, _ in rows}
    assert dict(rows) == expected
    assert any(expected.values()) and not all(expected.values()), "the data has provisional and mature cohorts"


def test_recovered_revenue_is_stripe_net_paid_of_the_recovering_order(con: duckdb.DuckDBPyConnection) -> None:
    mismatches = con.execute(
        """
        select f.cart_token, f.recovered_revenue, o.captured_amount_reporting, o.refunded_amount_reporting
        from wh.fct_cart_recovery as f
        inner join wh.fct_orders as o on f.recovered_order_id = o.order_id
        where f.recovered_revenue
              <> coalesce(o.captured_amount_reporting, 0) - coalesce(o.refunded_amount_reporting, 0)
        """
    ).fetchall()
    assert mismatches == []
    (funnel_revenue,) = con.execute("select sum(recovered_revenue) from wh.fct_recovery_funnel_daily").fetchall()[0]
    (cart_revenue,) = con.execute("select sum(recovered_revenue) from wh.fct_cart_recovery").fetchall()[0]
    assert funnel_revenue == cart_revenue > 0

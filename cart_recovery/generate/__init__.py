"""Landing-data generator with ground truth.

Writes every raw table of the landing contract as Parquet part files under ``out/<system>/<table>/part-*.parquet`` and
a ground-truth manifest (``out/manifest.json`` plus per-cart outcomes and exception instances as Parquet under
``out/manifest/``).

How it works: the generator first plans a whole "future" of ~120 days (carts, orders, payments, messages...), then cuts
it at ``CUTOFF``: nothing after the cut has happened yet. ``as_of`` is the newest event time that survived the cut.
Every ground-truth figure is then derived from the planned timelines and the kept rows with the rules of
docs/definitions.md, as documented in ``docs``-style comments in the modules below (and in the README), so later models
can be checked against it. Everything is vectorised with numpy; the only per-row work happens inside DuckDB (timestamp
text).

Modules, in the order the data flows through them:

- ``constants``, ``arrays``: calendar, rates and vocabularies; small numpy/Arrow helpers
- ``world`` (with the mixin ``order_plans``): the planned world, the one object holding every timeline
- ``shop_tables``, ``payment_tables``, ``stripe_tables``, ``messaging_tables``: the raw rows of each system
  (``raw_table.Table``), cut at ``CUTOFF``, plus junk rows from ``rejects``
- ``writer`` with ``schemas``: landing (``_loaded_at``, redeliveries, weekly part files) under the landing contract
- ``truth``, ``manifest``: as-of, cart outcomes, exception instances and the manifest

The connector format (``format="fivetran"``, docs/connectors.md) writes the same world as Fivetran's Shopify,
Stripe and Klaviyo tables: the native tables are built as above and each is converted before landing
(``fivetran_tables``), so the same rows land, are redelivered and are rejected; the tables the connector has
and the native format has not are derived from the world (``fivetran_derived``), every column typed as
``fivetran_schemas`` says; its ground truth is restated at checkout grain (``fivetran_truth``).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from cart_recovery.generate.constants import CUTOFF, DAY, RULES_CSV, load_slas
from cart_recovery.generate.fivetran_derived import derived_tables
from cart_recovery.generate.fivetran_schemas import FIVETRAN_SCHEMAS, SYNCED
from cart_recovery.generate.fivetran_tables import Connector, convert
from cart_recovery.generate.fivetran_truth import checkout_exceptions_table, checkout_outcomes_table, checkout_truth
from cart_recovery.generate.manifest import build_manifest, outcome_summary
from cart_recovery.generate.messaging_tables import messaging_events_table
from cart_recovery.generate.payment_tables import payment_tables
from cart_recovery.generate.raw_table import Table
from cart_recovery.generate.rejects import neutralise_invalid_timestamps
from cart_recovery.generate.schemas import SCHEMAS
from cart_recovery.generate.shop_tables import (
    cart_events_table,
    fulfillments_table,
    inventory_movements_table,
    order_lines_table,
    orders_table,
    product_prices_table,
)
from cart_recovery.generate.truth import as_of_time, cart_outcomes_table, exceptions_table
from cart_recovery.generate.world import World
from cart_recovery.generate.writer import land_fx_rates, land_table, skip_table

__all__ = ["FORMATS", "generate"]

FORMATS = ("native", "fivetran")


def generate(
    out_dir: Path,
    carts: int = 20_000,
    seed: int = 42,
    land_fx: bool = False,
    rules: Path = RULES_CSV,
    as_of: dt.datetime | None = None,
    format: str = "native",
    neutral_rejects: bool = False,
) -> dict:
    """Generate landing data for `carts` carts into out_dir (replacing it) and return the manifest.

    The landed data ends at `as_of` (its newest event; timezone-aware, or naive UTC): every time is the plan's
    moved by the same number of seconds, and no row lands after it. Without `as_of` the data keeps the plan's
    fixed calendar (ending at CUTOFF), as the tests use it. When the move spans whole days the FX rates are
    landed too (reference/fx_rates), moved by those days: the FX seed's dates would no longer match.

    `format`: "native" (the landing contract, README "Landing real data") or "fivetran" (the same world as
    Fivetran's Shopify, Stripe and Klaviyo tables, with the ground truth at checkout grain; docs/connectors.md).
    `neutral_rejects`: every invalid-timestamp junk row carries a NULL timestamp instead of bad text, the one
    defect both formats can hold, so that the two formats of one world reject exactly the same records."""
    if carts < 100:
        raise ValueError("carts must be at least 100")
    if format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    out_dir = Path(out_dir)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    shift = 0 if as_of is None else _epoch_seconds(as_of) - CUTOFF
    world = World(carts, seed, load_slas(rules), shift=shift)
    world.plan()
    land_rng = np.random.default_rng([seed, 1])
    connector = Connector.start(world) if format == "fivetran" else None
    table_stats = {}
    for full_name, table in build_tables(world):
        if neutral_rejects:
            neutralise_invalid_timestamps(table)
        if connector is None:
            table_stats[full_name] = land_table(table, out_dir, land_rng, SCHEMAS[full_name], shift=shift)
            continue
        converted = convert(connector, full_name, table)
        if converted is None:  # no such connector table: the same draws, so later tables land as natively
            skip_table(table, land_rng)
        else:
            name = f"{converted.system}.{converted.name}"
            table_stats[name] = _land_connector(converted, out_dir, land_rng, shift)
        del table, converted
    if connector is not None:
        for name, table in derived_tables(connector):
            table_stats[name] = _land_connector(table, out_dir, connector.rng, shift)
    if land_fx or shift // DAY != 0:
        table_stats["reference.fx_rates"] = land_fx_rates(out_dir, shift)
    as_of_planned = as_of_time(world)
    # the newest newsletter goes out at the cut (messaging_tables.py): the data ends exactly where asked
    assert as_of_planned == CUTOFF, (as_of_planned, CUTOFF)
    world.outcomes = cart_outcomes_table(world, as_of_planned)
    (out_dir / "manifest").mkdir()
    if connector is None:
        exceptions = exceptions_table(world, as_of_planned)
        pq.write_table(world.outcomes, out_dir / "manifest" / "cart_outcomes.parquet", compression="zstd")
    else:
        truth = checkout_truth(connector, as_of_planned)
        checkout_outcomes = checkout_outcomes_table(connector, truth)
        exceptions = checkout_exceptions_table(connector, truth, as_of_planned)
        pq.write_table(checkout_outcomes, out_dir / "manifest" / "checkout_outcomes.parquet", compression="zstd")
    pq.write_table(exceptions, out_dir / "manifest" / "exceptions.parquet", compression="zstd")
    manifest = build_manifest(world, seed, as_of_planned, table_stats, exceptions)
    if connector is not None:  # the cart grain cannot be read from connector tables: its truth is not written
        del manifest["cart_outcomes"]
        manifest["checkout_outcomes"] = outcome_summary(checkout_outcomes, "manifest/checkout_outcomes.parquet")
        manifest["format"] = format
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def _land_connector(table: Table, out_dir: Path, rng: np.random.Generator, shift: int) -> dict:
    name = f"{table.system}.{table.name}"
    return land_table(table, out_dir, rng, FIVETRAN_SCHEMAS[name], shift=shift, loaded_column=SYNCED)


def _epoch_seconds(moment: dt.datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return int(moment.timestamp())


def build_tables(world: World) -> Iterator[tuple[str, Table]]:
    """Raw tables one at a time, so each can be landed (and freed) before the next is built."""
    yield "shop.cart_events", cart_events_table(world)
    yield "shop.orders", orders_table(world)
    yield "shop.order_lines", order_lines_table(world)
    tx, ch, rf = payment_tables(world)
    yield "shop.transactions", tx
    del tx
    yield "stripe.charges", ch
    del ch
    yield "stripe.refunds", rf
    del rf
    yield "shop.fulfillments", fulfillments_table(world)
    yield "shop.inventory_movements", inventory_movements_table(world)
    yield "shop.product_prices", product_prices_table(world)
    yield "messaging.events", messaging_events_table(world)

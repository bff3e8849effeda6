"""The connector tables with no native table behind them, derived from the planned world after the native tables
were built: Shopify's abandoned checkouts, product variants and inventory snapshots, and Klaviyo's people,
flows, campaigns and metrics (docs/connectors.md). What needs randomness draws from the connector's own
generator (`Connector.rng`), so the native format's output stays as it was."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cart_recovery.generate.arrays import labels
from cart_recovery.generate.constants import CUR_DIGITS, CURRENCIES, CUTOFF, DAY, INF, START
from cart_recovery.generate.fivetran_schemas import empty_columns
from cart_recovery.generate.fivetran_tables import Connector, flow_id, metric_id, person_ids
from cart_recovery.generate.raw_table import Table
from cart_recovery.generate.world import World
from cart_recovery.generate.writer import loaded_at_us

CHECKOUT_ID = 2_700_000_000
VARIANT_ID = 41_900_000_000
#: below every order line id: a derived restock (movement id = its inventory item id) sorts before the sales
#: of the same second (docs/connectors.md "Inventory from snapshots")
INVENTORY_ITEM_ID = 4_390_000_000
INVENTORY_LEVEL_ID = 18_400_000_000
INVENTORY_QUANTITY_ID = 18_500_000_000
LOCATION_ID = 61_000_000_001
#: when the catalog, flows and metrics were set up (the first catalog price is valid from then)
CATALOG_T = START - 30 * DAY
STOCKED_T = START - 10 * DAY


def derived_tables(conn: Connector) -> Iterator[tuple[str, Table]]:
    yield "shopify.abandoned_checkout", abandoned_checkout_table(conn)
    yield from catalog_tables(conn.world)
    yield from klaviyo_tables(conn)


def _timestamps(world: World, t: np.ndarray, present: np.ndarray | None = None) -> pa.Array:
    """Planned times as landed naive UTC timestamps (null where not `present`)."""
    us = world.landed(np.where(present, t, 0) if present is not None else t) * 1_000_000
    return pa.array(us.astype("datetime64[us]"), mask=None if present is None else ~present)


def _table(full_name: str, columns: dict, t: np.ndarray, is_final: np.ndarray | None = None) -> Table:
    system, name = full_name.split(".")
    final = np.ones(len(t), dtype=bool) if is_final is None else is_final
    return Table(system, name, columns, np.asarray(t, dtype=np.int64), final, ("id",))


# ---------------------------------------------------------------------------------------------------- checkouts
def checkouts(world: World) -> dict[str, np.ndarray]:
    """Every cart that reached checkout by the cut, in the order of its checkout: its times as the connector
    knows them (from the cart's landed native events) and its value."""
    ev = world.kept_cart_events
    n = world.n_carts

    def first(name: int) -> np.ndarray:
        t = np.full(n, INF)
        sel = ev["name"] == name
        np.minimum.at(t, ev["cart"][sel], ev["t"][sel])
        return t

    created, contact, closed = first(2), first(3), first(6)
    updated = np.full(n, -INF)
    sel = ev["name"] != 6  # the last activity before completion (an exact-return cart's return counts)
    np.maximum.at(updated, ev["cart"][sel], ev["t"][sel])
    cart = np.nonzero(created < INF)[0]
    cart = cart[np.lexsort((cart, created[cart]))]
    kept_lines = ~world.line_removed
    minor = np.zeros(n, dtype=np.int64)
    np.add.at(minor, world.line_cart[kept_lines], world.line_qty[kept_lines] * world.line_price[kept_lines])
    return {
        "cart": cart,
        "id": CHECKOUT_ID + np.arange(len(cart), dtype=np.int64) * 3 + 2,
        "created": created[cart],
        "updated": updated[cart],
        "closed": closed[cart],
        "contact": contact[cart],
        "minor": minor[cart],
        "cur": world.cur[cart],
    }


def abandoned_checkout_table(conn: Connector) -> Table:
    """One row per checkout and version: as created, as last updated (when later), as closed (when closed), each
    landed at its own time (a version landing with a later one is superseded in that sync and not delivered);
    the email from the contact step on."""
    world = conn.world
    ck = checkouts(world)
    k = len(ck["cart"])
    email = world.typed_emails(world.email_kind[ck["cart"]], world.email_num[ck["cart"]], rng=conn.rng)
    ck["email"] = pc.if_else(pa.array(ck["contact"] < INF), email, pa.nulls(k, pa.string()))
    conn.checkouts = ck
    pos = [np.arange(k)]
    vt = [ck["created"]]
    later = ck["updated"] > ck["created"]
    pos.append(np.nonzero(later)[0])
    vt.append(ck["updated"][later])
    closed = ck["closed"] < INF
    pos.append(np.nonzero(closed)[0])
    vt.append(ck["closed"][closed])
    version = np.concatenate([np.full(len(p), v) for v, p in enumerate(pos)])
    pos, vt = np.concatenate(pos), np.concatenate(vt)
    srt = np.lexsort((version, pos))
    pos, vt, version = pos[srt], vt[srt], version[srt]
    # a version the same sync supersedes is never delivered: every landed version has its own _fivetran_synced
    loaded = loaded_at_us(vt)
    delivered = np.append((pos[1:] != pos[:-1]) | (loaded[1:] != loaded[:-1]), True)
    pos, vt, version = pos[delivered], vt[delivered], version[delivered]
    last = np.append(pos[1:] != pos[:-1], True)
    n = len(pos)
    cart = ck["cart"][pos]
    cols = empty_columns("shopify.abandoned_checkout", n)
    cols["_fivetran_deleted"] = pa.array(np.zeros(n, dtype=bool))
    cols["cart_token"] = world.token.take(pa.array(cart))
    cols["token"] = conn.checkout_token.take(pa.array(cart))
    cols["id"] = pa.array(ck["id"][pos])
    cols["created_at"] = _timestamps(world, ck["created"][pos])
    cols["updated_at"] = _timestamps(world, np.where(version == 0, ck["created"][pos], ck["updated"][pos]))
    cols["closed_at"] = _timestamps(world, ck["closed"][pos], version == 2)
    cols["email"] = pc.if_else(
        pa.array(vt >= ck["contact"][pos]), ck["email"].take(pa.array(pos)), pa.nulls(n, pa.string())
    )
    customer = world.customer_id[cart]
    cols["customer_id"] = pa.array(customer, mask=customer < 0)
    cols["currency"] = labels(CURRENCIES, ck["cur"][pos])
    cols["total_price"] = pa.array(ck["minor"][pos] / 10.0 ** CUR_DIGITS[ck["cur"][pos]])
    cols["source_name"] = pa.array(["web"] * n, pa.string())
    return _table("shopify.abandoned_checkout", cols, vt, last)


# ---------------------------------------------------------------------------------------------------- catalog
def stock_now(world: World) -> tuple[np.ndarray, np.ndarray]:
    """Per SKU: the stock at the cut (every landed native movement) and the time of its last movement."""
    inv = world.kept_inv
    stock = np.zeros(world.n_sku_all, dtype=np.int64)
    np.add.at(stock, inv["sku"], inv["delta"])
    last = np.full(world.n_sku_all, STOCKED_T)
    np.maximum.at(last, inv["sku"], inv["t"])
    return stock, last


def catalog_tables(world: World) -> Iterator[tuple[str, Table]]:
    s = np.arange(world.n_sku_all, dtype=np.int64)
    n = len(s)
    sku = labels(world.sku_names, s)
    changed = world.price_change_t <= CUTOFF
    updated = np.where(changed, world.price_change_t, CATALOG_T)
    cols = empty_columns("shopify.product_variant", n)
    cols["id"] = pa.array(VARIANT_ID + s)
    cols["created_at"] = _timestamps(world, np.full(n, CATALOG_T))
    cols["updated_at"] = _timestamps(world, updated)
    cols["inventory_item_id"] = pa.array(INVENTORY_ITEM_ID + s)
    cols["price"] = pa.array(world.catalog_price(s, np.zeros(n, dtype=np.int64), np.full(n, CUTOFF)) / 100.0)
    cols["sku"] = sku
    yield "shopify.product_variant", _table("shopify.product_variant", cols, updated)

    cols = empty_columns("shopify.inventory_item", n)
    cols["_fivetran_deleted"] = pa.array(np.zeros(n, dtype=bool))
    cols["id"] = pa.array(INVENTORY_ITEM_ID + s)
    cols["sku"] = sku
    yield "shopify.inventory_item", _table("shopify.inventory_item", cols, np.full(n, STOCKED_T))

    cols = empty_columns("shopify.inventory_level", n)
    cols["inventory_item_id"] = pa.array(INVENTORY_ITEM_ID + s)
    cols["location_id"] = pa.array(np.full(n, LOCATION_ID))
    cols["id"] = pa.array(INVENTORY_LEVEL_ID + s)
    yield "shopify.inventory_level", _table("shopify.inventory_level", cols, np.full(n, STOCKED_T))

    stock, last = stock_now(world)
    cols = empty_columns("shopify.inventory_quantity", n)
    cols["id"] = pa.array(INVENTORY_QUANTITY_ID + s)
    cols["inventory_item_id"] = pa.array(INVENTORY_ITEM_ID + s)
    cols["inventory_level_id"] = pa.array(INVENTORY_LEVEL_ID + s)
    cols["name"] = pa.array(["available"] * n, pa.string())
    cols["quantity"] = pa.array(stock)
    cols["updated_at"] = _timestamps(world, last)
    yield "shopify.inventory_quantity", _table("shopify.inventory_quantity", cols, last)


# ---------------------------------------------------------------------------------------------------- klaviyo
def klaviyo_tables(conn: Connector) -> Iterator[tuple[str, Table]]:
    """People (one per normalised email, landed with their first event), the flows, campaigns and metrics the
    events name."""
    msgs = conn.messages
    firsts = (
        pa.table({"email": msgs["email"], "t": msgs["t"]})
        .filter(pc.is_valid(msgs["email"]))
        .group_by("email", use_threads=False)
        .aggregate([("t", "min")])
        .sort_by([("t_min", "ascending"), ("email", "ascending")])
    )
    n = firsts.num_rows
    cols = empty_columns("klaviyo.person", n)
    cols["_fivetran_deleted"] = pa.array(np.zeros(n, dtype=bool))
    cols["email"] = firsts.column("email").combine_chunks()
    cols["id"] = person_ids(cols["email"])
    yield "klaviyo.person", _table("klaviyo.person", cols, firsts.column("t_min").to_numpy())

    def named(full_name: str, ids: list[str], names: list[str], t: np.ndarray) -> tuple[str, Table]:
        cols = empty_columns(full_name, len(ids))
        cols["_fivetran_deleted"] = pa.array(np.zeros(len(ids), dtype=bool))
        cols["id"] = pa.array(ids, pa.string())
        cols["name"] = pa.array(names, pa.string())
        return full_name, _table(full_name, cols, t)

    flows = conn.flows
    yield named("klaviyo.flow", [flow_id(i) for i in range(len(flows))], flows, np.full(len(flows), CATALOG_T))
    campaign_ids = list(conn.campaigns)
    first_send = pa.table({"id": msgs["message"], "t": msgs["t"]}).group_by("id", use_threads=False)
    first_send = dict(zip(*first_send.aggregate([("t", "min")]).to_pydict().values(), strict=True))
    sent = [first_send[c] for c in campaign_ids]
    yield named("klaviyo.campaign", campaign_ids, list(conn.campaigns.values()), np.array(sent, dtype=np.int64))
    metrics = conn.metrics
    yield named(
        "klaviyo.metric", [metric_id(i) for i in range(len(metrics))], metrics, np.full(len(metrics), CATALOG_T)
    )

"""The connector format (Fivetran's Shopify, Stripe and Klaviyo tables) of the native tables that map row for row.

Each native `Table` built by the *_tables.py modules is converted, good rows and junk rows alike, into its
connector table before it is landed with the same landing machinery, so the same rows are redelivered and
rejected (docs/connectors.md "What each connector table becomes"). Junk rows keep their defect where the
connector's types can hold it: null keys stay null, unknown currencies stay, and a timestamp the native format
rejects (wrong text) becomes NULL, since a typed column cannot hold "yesterday".

`Connector` holds what the connector tables share beyond the world (the checkouts' tokens, Klaviyo's ids) and
what the checkout-grain ground truth (fivetran_truth.py) reads from the converted rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cart_recovery.generate.arrays import hex_tokens, sql_array
from cart_recovery.generate.fivetran_schemas import empty_columns
from cart_recovery.generate.raw_table import Table
from cart_recovery.generate.world import World

#: order line ids: the landed lines in the native row order from here, junk rows from a range of their own
ORDER_LINE_ID = 7_700_000_000
_JUNK_ID_STEP = 1_000_000_000
_ISO_WITH_OFFSET = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$"
#: Klaviyo rows without a cart token are newsletters: campaign messages, not flow messages
RECEIVED = ("Received Email", "Received SMS")


@dataclass
class Connector:
    """The connector format's own state: its random generator ([seed, 3], so the native draws stay as they
    were), the checkout token of every cart, Klaviyo's vocabularies and the Klaviyo rows the truth reads."""

    world: World
    rng: np.random.Generator
    checkout_token: pa.Array
    flows: list[str] = field(default_factory=list)
    metrics: list[str] = field(default_factory=list)
    campaigns: dict[str, str] = field(default_factory=dict)  # id -> name
    messages: dict[str, np.ndarray | pa.Array] = field(default_factory=dict)  # the good Klaviyo events
    checkouts: dict[str, np.ndarray | pa.Array] = field(default_factory=dict)  # fivetran_derived.checkouts

    @classmethod
    def start(cls, world: World) -> Connector:
        rng = np.random.default_rng([world.seed, 3])
        return cls(world, rng, hex_tokens(rng, world.n_carts))

    def checkout_tokens_of(self, cart_tokens: pa.Array) -> pa.Array:
        """The checkout token of each cart token's cart (null without a cart)."""
        return self.checkout_token.take(pc.index_in(cart_tokens, value_set=self.world.token))


def order_line_ids(world: World) -> np.ndarray:
    """The connector id of every planned order line (world.order_lines), -1 for the lines not landed."""
    landed = world.kept_order[world.order_lines["order"]]
    return np.where(landed, ORDER_LINE_ID + np.cumsum(landed) - 1, -1)


def convert(connector: Connector, native_name: str, table: Table) -> Table | None:
    """The connector table of one native table (None: the connector has no such table, see fivetran_derived.py)."""
    if native_name not in CONVERSIONS:
        return None
    full_name, columns_of = CONVERSIONS[native_name]
    n = len(table.event_time)
    columns = columns_of(connector, table.columns, n, 0)
    rejected = {
        reason: columns_of(connector, cols, len(table.rejected_time[reason]), group + 1)
        for group, (reason, cols) in enumerate(table.rejected.items())
    }
    if native_name == "messaging.events":
        connector.messages["t"] = np.asarray(table.event_time)
    system, name = full_name.split(".")
    return Table(system, name, columns, table.event_time, table.is_final, ("id",), rejected, dict(table.rejected_time))


# ---------------------------------------------------------------------------------------------------- values
def _arrow(col, typ: pa.DataType) -> pa.Array:
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    if isinstance(col, pa.Array):
        return col.cast(typ)
    return pa.array(np.asarray(col), typ)


def utc_timestamps(text) -> pa.Array:
    """ISO-8601 text with an offset as naive UTC timestamps; any other text (what the native format rejects as
    invalid_timestamp) as NULL."""
    expr = (
        "case when regexp_full_match(x, '"
        + _ISO_WITH_OFFSET
        + "') then timezone('UTC', try_cast(x as timestamptz)) end"
    )
    return sql_array(expr, x=_arrow(text, pa.string())).cast(pa.timestamp("us"))


def epoch_timestamps(seconds) -> pa.Array:
    """Epoch seconds (Stripe's `created`) as naive UTC timestamps."""
    return pc.multiply(_arrow(seconds, pa.int64()), 1_000_000).cast(pa.timestamp("us"))


def money_double(decimal) -> pa.Array:
    """DECIMAL money as the nearest double (through its text: Arrow's decimal cast to double is not always the
    nearest one), which rounds back to the same minor units."""
    if isinstance(decimal, pa.ChunkedArray):
        decimal = decimal.combine_chunks()
    return pc.cast(pc.cast(decimal, pa.string()), pa.float64())


def _false(n: int) -> pa.Array:
    return pa.array(np.zeros(n, dtype=bool))


def normalised_email(email) -> pa.Array:
    """lower(trim(email)) as the warehouse computes it (customer_key): SQL's trim strips spaces only."""
    return sql_array("lower(trim(e))", e=_arrow(email, pa.string()))


# ---------------------------------------------------------------------------------------------------- shopify
def order_columns(conn: Connector, c: dict, n: int, group: int) -> dict:
    out = empty_columns("shopify.order", n)
    order_id = _arrow(c["order_id"], pa.int64())
    out["id"] = order_id
    out["cart_token"] = _arrow(c["cart_token"], pa.string())
    out["checkout_token"] = conn.checkout_tokens_of(out["cart_token"])
    for column in ("created_at", "updated_at", "cancelled_at"):
        out[column] = utc_timestamps(c[column])
    out["financial_status"] = _arrow(c["financial_status"], pa.string())
    out["total_price"] = money_double(c["total_price"])
    out["currency"] = _arrow(c["currency"], pa.string())
    out["source_name"] = sql_array(
        "case s when 'mobile_app' then case when coalesce(i, 0) % 2 = 0 then 'iphone' else 'android' end"
        " when 'draft' then 'shopify_draft_order' else s end",
        s=_arrow(c["source_name"], pa.string()),
        i=order_id,
    )
    out["test"] = _arrow(c["test"], pa.bool_())
    out["email"] = _arrow(c["email"], pa.string())
    out["customer_id"] = _arrow(c["customer_id"], pa.int64())
    out["_fivetran_deleted"] = _false(n)
    return out


def order_line_columns(conn: Connector, c: dict, n: int, group: int) -> dict:
    out = empty_columns("shopify.order_line", n)
    out["id"] = pa.array(ORDER_LINE_ID + group * _JUNK_ID_STEP + np.arange(n, dtype=np.int64))
    out["order_id"] = _arrow(c["order_id"], pa.int64())
    out["index"] = pc.subtract(_arrow(c["line_number"], pa.int64()), 1)
    out["sku"] = _arrow(c["sku"], pa.string())
    out["quantity"] = _arrow(c["quantity"], pa.int64())
    out["price"] = money_double(c["unit_price"])
    return out


def transaction_columns(conn: Connector, c: dict, n: int, group: int) -> dict:
    out = empty_columns("shopify.transaction", n)
    out["id"] = _arrow(c["transaction_id"], pa.int64())
    out["order_id"] = _arrow(c["order_id"], pa.int64())
    out["kind"] = _arrow(c["kind"], pa.string())
    out["status"] = _arrow(c["status"], pa.string())
    out["amount"] = _arrow(c["amount"], out["amount"].type)
    out["currency"] = _arrow(c["currency"], pa.string())
    out["gateway"] = _arrow(c["gateway"], pa.string())
    out["authorization"] = _arrow(c["gateway_reference"], pa.string())
    out["created_at"] = utc_timestamps(c["created_at"])
    out["test"] = _false(n)
    return out


def fulfillment_columns(conn: Connector, c: dict, n: int, group: int) -> dict:
    out = empty_columns("shopify.fulfillment", n)
    out["id"] = _arrow(c["fulfillment_id"], pa.int64())
    out["order_id"] = _arrow(c["order_id"], pa.int64())
    out["status"] = _arrow(c["status"], pa.string())
    out["created_at"] = utc_timestamps(c["created_at"])
    return out


# ---------------------------------------------------------------------------------------------------- stripe
def charge_columns(conn: Connector, c: dict, n: int, group: int) -> dict:
    out = empty_columns("stripe.charge", n)
    for column in ("id", "currency", "status", "failure_code", "metadata"):
        out[column] = _arrow(c[column], pa.string())
    out["payment_intent_id"] = _arrow(c["payment_intent"], pa.string())
    out["amount"] = _arrow(c["amount"], pa.int64())
    out["amount_refunded"] = _arrow(c["amount_refunded"], pa.int64())
    out["captured"] = _arrow(c["captured"], pa.bool_())
    out["created"] = epoch_timestamps(c["created"])
    out["livemode"] = _arrow(c["livemode"], pa.bool_())
    return out


def refund_columns(conn: Connector, c: dict, n: int, group: int) -> dict:
    out = empty_columns("stripe.refund", n)
    for column in ("id", "currency", "status", "reason"):
        out[column] = _arrow(c[column], pa.string())
    out["charge_id"] = _arrow(c["charge"], pa.string())
    out["amount"] = _arrow(c["amount"], pa.int64())
    out["created"] = epoch_timestamps(c["created"])
    return out


# ---------------------------------------------------------------------------------------------------- klaviyo
def flow_id(i: int) -> str:
    return f"FLOW{i + 1:02d}"


def flow_message_id(i: int) -> str:
    """Each recovery flow sends one message per cart: one flow message per flow (its first position)."""
    return f"FMSG{i + 1:02d}"


def metric_id(i: int) -> str:
    return f"MTRC{i + 1:02d}"


def event_columns(conn: Connector, c: dict, n: int, group: int) -> dict:
    out = empty_columns("klaviyo.event", n)
    metric = _arrow(c["metric"], pa.string())
    flow_name = _arrow(c["flow_name"], pa.string())
    message_id = _arrow(c["message_id"], pa.string())
    is_flow = pc.is_valid(_arrow(c["cart_token"], pa.string()))
    if group == 0:  # vocabularies from the good rows (junk rows are copies of them)
        conn.flows = sorted(set(flow_name.filter(is_flow).to_pylist()))
        conn.metrics = sorted(set(metric.to_pylist()))
        is_campaign = pc.invert(is_flow)
        conn.campaigns = dict(
            sorted(
                zip(
                    campaign_ids(message_id.filter(is_campaign)).to_pylist(),
                    flow_name.filter(is_campaign).to_pylist(),
                    strict=True,
                )
            )
        )
    flow_idx = pc.index_in(flow_name, value_set=pa.array(conn.flows, pa.string()))
    flow_idx = pc.if_else(is_flow, flow_idx, pa.nulls(n, pa.int32()))
    campaign = pc.if_else(is_flow, pa.nulls(n, pa.string()), campaign_ids(message_id))
    email = normalised_email(c["profile_email"])
    out["id"] = _arrow(c["event_id"], pa.string())
    out["type"] = metric
    out["metric_id"] = pa.array([metric_id(i) for i in range(len(conn.metrics))], pa.string()).take(
        pc.index_in(metric, value_set=pa.array(conn.metrics, pa.string()))
    )
    out["person_id"] = person_ids(email)
    out["flow_id"] = pa.array([flow_id(i) for i in range(len(conn.flows))], pa.string()).take(flow_idx)
    out["flow_message_id"] = pa.array([flow_message_id(i) for i in range(len(conn.flows))], pa.string()).take(flow_idx)
    out["campaign_id"] = campaign
    out["timestamp"] = out["datetime"] = utc_timestamps(c["datetime"])
    out["_fivetran_deleted"] = _false(n)
    if group == 0:
        conn.messages = {
            "id": out["id"],
            "email": email,
            "metric": metric,
            "message": pc.coalesce(out["flow_message_id"], campaign),
        }
    return out


def campaign_ids(message_id: pa.Array) -> pa.Array:
    """One campaign per newsletter (the native message id nl_<week>): CAMP<week>."""
    return pc.replace_substring(message_id, "nl_", "CAMP")


def person_ids(normalised: pa.Array) -> pa.Array:
    """A stable Klaviyo person id per normalised email (a ULID-like 26 characters from its md5)."""
    return sql_array("case when e is not null then '01' || upper(md5(e))[1:24] end", e=normalised)


CONVERSIONS: dict[str, tuple[str, Callable]] = {
    "shop.orders": ("shopify.order", order_columns),
    "shop.order_lines": ("shopify.order_line", order_line_columns),
    "shop.transactions": ("shopify.transaction", transaction_columns),
    "stripe.charges": ("stripe.charge", charge_columns),
    "stripe.refunds": ("stripe.refund", refund_columns),
    "shop.fulfillments": ("shopify.fulfillment", fulfillment_columns),
    "messaging.events": ("klaviyo.event", event_columns),
}

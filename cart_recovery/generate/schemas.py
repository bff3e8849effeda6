"""The landing contract: the Arrow schema of every raw table (SPEC §3), `_loaded_at` excluded."""

from __future__ import annotations

import pyarrow as pa

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

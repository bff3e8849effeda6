"""The connector format's tables: every column of Fivetran's dbt packages' `get_<table>_columns` macros
(fivetran/dbt_shopify REST, dbt_stripe, dbt_klaviyo), in macro order, as Arrow schemas.

The macros' types are dbt cross-database types; the Parquet types follow what a warehouse holds for them:
Shopify ids and other `int`/`numeric`/`bigint` as int64 (Shopify ids do not fit 32 bits), Shopify `numeric` money
(transaction amounts) as DECIMAL(28,6), every `float` as double, Stripe `int` (minor units) as int64, Stripe and
Klaviyo ids as strings, timestamps naive UTC (µs), booleans, strings.
"""

from __future__ import annotations

import pyarrow as pa

_ADDRESS = "address_1 address_2 city company country country_code first_name last_name latitude longitude name phone"
_ADDRESS += " province province_code zip"


def _address(prefix: str) -> str:
    return " ".join(f"{prefix}_{part}:string" for part in _ADDRESS.split())


# (system, table) -> "column:macro_type ..." in macro order
_MACROS: dict[tuple[str, str], str] = {
    ("shopify", "abandoned_checkout"): (
        "_fivetran_deleted:boolean _fivetran_synced:timestamp abandoned_checkout_url:string "
        + _address("billing_address")
        + " buyer_accepts_marketing:boolean cart_token:string closed_at:timestamp created_at:timestamp"
        " currency:string customer_id:int customer_locale:string device_id:int email:string gateway:string id:int"
        " landing_site_base_url:string location_id:int name:string note:string phone:string"
        " presentment_currency:string referring_site:string "
        + _address("shipping_address")
        + " source_name:string subtotal_price:float taxes_included:boolean token:string total_discounts:float"
        " total_duties:string total_line_items_price:float total_price:float total_tax:float total_weight:int"
        " updated_at:timestamp user_id:int"
    ),
    ("shopify", "order"): (
        "id:numeric processed_at:timestamp updated_at:timestamp user_id:numeric total_discounts:float"
        " total_discounts_set:string total_line_items_price:float total_line_items_price_set:string"
        " total_price:float total_price_set:string total_tax_set:string total_tax:float source_name:string"
        " subtotal_price:float taxes_included:boolean total_weight:numeric total_tip_received:float"
        " landing_site_base_url:string location_id:numeric name:string note:string number:numeric"
        " order_number:numeric cancel_reason:string cancelled_at:timestamp cart_token:string checkout_token:string"
        " closed_at:timestamp created_at:timestamp currency:string customer_id:numeric email:string"
        " financial_status:string fulfillment_status:string referring_site:string "
        + _address("billing_address")
        + " browser_ip:string buyer_accepts_marketing:boolean total_shipping_price_set:string "
        + _address("shipping_address")
        + " test:boolean token:string _fivetran_synced:timestamp _fivetran_deleted:boolean app_id:int"
        " checkout_id:int client_details_user_agent:string customer_locale:string order_status_url:string"
        " presentment_currency:string confirmed:boolean"
    ),
    ("shopify", "order_line"): (
        "_fivetran_synced:timestamp fulfillable_quantity:numeric fulfillment_status:string gift_card:boolean"
        " grams:numeric id:numeric index:numeric name:string order_id:numeric pre_tax_price:float"
        " pre_tax_price_set:string price:float price_set:string product_id:numeric quantity:numeric"
        " requires_shipping:boolean sku:string taxable:boolean tax_code:string title:string total_discount:float"
        " total_discount_set:string variant_id:numeric variant_title:string variant_inventory_management:string"
        " vendor:string properties:string"
    ),
    ("shopify", "transaction"): (
        "id:numeric order_id:numeric refund_id:numeric amount:numeric created_at:timestamp processed_at:timestamp"
        " device_id:numeric gateway:string source_name:string message:string currency:string location_id:numeric"
        " parent_id:numeric payment_avs_result_code:string payment_credit_card_bin:string"
        " payment_cvv_result_code:string payment_credit_card_number:string payment_credit_card_company:string"
        " kind:string receipt:string currency_exchange_id:numeric currency_exchange_adjustment:numeric"
        " currency_exchange_original_amount:numeric currency_exchange_final_amount:numeric"
        " currency_exchange_currency:string error_code:string status:string test:boolean user_id:numeric"
        " _fivetran_synced:timestamp authorization_expires_at:timestamp authorization:string"
    ),
    ("shopify", "fulfillment"): (
        "_fivetran_synced:timestamp created_at:timestamp id:int location_id:int name:string order_id:int"
        " service:string shipment_status:string status:string tracking_company:string tracking_number:string"
        " tracking_numbers:string tracking_urls:string updated_at:timestamp"
    ),
    ("shopify", "product_variant"): (
        "id:numeric _fivetran_synced:timestamp created_at:timestamp updated_at:timestamp product_id:numeric"
        " inventory_item_id:numeric title:string price:float sku:string position:numeric inventory_policy:string"
        " compare_at_price:float taxable:boolean barcode:string inventory_quantity:numeric tax_code:string"
        " available_for_sale:boolean display_name:string legacy_resource_id:bigint requires_components:boolean"
        " sellable_online_quantity:int"
    ),
    ("shopify", "inventory_item"): (
        "_fivetran_deleted:boolean _fivetran_synced:timestamp country_code_of_origin:string created_at:timestamp"
        " id:bigint province_code_of_origin:string requires_shipping:boolean sku:string tracked:boolean"
        " updated_at:timestamp duplicate_sku_count:int harmonized_system_code:string inventory_history_url:string"
        " legacy_resource_id:bigint measurement_id:bigint measurement_weight_value:float"
        " measurement_weight_unit:string tracked_editable_locked:boolean tracked_editable_reason:string"
        " unit_cost_amount:float unit_cost_currency_code:string cost:float"
    ),
    ("shopify", "inventory_level"): (
        "_fivetran_synced:timestamp inventory_item_id:int location_id:int updated_at:timestamp"
        " can_deactivate:boolean created_at:timestamp deactivation_alert:string id:int"
    ),
    ("shopify", "inventory_quantity"): (
        "id:int inventory_item_id:int inventory_level_id:int name:string quantity:int updated_at:timestamp"
        " _fivetran_synced:timestamp"
    ),
    ("stripe", "charge"): (
        "_fivetran_synced:timestamp amount:int amount_refunded:int application:string application_fee_amount:int"
        " balance_transaction_id:string bank_account_id:string calculated_statement_descriptor:string"
        " captured:boolean card_id:string connected_account_id:string created:timestamp currency:string"
        " customer_id:string description:string destination:string failure_code:string failure_message:string"
        " fraud_details_stripe_report:string fraud_details_user_report:string id:string invoice_id:string"
        " livemode:boolean metadata:string on_behalf_of:string outcome_network_status:string outcome_reason:string"
        " outcome_risk_level:string outcome_risk_score:int outcome_seller_message:string outcome_type:string"
        " paid:boolean payment_intent_id:string payment_method_id:string receipt_email:string"
        " receipt_number:string receipt_url:string refunded:boolean shipping_address_city:string"
        " shipping_address_country:string shipping_address_line_1:string shipping_address_line_2:string"
        " shipping_address_postal_code:string shipping_address_state:string shipping_carrier:string"
        " shipping_name:string shipping_phone:string shipping_tracking_number:string source_id:string"
        " source_transfer:string statement_descriptor:string status:string transfer_data_destination:string"
        " transfer_group:string transfer_id:string billing_detail_address_city:string"
        " billing_detail_address_country:string billing_detail_address_line1:string"
        " billing_detail_address_line2:string billing_detail_address_postal_code:string"
        " billing_detail_address_state:string billing_detail_email:string billing_detail_name:string"
        " billing_detail_phone:string"
    ),
    ("stripe", "refund"): (
        "_fivetran_synced:timestamp amount:int balance_transaction_id:string charge_id:string"
        " payment_intent_id:string created:timestamp currency:string description:string"
        " failure_balance_transaction_id:string failure_reason:string id:string metadata:string reason:string"
        " receipt_number:string status:string"
    ),
    ("klaviyo", "event"): (
        "_fivetran_deleted:boolean _fivetran_synced:timestamp _variation:string campaign_id:string"
        " datetime:timestamp flow_id:string flow_message_id:string id:string metric_id:string person_id:string"
        " timestamp:timestamp type:string uuid:string property_attribution:string property_value:string"
        " propertyAttribution:string propertyValue:string"
    ),
    ("klaviyo", "person"): (
        "_fivetran_deleted:boolean _fivetran_synced:timestamp address_1:string address_2:string city:string"
        " country:string created:timestamp email:string first_name:string id:string last_name:string"
        " latitude:float longitude:float organization:string phone_number:string region:string timezone:string"
        " title:string updated:timestamp zip:string last_event_date:timestamp"
    ),
    ("klaviyo", "flow"): (
        "_fivetran_deleted:boolean _fivetran_synced:timestamp created:timestamp id:string name:string"
        " status:string updated:timestamp archived:boolean trigger_type:string"
    ),
    ("klaviyo", "campaign"): (
        "_fivetran_deleted:boolean _fivetran_synced:timestamp campaign_type:string created:timestamp"
        " email_template_id:string from_email:string from_name:string id:string name:string send_time:timestamp"
        " sent_at:timestamp status:string status_id:string status_label:string subject:string updated:timestamp"
        " archived:boolean scheduled:timestamp"
    ),
    ("klaviyo", "metric"): (
        "_fivetran_deleted:boolean _fivetran_synced:timestamp created:timestamp id:string integration_id:string"
        " integration_category:string integration_name:string name:string updated:timestamp"
    ),
}

#: Shopify `numeric` columns holding money (DECIMAL(28,6), as the package's `numeric`); other numerics are counts
#: or ids (int64)
_NUMERIC_MONEY = {
    ("shopify", "transaction"): {
        "amount",
        "currency_exchange_adjustment",
        "currency_exchange_original_amount",
        "currency_exchange_final_amount",
    }
}

_TYPES = {
    "string": pa.string(),
    "timestamp": pa.timestamp("us"),
    "boolean": pa.bool_(),
    "float": pa.float64(),
    "int": pa.int64(),
    "bigint": pa.int64(),
    "numeric": pa.int64(),
}
MONEY_NUMERIC = pa.decimal128(28, 6)


def _schema(key: tuple[str, str], spec: str) -> pa.Schema:
    money = _NUMERIC_MONEY.get(key, set())
    fields = []
    for item in spec.split():
        name, macro_type = item.split(":")
        fields.append((name, MONEY_NUMERIC if name in money else _TYPES[macro_type]))
    return pa.schema(fields)


#: "shopify.order" -> the table's Arrow schema, `_fivetran_synced` included (written by the landing)
FIVETRAN_SCHEMAS: dict[str, pa.Schema] = {f"{s}.{t}": _schema((s, t), spec) for (s, t), spec in _MACROS.items()}

SYNCED = "_fivetran_synced"


def empty_columns(full_name: str, n: int) -> dict[str, pa.Array]:
    """Every column of the table but `_fivetran_synced`, all null (a table fills in what the world knows)."""
    return {f.name: pa.nulls(n, f.type) for f in FIVETRAN_SCHEMAS[full_name] if f.name != SYNCED}

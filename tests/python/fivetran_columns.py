"""Every column of Fivetran's dbt packages' `get_*_columns` macros (fivetran/dbt_shopify REST, dbt_stripe,
dbt_klaviyo), in macro order, with the Parquet (DuckDB) type connector data uses; written by hand from the
packages, never read from the generator (tests/python/test_generator_fivetran.py compares the generator to it)."""

from __future__ import annotations

_ADDRESS = ["address_1", "address_2", "city", "company", "country", "country_code", "first_name", "last_name",
            "latitude", "longitude", "name", "phone", "province", "province_code", "zip"]  # fmt: skip


def _address(prefix: str) -> str:
    return ", ".join(f"{prefix}_{part} VARCHAR" for part in _ADDRESS)


# Every column of the package macro, in macro order, with the Parquet (DuckDB) type the connector data uses:
# Shopify ids and counts BIGINT, Shopify float money DOUBLE, transaction amounts DECIMAL(28,6), Stripe minor units
# BIGINT, Stripe and Klaviyo ids VARCHAR, timestamps TIMESTAMP.
MACROS: dict[str, str] = {
    "shopify/abandoned_checkout": "_fivetran_deleted BOOLEAN, _fivetran_synced TIMESTAMP, "
    f"abandoned_checkout_url VARCHAR, {_address('billing_address')}, buyer_accepts_marketing BOOLEAN, "
    "cart_token VARCHAR, closed_at TIMESTAMP, created_at TIMESTAMP, currency VARCHAR, customer_id BIGINT, "
    "customer_locale VARCHAR, device_id BIGINT, email VARCHAR, gateway VARCHAR, id BIGINT, "
    "landing_site_base_url VARCHAR, location_id BIGINT, name VARCHAR, note VARCHAR, phone VARCHAR, "
    f"presentment_currency VARCHAR, referring_site VARCHAR, {_address('shipping_address')}, source_name VARCHAR, "
    "subtotal_price DOUBLE, taxes_included BOOLEAN, token VARCHAR, total_discounts DOUBLE, total_duties VARCHAR, "
    "total_line_items_price DOUBLE, total_price DOUBLE, total_tax DOUBLE, total_weight BIGINT, "
    "updated_at TIMESTAMP, user_id BIGINT",
    "shopify/order": "id BIGINT, processed_at TIMESTAMP, updated_at TIMESTAMP, user_id BIGINT, "
    "total_discounts DOUBLE, total_discounts_set VARCHAR, total_line_items_price DOUBLE, "
    "total_line_items_price_set VARCHAR, total_price DOUBLE, total_price_set VARCHAR, total_tax_set VARCHAR, "
    "total_tax DOUBLE, source_name VARCHAR, subtotal_price DOUBLE, taxes_included BOOLEAN, total_weight BIGINT, "
    "total_tip_received DOUBLE, landing_site_base_url VARCHAR, location_id BIGINT, name VARCHAR, note VARCHAR, "
    "number BIGINT, order_number BIGINT, cancel_reason VARCHAR, cancelled_at TIMESTAMP, cart_token VARCHAR, "
    "checkout_token VARCHAR, closed_at TIMESTAMP, created_at TIMESTAMP, currency VARCHAR, customer_id BIGINT, "
    "email VARCHAR, financial_status VARCHAR, fulfillment_status VARCHAR, referring_site VARCHAR, "
    f"{_address('billing_address')}, browser_ip VARCHAR, buyer_accepts_marketing BOOLEAN, "
    f"total_shipping_price_set VARCHAR, {_address('shipping_address')}, test BOOLEAN, token VARCHAR, "
    "_fivetran_synced TIMESTAMP, _fivetran_deleted BOOLEAN, app_id BIGINT, checkout_id BIGINT, "
    "client_details_user_agent VARCHAR, customer_locale VARCHAR, order_status_url VARCHAR, "
    "presentment_currency VARCHAR, confirmed BOOLEAN",
    "shopify/order_line": "_fivetran_synced TIMESTAMP, fulfillable_quantity BIGINT, fulfillment_status VARCHAR, "
    "gift_card BOOLEAN, grams BIGINT, id BIGINT, index BIGINT, name VARCHAR, order_id BIGINT, "
    "pre_tax_price DOUBLE, pre_tax_price_set VARCHAR, price DOUBLE, price_set VARCHAR, product_id BIGINT, "
    "quantity BIGINT, requires_shipping BOOLEAN, sku VARCHAR, taxable BOOLEAN, tax_code VARCHAR, title VARCHAR, "
    "total_discount DOUBLE, total_discount_set VARCHAR, variant_id BIGINT, variant_title VARCHAR, "
    "variant_inventory_management VARCHAR, vendor VARCHAR, properties VARCHAR",
    "shopify/transaction": "id BIGINT, order_id BIGINT, refund_id BIGINT, amount DECIMAL(28,6), "
    "created_at TIMESTAMP, processed_at TIMESTAMP, device_id BIGINT, gateway VARCHAR, source_name VARCHAR, "
    "message VARCHAR, currency VARCHAR, location_id BIGINT, parent_id BIGINT, payment_avs_result_code VARCHAR, "
    "payment_credit_card_bin VARCHAR, payment_cvv_result_code VARCHAR, payment_credit_card_number VARCHAR, "
    "payment_credit_card_company VARCHAR, kind VARCHAR, receipt VARCHAR, currency_exchange_id BIGINT, "
    "currency_exchange_adjustment DECIMAL(28,6), currency_exchange_original_amount DECIMAL(28,6), "
    "currency_exchange_final_amount DECIMAL(28,6), currency_exchange_currency VARCHAR, error_code VARCHAR, "
    "status VARCHAR, test BOOLEAN, user_id BIGINT, _fivetran_synced TIMESTAMP, "
    "authorization_expires_at TIMESTAMP, authorization VARCHAR",
    "shopify/fulfillment": "_fivetran_synced TIMESTAMP, created_at TIMESTAMP, id BIGINT, location_id BIGINT, "
    "name VARCHAR, order_id BIGINT, service VARCHAR, shipment_status VARCHAR, status VARCHAR, "
    "tracking_company VARCHAR, tracking_number VARCHAR, tracking_numbers VARCHAR, tracking_urls VARCHAR, "
    "updated_at TIMESTAMP",
    "shopify/product_variant": "id BIGINT, _fivetran_synced TIMESTAMP, created_at TIMESTAMP, "
    "updated_at TIMESTAMP, product_id BIGINT, inventory_item_id BIGINT, title VARCHAR, price DOUBLE, sku VARCHAR, "
    "position BIGINT, inventory_policy VARCHAR, compare_at_price DOUBLE, taxable BOOLEAN, barcode VARCHAR, "
    "inventory_quantity BIGINT, tax_code VARCHAR, available_for_sale BOOLEAN, display_name VARCHAR, "
    "legacy_resource_id BIGINT, requires_components BOOLEAN, sellable_online_quantity BIGINT",
    "shopify/inventory_item": "_fivetran_deleted BOOLEAN, _fivetran_synced TIMESTAMP, "
    "country_code_of_origin VARCHAR, created_at TIMESTAMP, id BIGINT, province_code_of_origin VARCHAR, "
    "requires_shipping BOOLEAN, sku VARCHAR, tracked BOOLEAN, updated_at TIMESTAMP, duplicate_sku_count BIGINT, "
    "harmonized_system_code VARCHAR, inventory_history_url VARCHAR, legacy_resource_id BIGINT, "
    "measurement_id BIGINT, measurement_weight_value DOUBLE, measurement_weight_unit VARCHAR, "
    "tracked_editable_locked BOOLEAN, tracked_editable_reason VARCHAR, unit_cost_amount DOUBLE, "
    "unit_cost_currency_code VARCHAR, cost DOUBLE",
    "shopify/inventory_level": "_fivetran_synced TIMESTAMP, inventory_item_id BIGINT, location_id BIGINT, "
    "updated_at TIMESTAMP, can_deactivate BOOLEAN, created_at TIMESTAMP, deactivation_alert VARCHAR, id BIGINT",
    "shopify/inventory_quantity": "id BIGINT, inventory_item_id BIGINT, inventory_level_id BIGINT, name VARCHAR, "
    "quantity BIGINT, updated_at TIMESTAMP, _fivetran_synced TIMESTAMP",
    "stripe/charge": "_fivetran_synced TIMESTAMP, amount BIGINT, amount_refunded BIGINT, application VARCHAR, "
    "application_fee_amount BIGINT, balance_transaction_id VARCHAR, bank_account_id VARCHAR, "
    "calculated_statement_descriptor VARCHAR, captured BOOLEAN, card_id VARCHAR, connected_account_id VARCHAR, "
    "created TIMESTAMP, currency VARCHAR, customer_id VARCHAR, description VARCHAR, destination VARCHAR, "
    "failure_code VARCHAR, failure_message VARCHAR, fraud_details_stripe_report VARCHAR, "
    "fraud_details_user_report VARCHAR, id VARCHAR, invoice_id VARCHAR, livemode BOOLEAN, metadata VARCHAR, "
    "on_behalf_of VARCHAR, outcome_network_status VARCHAR, outcome_reason VARCHAR, outcome_risk_level VARCHAR, "
    "outcome_risk_score BIGINT, outcome_seller_message VARCHAR, outcome_type VARCHAR, paid BOOLEAN, "
    "payment_intent_id VARCHAR, payment_method_id VARCHAR, receipt_email VARCHAR, receipt_number VARCHAR, "
    "receipt_url VARCHAR, refunded BOOLEAN, shipping_address_city VARCHAR, shipping_address_country VARCHAR, "
    "shipping_address_line_1 VARCHAR, shipping_address_line_2 VARCHAR, shipping_address_postal_code VARCHAR, "
    "shipping_address_state VARCHAR, shipping_carrier VARCHAR, shipping_name VARCHAR, shipping_phone VARCHAR, "
    "shipping_tracking_number VARCHAR, source_id VARCHAR, source_transfer VARCHAR, "
    "statement_descriptor VARCHAR, status VARCHAR, transfer_data_destination VARCHAR, transfer_group VARCHAR, "
    "transfer_id VARCHAR, billing_detail_address_city VARCHAR, billing_detail_address_country VARCHAR, "
    "billing_detail_address_line1 VARCHAR, billing_detail_address_line2 VARCHAR, "
    "billing_detail_address_postal_code VARCHAR, billing_detail_address_state VARCHAR, "
    "billing_detail_email VARCHAR, billing_detail_name VARCHAR, billing_detail_phone VARCHAR",
    "stripe/refund": "_fivetran_synced TIMESTAMP, amount BIGINT, balance_transaction_id VARCHAR, "
    "charge_id VARCHAR, payment_intent_id VARCHAR, created TIMESTAMP, currency VARCHAR, description VARCHAR, "
    "failure_balance_transaction_id VARCHAR, failure_reason VARCHAR, id VARCHAR, metadata VARCHAR, "
    "reason VARCHAR, receipt_number VARCHAR, status VARCHAR",
    "klaviyo/event": "_fivetran_deleted BOOLEAN, _fivetran_synced TIMESTAMP, _variation VARCHAR, "
    "campaign_id VARCHAR, datetime TIMESTAMP, flow_id VARCHAR, flow_message_id VARCHAR, id VARCHAR, "
    "metric_id VARCHAR, person_id VARCHAR, timestamp TIMESTAMP, type VARCHAR, uuid VARCHAR, "
    "property_attribution VARCHAR, property_value VARCHAR, propertyAttribution VARCHAR, propertyValue VARCHAR",
    "klaviyo/person": "_fivetran_deleted BOOLEAN, _fivetran_synced TIMESTAMP, address_1 VARCHAR, "
    "address_2 VARCHAR, city VARCHAR, country VARCHAR, created TIMESTAMP, email VARCHAR, first_name VARCHAR, "
    "id VARCHAR, last_name VARCHAR, latitude DOUBLE, longitude DOUBLE, organization VARCHAR, "
    "phone_number VARCHAR, region VARCHAR, timezone VARCHAR, title VARCHAR, updated TIMESTAMP, zip VARCHAR, "
    "last_event_date TIMESTAMP",
    "klaviyo/flow": "_fivetran_deleted BOOLEAN, _fivetran_synced TIMESTAMP, created TIMESTAMP, id VARCHAR, "
    "name VARCHAR, status VARCHAR, updated TIMESTAMP, archived BOOLEAN, trigger_type VARCHAR",
    "klaviyo/campaign": "_fivetran_deleted BOOLEAN, _fivetran_synced TIMESTAMP, campaign_type VARCHAR, "
    "created TIMESTAMP, email_template_id VARCHAR, from_email VARCHAR, from_name VARCHAR, id VARCHAR, "
    "name VARCHAR, send_time TIMESTAMP, sent_at TIMESTAMP, status VARCHAR, status_id VARCHAR, "
    "status_label VARCHAR, subject VARCHAR, updated TIMESTAMP, archived BOOLEAN, scheduled TIMESTAMP",
    "klaviyo/metric": "_fivetran_deleted BOOLEAN, _fivetran_synced TIMESTAMP, created TIMESTAMP, id VARCHAR, "
    "integration_id VARCHAR, integration_category VARCHAR, integration_name VARCHAR, name VARCHAR, "
    "updated TIMESTAMP",
}
COLUMN_COUNTS = {  # columns per macro, counted in the packages
    "shopify/abandoned_checkout": 63, "shopify/order": 79, "shopify/order_line": 27, "shopify/transaction": 32,
    "shopify/fulfillment": 14, "shopify/product_variant": 21, "shopify/inventory_item": 22,
    "shopify/inventory_level": 8, "shopify/inventory_quantity": 7, "stripe/charge": 64, "stripe/refund": 15,
    "klaviyo/event": 17, "klaviyo/person": 21, "klaviyo/flow": 9, "klaviyo/campaign": 18, "klaviyo/metric": 9,
}  # fmt: skip


def columns_of(table: str) -> list[tuple[str, str]]:
    items = [item.split(" ") for item in MACROS[table].split(", ")]
    assert all(len(item) == 2 for item in items), table
    return [tuple(item) for item in items]

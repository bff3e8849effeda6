"""Shared layout helpers: number formatting for people, the global filters and the page header.

No SQL here: figures come from `queries`, charts from `charts`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import db
import pandas as pd
import streamlit as st
from queries.health import build_facts

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}
ZERO_DECIMAL_CURRENCIES = {"JPY"}
CHANNEL_LABELS = {
    "email": "Email",
    "sms": "SMS",
    "none": "No message sent",
    "not_abandoned": "Not abandoned",
}

FILTER_DATES = "filter_dates"
FILTER_CHANNELS = "filter_channels"
FILTER_CURRENCIES = "filter_currencies"


# --- formatting --------------------------------------------------------------------------------------------


def fmt_int(value: Any) -> str:
    return "—" if value is None or pd.isna(value) else f"{int(value):,}"


def fmt_pct(value: Any, digits: int = 1) -> str:
    return "—" if value is None or pd.isna(value) else f"{float(value) * 100:,.{digits}f}%"


def fmt_money(value: Any, currency: str) -> str:
    if value is None or pd.isna(value):
        return "—"
    digits = 0 if currency in ZERO_DECIMAL_CURRENCIES else 2
    amount = f"{abs(float(value)):,.{digits}f}"
    sign = "-" if float(value) < 0 else ""
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{sign}{symbol}{amount}" if symbol else f"{sign}{amount} {currency}"


def fmt_hours(value: Any) -> str:
    if value is None or pd.isna(value):
        return "—"
    hours = float(value)
    return f"{hours:,.1f} h" if hours < 48 else f"{hours / 24:,.1f} days"


def fmt_timestamp(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—"
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp.strftime("%Y-%m-%d %H:%M UTC")


def fmt_date(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—"
    return pd.Timestamp(value).strftime("%d %b %Y")


def fmt_time(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—"
    return pd.Timestamp(value).strftime("%H:%M UTC")


def money_column(label: str, currency: str, help: str | None = None) -> Any:
    """A dataframe column shown as money in the reporting currency."""
    preset = {"USD": "dollar", "EUR": "euro", "JPY": "yen"}.get(currency)
    if preset:
        return st.column_config.NumberColumn(label, format=preset, help=help)
    return st.column_config.NumberColumn(f"{label} ({currency})", format="accounting", help=help)


def count_column(label: str, help: str | None = None, width: str | None = "small") -> Any:
    return st.column_config.NumberColumn(label, format="localized", help=help, width=width)


def days_column(label: str, help: str | None = None) -> Any:
    return st.column_config.NumberColumn(label, format="%.1f", help=help, width="small")


def pct_column(label: str, help: str | None = None) -> Any:
    return st.column_config.NumberColumn(label, format="percent", help=help)


def channel_label(channel: str) -> str:
    return CHANNEL_LABELS.get(channel, channel)


# --- filters -----------------------------------------------------------------------------------------------


def _date_bounds(facts: dict[str, Any]) -> tuple[dt.date, dt.date]:
    return facts["first_date"], facts["last_date"]


def render_filters(build: db.Build) -> db.Filters:
    """The global filters in the sidebar. Their values live in session state and apply on every page."""
    facts = build_facts(build)
    first, last = _date_bounds(facts)
    current = st.session_state.get(FILTER_DATES)
    if not current or any(day < first or day > last for day in current):
        st.session_state[FILTER_DATES] = (first, last)
    currencies = facts["currencies"]
    # Only allow-listed values are ever selected (a stale or forged session value is dropped, never queried).
    for key, allowed in ((FILTER_CHANNELS, db.CHANNELS), (FILTER_CURRENCIES, currencies)):
        if key in st.session_state:
            st.session_state[key] = [value for value in st.session_state[key] if value in allowed]

    with st.sidebar:
        st.header("Filters")
        picked = st.date_input(
            "Date range",
            min_value=first,
            max_value=last,
            key=FILTER_DATES,
            help="Recovery: cohort date (local day of abandonment). Exceptions: detected date. "
            "Reconciliation: day. Rejected rows: landing date.",
        )
        channels = st.multiselect(
            "Recovery channel",
            options=list(db.CHANNELS),
            format_func=channel_label,
            key=FILTER_CHANNELS,
            placeholder="All channels",
            help="The channel of the recovery message that decides each abandoned cart.",
        )
        chosen_currencies = st.multiselect(
            "Cart currency",
            options=list(currencies),
            key=FILTER_CURRENCIES,
            placeholder="All currencies",
            help=f"The currency the cart was priced in. Amounts are always shown in {facts['reporting_currency']}.",
        )
        if st.button("Reset filters", use_container_width=True):
            for key in (FILTER_DATES, FILTER_CHANNELS, FILTER_CURRENCIES):
                st.session_state.pop(key, None)
            st.rerun()

    picked = tuple(picked) if isinstance(picked, list | tuple) else (picked,)
    start = picked[0] if picked else first
    end = picked[1] if len(picked) > 1 else start
    return db.Filters(start=start, end=end, channels=tuple(channels), currencies=tuple(chosen_currencies))


def filters_caption(filters: db.Filters, applies: str) -> None:
    """Say which filters a page applies, and how."""
    channels = ", ".join(channel_label(c) for c in filters.channels) or "all channels"
    currencies = ", ".join(filters.currencies) or "all currencies"
    parts = [f"{filters.start:%d %b %Y} to {filters.end:%d %b %Y}"]
    if "channel" in applies:
        parts.append(channels)
    if "currency" in applies:
        parts.append(currencies)
    st.caption(f"Showing {' · '.join(parts)}. {applies}")


def grain_note(facts: dict[str, Any]) -> None:
    """At checkout grain, say what the recovery figures count (fct_cart_recovery.cart_grain)."""
    if facts.get("cart_grain") == "checkout":
        st.info(
            "Counting Shopify checkouts, not browsing carts: the storefront is read from Fivetran's Shopify tables, "
            "which have no add-to-cart events. A cart here is a checkout; the “added to cart” stage is unavailable "
            "and left empty (docs/connectors.md)."
        )


def page_header(title: str, subtitle: str) -> None:
    st.title(title)
    st.markdown(subtitle)


# --- the context app.py hands to the pages -----------------------------------------------------------------

CONTEXT_KEY = "_dashboard_context"


def set_context(build: db.Build, filters: db.Filters) -> None:
    st.session_state[CONTEXT_KEY] = (build, filters)


def context() -> tuple[db.Build, db.Filters, dict[str, Any]]:
    """The published build, the global filters and the build-wide facts (reporting currency, as-of, ...)."""
    build, filters = st.session_state[CONTEXT_KEY]
    return build, filters, build_facts(build)

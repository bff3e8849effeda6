"""Recovery queries: the daily funnel mart (fct_recovery_funnel_daily) and the per-cart mart (fct_cart_recovery)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st
from db import CACHE_TTL_SECONDS, SPINNER, Build, Filters, one_row, query, where_clause

# The KPI tiles' metrics are rendered from the semantic layer (docs/metrics.md); the notebook's headline too.
from cart_recovery.metrics import MATURE_RECOVERY_RATE_SQL, SEMANTIC_LAYER

#: The trend's grains and the cohort expression of each (an allow-list: only these reach SQL).
TREND_GRAINS: dict[str, str] = {
    "day": "cohort_date",
    "week": "cast(date_trunc('week', cohort_date) as date)",  # ISO weeks, starting on Monday
}


def _funnel_where(filters: Filters) -> tuple[str, list[Any]]:
    """The global filters on the daily funnel mart (fct_recovery_funnel_daily)."""
    return where_clause(filters, "cohort_date", "channel", "currency")


def _cart_where(filters: Filters) -> tuple[str, list[Any]]:
    """The global filters on the per-cart mart (fct_cart_recovery)."""
    return where_clause(filters, "cohort_date", "funnel_channel", "currency")


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=SPINNER)
def recovery_kpis(build: Build, filters: Filters) -> dict[str, Any]:
    """Headline recovery figures from the daily funnel mart. The recovery rate is on mature cohorts only, with the
    counts it is made of; provisional parts are separate."""
    where, params = _funnel_where(filters)
    return one_row(
        query(
            f"""
            select
                coalesce({SEMANTIC_LAYER.sql("abandoned_carts")}, 0) as abandoned,
                coalesce(sum(abandoned) filter (where is_provisional), 0) as abandoned_provisional,
                coalesce({SEMANTIC_LAYER.sql("mature_abandoned_carts")}, 0) as abandoned_mature,
                coalesce({SEMANTIC_LAYER.sql("recovered_carts")}, 0) as recovered,
                coalesce({SEMANTIC_LAYER.sql("mature_recovered_carts")}, 0) as recovered_mature,
                coalesce(sum(recovered) filter (where is_provisional), 0) as recovered_provisional,
                coalesce({SEMANTIC_LAYER.sql("recovered_revenue")}, 0) as recovered_revenue,
                coalesce(sum(recovered_revenue) filter (where is_provisional), 0) as recovered_revenue_provisional,
                {MATURE_RECOVERY_RATE_SQL} as recovery_rate_mature,
                count(distinct cohort_date) filter (where is_provisional and abandoned > 0) as provisional_cohorts
            from fct_recovery_funnel_daily
            where {where}
            """,
            params,
            build=build,
        )
    )


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=SPINNER)
def recovery_trend(build: Build, filters: Filters, grain: str = "day") -> pd.DataFrame:
    """Per cohort day or week (allow-listed `grain`): abandoned, recovered (attributed/organic), recovery rate,
    revenue, and whether any cohort in it is provisional."""
    if grain not in TREND_GRAINS:
        raise ValueError(f"unknown trend grain {grain!r}")
    where, params = _funnel_where(filters)
    return query(
        f"""
        select
            {TREND_GRAINS[grain]} as cohort_date,
            bool_or(is_provisional) as is_provisional,
            sum(abandoned) as abandoned,
            sum(recovered) as recovered,
            sum(recovered_attributed) as recovered_attributed,
            sum(recovered_organic) as recovered_organic,
            sum(recovered) / nullif(sum(abandoned), 0) as recovery_rate,
            coalesce(sum(recovered_revenue), 0) as recovered_revenue
        from fct_recovery_funnel_daily
        where {where}
        group by 1
        having sum(abandoned) > 0
        order by 1
        """,
        params,
        build=build,
    )


#: Funnel stages and the daily funnel mart's column that counts each.
FUNNEL_STAGES: tuple[tuple[str, str], ...] = (
    ("Checkout started", "checkouts_started"),
    ("Contact captured", "contact_captured"),
    ("Abandoned", "abandoned"),
    ("Sent a recovery message", "contacted"),
    ("Clicked a message", "clicked"),
    ("Recovered", "recovered"),
    ("Recovered and paid", "recovered_and_paid"),
)


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=SPINNER)
def recovery_funnel(build: Build, filters: Filters) -> pd.DataFrame:
    """Carts at each funnel stage, split into mature and provisional cohorts."""
    where, params = _funnel_where(filters)
    columns = ",\n".join(
        f'coalesce(sum({column}) filter (where not is_provisional), 0) as "{stage}|mature",\n'
        f'coalesce(sum({column}) filter (where is_provisional), 0) as "{stage}|provisional"'
        for stage, column in FUNNEL_STAGES
    )
    row = one_row(query(f"select {columns} from fct_recovery_funnel_daily where {where}", params, build=build))
    return pd.DataFrame(
        [
            {"stage": stage, "mature": int(row[f"{stage}|mature"]), "provisional": int(row[f"{stage}|provisional"])}
            for stage, _ in FUNNEL_STAGES
        ]
    ).assign(total=lambda frame: frame["mature"] + frame["provisional"])


#: The breakdowns of abandoned carts (by channel, by flow) share these columns: every count next to the rate is
#: from mature cohorts, so the rate is exactly recovered ÷ abandoned of the same row; provisional cohorts apart.
BREAKDOWN_SQL = f"""
            coalesce(sum(abandoned) filter (where not is_provisional), 0) as abandoned,
            coalesce(sum(recovered) filter (where not is_provisional), 0) as recovered,
            {MATURE_RECOVERY_RATE_SQL} as recovery_rate,
            coalesce(sum(recovered_attributed) filter (where not is_provisional), 0) as recovered_attributed,
            coalesce(sum(recovered_organic) filter (where not is_provisional), 0) as recovered_organic,
            coalesce(sum(recovered_revenue) filter (where not is_provisional), 0) as recovered_revenue,
            coalesce(sum(abandoned) filter (where is_provisional), 0) as abandoned_provisional,
            coalesce(sum(recovered) filter (where is_provisional), 0) as recovered_provisional"""


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=SPINNER)
def recovery_by_channel(build: Build, filters: Filters) -> pd.DataFrame:
    """Per recovery channel (the funnel's channel of abandoned carts: email, sms or none)."""
    where, params = _funnel_where(filters)
    return query(
        f"""
        select channel, {BREAKDOWN_SQL}
        from fct_recovery_funnel_daily
        where {where} and channel <> 'not_abandoned'
        group by channel
        having sum(abandoned) > 0
        order by sum(abandoned) desc, channel
        """,
        params,
        build=build,
    )


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=SPINNER)
def recovery_by_flow(build: Build, filters: Filters) -> pd.DataFrame:
    """Per messaging flow of the deciding recovery message (the one attribution looks at), from the per-cart mart
    counted as the daily funnel mart counts (one row per abandoned cart)."""
    where, params = _cart_where(filters)
    return query(
        f"""
        with carts as (
            select
                coalesce(deciding_message_flow, 'No recovery message') as flow,
                is_provisional,
                1 as abandoned,
                case when is_recovered then 1 else 0 end as recovered,
                case when recovery_type = 'attributed' then 1 else 0 end as recovered_attributed,
                case when recovery_type = 'organic' then 1 else 0 end as recovered_organic,
                recovered_revenue
            from fct_cart_recovery
            where {where} and is_abandoned
        )
        select flow, {BREAKDOWN_SQL}
        from carts
        group by flow
        order by sum(abandoned) desc, flow
        """,
        params,
        build=build,
    )


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=SPINNER)
def recovery_by_storefront(build: Build, filters: Filters) -> pd.DataFrame:
    """Recoveries by the storefront channel of the recovering order (web, mobile_app, ...)."""
    where, params = _cart_where(filters)
    return query(
        f"""
        select
            coalesce(recovered_order_source_name, 'unknown') as storefront_channel,
            count(*) as recovered,
            count(*) filter (where recovery_type = 'attributed') as recovered_attributed,
            count(*) filter (where recovery_type = 'organic') as recovered_organic,
            coalesce(sum(recovered_revenue), 0) as recovered_revenue,
            median(hours_to_recovery) as median_hours_to_recovery
        from fct_cart_recovery
        where {where} and is_recovered
        group by all
        order by recovered desc, storefront_channel
        """,
        params,
        build=build,
    )


#: Width of the time-to-recovery histogram's bins, hours.
RECOVERY_HOURS_BIN = 6


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=SPINNER)
def recovery_times(build: Build, filters: Filters) -> pd.DataFrame:
    """Recovered carts per RECOVERY_HOURS_BIN-hour bin of the time from abandonment to the recovering order and
    recovery type (binned in the warehouse: at 10M cart events that is ~100 000 carts), with the median hours,
    the count of recovered carts and those from provisional cohorts over all of them repeated on every row."""
    where, params = _cart_where(filters)
    return query(
        f"""
        with recovered as (
            select recovery_type, is_provisional, hours_to_recovery
            from fct_cart_recovery
            where {where} and is_recovered
        ),
        overall as (
            select
                median(hours_to_recovery) as median_hours,
                count(*) as recovered_carts,
                count(*) filter (where is_provisional) as provisional_carts
            from recovered
        )
        select
            cast(floor(hours_to_recovery / {RECOVERY_HOURS_BIN}) * {RECOVERY_HOURS_BIN} as integer) as bin_start_hours,
            recovery_type,
            count(*) as carts,
            any_value(overall.median_hours) as median_hours,
            any_value(overall.recovered_carts) as recovered_carts,
            any_value(overall.provisional_carts) as provisional_carts
        from recovered
        cross join overall
        group by all
        order by bin_start_hours, recovery_type
        """,
        params,
        build=build,
    )

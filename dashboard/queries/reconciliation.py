"""Reconciliation queries: source systems against the warehouse per day and measure (rpt_source_reconciliation)."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from db import CACHE_TTL_SECONDS, SPINNER, Build, Filters, query, where_clause


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=SPINNER)
def reconciliation_summary(build: Build, filters: Filters) -> pd.DataFrame:
    """Per source system x measure over the date range: days aligned and the differences, explained or not."""
    where, params = where_clause(filters, "recon_date", None, None)
    return query(
        f"""
        select
            source_system,
            measure,
            any_value(unit) as unit,
            count(*) as days,
            count(*) filter (where is_aligned) as days_aligned,
            sum(source_value) as source_value,
            sum(warehouse_value) as warehouse_value,
            sum(difference) as difference,
            sum(explained_by_rejected) as explained_by_rejected,
            sum(explained_by_exceptions) as explained_by_exceptions,
            sum(unexplained_difference) as unexplained_difference,
            bool_and(is_aligned) as is_aligned
        from rpt_source_reconciliation
        where {where}
        group by source_system, measure
        order by is_aligned, source_system, measure
        """,
        params,
        build=build,
    )


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=SPINNER)
def reconciliation_daily(build: Build, filters: Filters) -> pd.DataFrame:
    """One row per day x source system x measure, as the mart holds it."""
    where, params = where_clause(filters, "recon_date", None, None)
    return query(
        f"""
        select
            recon_date, source_system, measure, unit, source_value, warehouse_value, difference,
            explained_by_rejected, explained_by_exceptions, unexplained_difference, is_aligned
        from rpt_source_reconciliation
        where {where}
        order by recon_date, source_system, measure
        """,
        params,
        build=build,
    )

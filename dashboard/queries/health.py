"""Data health queries: build-wide facts, the build's own metadata tables and the rejected landed rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st
from db import CACHE_TTL_SECONDS, SPINNER, Build, Filters, one_row, query, where_clause


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=SPINNER)
def build_facts(build: Build) -> dict[str, Any]:
    """Reporting currency, as-of, the date span of the data, the currencies present and what a cart is (`cart`, or
    `checkout` when the storefront is read from Fivetran's tables: docs/connectors.md)."""
    facts = one_row(
        query(
            """
            with spans as (
                select min(cohort_date) as lo, max(cohort_date) as hi from fct_cart_recovery
                union all
                select min(cast(detected_at as date)), max(cast(detected_at as date)) from fct_workflow_exceptions
                union all
                select min(recon_date), max(recon_date) from rpt_source_reconciliation
                union all
                select min(cast(loaded_at as date)), max(cast(loaded_at as date)) from rejected_records
            )
            select
                (select min(lo) from spans) as first_date,
                (select max(hi) from spans) as last_date,
                (select max(as_of) from fct_workflow_exceptions) as as_of,
                (select any_value(cart_grain) from fct_cart_recovery) as cart_grain,
                coalesce(
                    (select any_value(reporting_currency) from fct_cart_recovery),
                    (select any_value(reporting_currency) from fct_orders)
                ) as reporting_currency
            """,
            build=build,
        )
    )
    currencies = query("select distinct currency from fct_cart_recovery order by currency", build=build)
    facts["currencies"] = tuple(currencies["currency"].tolist())
    today = dt.date.today()
    facts["first_date"] = pd.Timestamp(facts["first_date"]).date() if facts["first_date"] is not None else today
    facts["last_date"] = pd.Timestamp(facts["last_date"]).date() if facts["last_date"] is not None else today
    facts["reporting_currency"] = facts["reporting_currency"] or "USD"
    return facts


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=SPINNER)
def build_info(build: Build) -> dict[str, Any]:
    """The build recorded inside the published file."""
    return one_row(
        query(
            "select invocation_id, built_at, dbt_version, nodes_passed from warehouse_build "
            "order by built_at desc limit 1",
            build=build,
        )
    )


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=SPINNER)
def node_results_summary(build: Build) -> pd.DataFrame:
    """dbt node results of the published build per resource type and status."""
    return query(
        """
        select resource_type, status, count(*) as nodes, round(sum(execution_time), 1) as seconds
        from warehouse_node_results
        group by all
        order by resource_type, status
        """,
        build=build,
    )


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=SPINNER)
def test_results(build: Build) -> pd.DataFrame:
    """Every data and unit test of the published build, problems first."""
    return query(
        """
        select
            case when resource_type = 'test' then split_part(unique_id, '.', 3) else name end as name,
            resource_type,
            status,
            failures,
            round(execution_time, 2) as seconds,
            message
        from warehouse_node_results
        where resource_type in ('test', 'unit_test')
        order by status = 'pass', name
        """,
        build=build,
    )


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=SPINNER)
def source_freshness(build: Build) -> pd.DataFrame:
    """`dbt source freshness` at build time, one row per source table."""
    return query(
        """
        select source_name, table_name, status, max_loaded_at, checked_at, age_hours
        from warehouse_source_freshness
        order by case status when 'error' then 0 when 'runtime error' then 0 when 'warn' then 1 else 2 end,
            source_name, table_name
        """,
        build=build,
    )


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=SPINNER)
def rejected_by_reason(build: Build, filters: Filters) -> pd.DataFrame:
    """Rejected landed rows per source table and reason (landed within the date range)."""
    where, params = where_clause(filters, "cast(loaded_at as date)", None, None)
    return query(
        f"""
        select source_table, reason, count(*) as rejected_rows, max(loaded_at) as last_loaded_at
        from rejected_records
        where {where}
        group by all
        order by rejected_rows desc, source_table, reason
        """,
        params,
        build=build,
    )

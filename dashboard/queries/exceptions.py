"""Exception queries: the exception mart (fct_workflow_exceptions) and its history (snap_workflow_exceptions)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st
from db import CACHE_TTL_SECONDS, SPINNER, Build, Filters, one_row, query, where_clause

from cart_recovery.metrics import SEMANTIC_LAYER  # the KPI tiles' metrics (docs/metrics.md)

#: Allow-lists: the only values that reach SQL as identifiers or that the page's filters offer.
QUEUE_DIMENSIONS: dict[str, str] = {
    "owner": "owner",
    "route": "route",
    "severity": "severity",
    "status": "status",
    "exception_type": "exception_type",
    "source_system": "source_system",
}
SEVERITIES: tuple[str, ...] = ("critical", "high", "medium", "low")
STATUSES: tuple[str, ...] = ("open", "resolved")


def _exception_where(filters: Filters) -> tuple[str, list[Any]]:
    """The global filters on the exception mart (its date range only)."""
    return where_clause(filters, "cast(detected_at as date)", None, None)


def _exception_page_where(
    filters: Filters, statuses: Sequence[str], severities: Sequence[str], owners: Sequence[str], search: str
) -> tuple[str, list[Any]]:
    """The global filters plus the Exceptions page's own: status, severity, owner and a text search."""
    where, params = _exception_where(filters)
    for column, values in (("status", statuses), ("severity", severities), ("owner", owners)):
        if values:
            where += f" and list_contains(?::varchar[], {column})"
            params.append(list(values))
    if search:
        where += " and (contains(lower(entity_id), lower(?)) or contains(lower(details), lower(?)))"
        params += [search, search]
    return where, params


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=SPINNER)
def open_exceptions_by_severity(build: Build, filters: Filters) -> dict[str, int]:
    """Open exceptions per severity (every severity present, 0 when none)."""
    where, params = _exception_where(filters)
    frame = query(
        f"select severity, count(*) as n from fct_workflow_exceptions where {where} and status = 'open' group by 1",
        params,
        build=build,
    )
    counts = dict.fromkeys(SEVERITIES, 0)
    counts.update({str(k): int(v) for k, v in zip(frame["severity"], frame["n"], strict=True)})
    return counts


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=SPINNER)
def exception_owners(build: Build) -> tuple[str, ...]:
    return tuple(query("select distinct owner from fct_workflow_exceptions order by 1", build=build)["owner"])


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=SPINNER)
def exception_kpis(
    build: Build,
    filters: Filters,
    statuses: tuple[str, ...] = (),
    severities: tuple[str, ...] = (),
    owners: tuple[str, ...] = (),
    search: str = "",
) -> dict[str, Any]:
    """Headline figures of the exception queue under the page's filters."""
    where, params = _exception_page_where(filters, statuses, severities, owners, search)
    return one_row(
        query(
            f"""
            select
                count(*) as exceptions,
                cast(coalesce({SEMANTIC_LAYER.sql("open_exceptions")}, 0) as bigint) as open,
                count(*) filter (where status = 'open' and severity in ('critical', 'high')) as open_critical_or_high,
                coalesce({SEMANTIC_LAYER.sql("open_amount_at_risk")}, 0) as open_amount_at_risk,
                count(*) filter (where status = 'resolved') as resolved,
                median(hours_past_due) filter (where status = 'open') as median_open_hours_past_due,
                count(*) filter (where status = 'open' and clears_by_itself) as open_clearing_by_itself,
                median(hours_past_due) filter (where status = 'open' and clears_by_itself)
                    as median_open_hours_past_due_clearing_by_itself,
                count(*) filter (where status = 'open' and not clears_by_itself) as open_needing_owner,
                median(hours_past_due) filter (where status = 'open' and not clears_by_itself)
                    as median_open_hours_past_due_needing_owner
            from fct_workflow_exceptions
            where {where}
            """,
            params,
            build=build,
        )
    )


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=SPINNER)
def exception_queue(
    build: Build,
    filters: Filters,
    group_by: str,
    statuses: tuple[str, ...] = (),
    severities: tuple[str, ...] = (),
    owners: tuple[str, ...] = (),
    search: str = "",
) -> pd.DataFrame:
    """Exceptions summarised by one allow-listed dimension (owner, route, severity, status, ...)."""
    if group_by not in QUEUE_DIMENSIONS:
        raise ValueError(f"cannot group exceptions by {group_by!r}")
    column = QUEUE_DIMENSIONS[group_by]
    where, params = _exception_page_where(filters, statuses, severities, owners, search)
    return query(
        f"""
        select
            {column} as {column},
            count(*) as exceptions,
            count(*) filter (where status = 'open') as open,
            count(*) filter (where status = 'open' and not clears_by_itself) as open_needing_owner,
            count(*) filter (where status = 'open' and clears_by_itself) as open_clearing_by_itself,
            count(*) filter (where status = 'open' and severity in ('critical', 'high')) as open_critical_or_high,
            coalesce(sum(amount_at_risk) filter (where status = 'open'), 0) as open_amount_at_risk,
            round(max(hours_past_due) filter (where status = 'open') / 24, 1) as oldest_open_days_past_due
        from fct_workflow_exceptions
        where {where}
        group by {column}
        order by open desc, exceptions desc, {column}
        """,
        params,
        build=build,
    )


#: The exception table and its drill-down show at most this many rows (the most urgent); the CSV has them all.
EXCEPTION_ROWS_SHOWN = 1000


def _exception_list_sql(where: str) -> str:
    return f"""
        select
            exception_id, exception_type, severity, status, owner, route, route_description, source_system,
            entity_type, entity_id,
            detected_at, due_at, resolved_at, sla_hours, hours_past_due, round(hours_past_due / 24, 1) as days_past_due,
            escalates_at, escalate_after_hours, as_of,
            amount_at_risk, details, expected_outcome, clears_by_itself, resolution, resolved_by, assignee,
            case
                when status = 'resolved' then 'resolved ' || strftime(resolved_at, '%Y-%m-%d %H:%M')
                when clears_by_itself then 'clears by itself when: ' || lower(expected_outcome)
                else 'needs an owner''s action'
            end as waiting_for
        from fct_workflow_exceptions
        where {where}
        order by
            status = 'resolved',
            case severity when 'critical' then 0 when 'high' then 1 when 'medium' then 2 else 3 end,
            hours_past_due desc,
            exception_id
    """


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=SPINNER)
def exception_list(
    build: Build,
    filters: Filters,
    statuses: tuple[str, ...] = (),
    severities: tuple[str, ...] = (),
    owners: tuple[str, ...] = (),
    search: str = "",
    limit: int = EXCEPTION_ROWS_SHOWN,
) -> pd.DataFrame:
    """The exceptions themselves, most severe and most overdue first: the first `limit` of them (a page lists
    what a person can work through; at 10M cart events there are ~80 000 exceptions)."""
    where, params = _exception_page_where(filters, statuses, severities, owners, search)
    return query(f"{_exception_list_sql(where)} limit ?", [*params, limit], build=build)


def exception_csv(
    build: Build,
    filters: Filters,
    statuses: tuple[str, ...] = (),
    severities: tuple[str, ...] = (),
    owners: tuple[str, ...] = (),
    search: str = "",
) -> bytes:
    """Every exception under the filters as CSV, in the list's order. Not cached and not run by a page render:
    the download button calls it when clicked (outside the script run, so no Streamlit calls in here)."""
    where, params = _exception_page_where(filters, statuses, severities, owners, search)
    return query(_exception_list_sql(where), params, build=build).to_csv(index=False).encode("utf-8")


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=SPINNER)
def exception_ageing(
    build: Build,
    filters: Filters,
    severities: tuple[str, ...] = (),
    owners: tuple[str, ...] = (),
    search: str = "",
) -> pd.DataFrame:
    """Open exceptions by how far past their SLA they are, per severity."""
    where, params = _exception_page_where(filters, ("open",), severities, owners, search)
    return query(
        f"""
        with open_exceptions as (
            select
                severity,
                case
                    when hours_past_due < 24 then 1
                    when hours_past_due < 24 * 7 then 2
                    when hours_past_due < 24 * 30 then 3
                    else 4
                end as bucket_order
            from fct_workflow_exceptions
            where {where}
        )
        select
            bucket_order,
            case bucket_order
                when 1 then 'under 1 day'
                when 2 then '1-7 days'
                when 3 then '7-30 days'
                else 'over 30 days'
            end as past_sla,
            severity,
            count(*) as open_exceptions
        from open_exceptions
        group by all
        order by bucket_order, severity
        """,
        params,
        build=build,
    )


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=SPINNER)
def exception_history(build: Build, exception_id: str) -> pd.DataFrame:
    """Every version of one exception that the builds have seen (the dbt snapshot), oldest first."""
    return query(
        """
        select
            dbt_valid_from as seen_from, dbt_valid_to as seen_until, status, resolved_at, hours_past_due,
            amount_at_risk, details, resolution, resolved_by, resolution_reason, assignee
        from snap_workflow_exceptions
        where exception_id = ?
        order by dbt_valid_from
        """,
        [exception_id],
        build=build,
    )

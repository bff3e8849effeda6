"""Workflow queries: one exception as the published mart has it now, and the owners' workflow per owner."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st
from db import CACHE_TTL_SECONDS, SPINNER, Build, one_row, query

_HOURS = "date_diff('minute', {start}, {end}) / 60.0"


def exception_now(build: Build | None, exception_id: str) -> dict[str, Any] | None:
    """The exception's row in the published mart, read afresh (never cached; without `build`, whatever is published
    now): an action is validated against it. None when the published warehouse has no such exception."""
    frame = query(
        """
        select exception_id, exception_type, status, clears_by_itself, amount_at_risk, details, detected_at, due_at,
            resolved_at, resolution, resolved_by, resolution_reason, assignee, acknowledged_at, snoozed_until
        from fct_workflow_exceptions where exception_id = ?
        """,
        [exception_id],
        build=build,
    )
    return None if frame.empty else one_row(frame)


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=SPINNER)
def owner_workflow(build: Build) -> pd.DataFrame:
    """Per owner: open, open and acknowledged, open and not yet acknowledged, median hours from detection to the
    first acknowledgement and to resolution (of the exceptions that have them)."""
    to_ack = _HOURS.format(start="detected_at", end="acknowledged_at")
    to_resolve = _HOURS.format(start="detected_at", end="resolved_at")
    return query(
        f"""
        select
            owner,
            count(*) filter (where status = 'open') as open,
            count(*) filter (where status = 'open' and acknowledged_at is not null) as acknowledged,
            count(*) filter (where status = 'open' and acknowledged_at is null) as past_due_unacknowledged,
            round(median({to_ack}), 1) as median_hours_to_acknowledge,
            round(median({to_resolve}), 1) as median_hours_to_resolve
        from fct_workflow_exceptions
        group by owner
        order by owner
        """,
        build=build,
    )


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=SPINNER)
def owners_of(build: Build, exception_ids: tuple[str, ...]) -> dict[str, str]:
    """The owner of each given exception (for counting the state database's deliveries per owner)."""
    if not exception_ids:
        return {}
    frame = query(
        "select exception_id, owner from fct_workflow_exceptions where list_contains(?::varchar[], exception_id)",
        [list(exception_ids)],
        build=build,
    )
    return dict(zip(frame["exception_id"], frame["owner"], strict=True))

"""Exceptions: the queue by owner/route/severity/status, ageing against SLA, drill-down with history, CSV."""

from __future__ import annotations

import charts
import streamlit as st
import ui
import workflow_ui
from queries.exceptions import (
    SEVERITIES,
    STATUSES,
    exception_ageing,
    exception_csv,
    exception_history,
    exception_kpis,
    exception_list,
    exception_owners,
    exception_queue,
)

build, filters, facts = ui.context()
currency = facts["reporting_currency"]

GROUP_LABELS = {
    "owner": "Owner",
    "route": "Route",
    "severity": "Severity",
    "status": "Status",
    "exception_type": "Exception type",
    "source_system": "Source system",
}

ui.page_header("Exceptions", "Workflow exceptions waiting for their owners, and how far past SLA they are.")
ui.filters_caption(filters, "Exceptions by detected date (channel and cart currency do not apply to exceptions).")

controls = st.columns([1, 1, 1, 1.4])
statuses = controls[0].multiselect(
    "Status", list(STATUSES), key="exceptions_status", placeholder="All statuses", format_func=str.capitalize
)
severities = controls[1].multiselect(
    "Severity", list(SEVERITIES), key="exceptions_severity", placeholder="All severities", format_func=str.capitalize
)
owners = controls[2].multiselect(
    "Owner", list(exception_owners(build)), key="exceptions_owner", placeholder="All owners"
)
search = (
    controls[3]
    .text_input("Search entity or details", key="exceptions_search", placeholder="e.g. an order id or SKU")
    .strip()
)
page_filters = {"statuses": tuple(statuses), "severities": tuple(severities), "owners": tuple(owners), "search": search}

kpis = exception_kpis(build, filters, **page_filters)
cols = st.columns(4)
cols[0].metric("Open exceptions", ui.fmt_int(kpis["open"]), border=True)
cols[1].metric("Open, critical or high", ui.fmt_int(kpis["open_critical_or_high"]), border=True)
cols[2].metric(
    "Open amount at risk",
    ui.fmt_money(kpis["open_amount_at_risk"], currency),
    help=f"Sum of amount_at_risk over open exceptions, in {currency}.",
    border=True,
)
cols[3].metric(
    "Median time past SLA (open)",
    ui.fmt_hours(kpis["median_open_hours_past_due"]),
    help="Every exception exists once its SLA has elapsed: this is how long the open ones have waited since.",
    border=True,
)
cols = st.columns(2)
cols[0].metric(
    "Open, needs an owner's action",
    ui.fmt_int(kpis["open_needing_owner"]),
    delta=f"median {ui.fmt_hours(kpis['median_open_hours_past_due_needing_owner'])} past SLA",
    delta_color="gray",
    delta_arrow="off",
    help="Types that never clear in the data by themselves (amount mismatch, duplicate capture, refund over "
    "capture, processor mismatch, price drift): they stay open, and age, until their owner acts.",
    border=True,
)
cols[1].metric(
    "Open, clears by itself",
    ui.fmt_int(kpis["open_clearing_by_itself"]),
    delta=f"median {ui.fmt_hours(kpis['median_open_hours_past_due_clearing_by_itself'])} past SLA",
    delta_color="gray",
    delta_arrow="off",
    help="Types the warehouse resolves when the data shows the expected outcome (the payment lands, the order "
    "ships, stock is back, a message goes out).",
    border=True,
)

left, right = st.columns([3, 2])
with left:
    st.subheader("Queue")
    group_by = (
        st.segmented_control(
            "Group by",
            options=list(GROUP_LABELS),
            format_func=GROUP_LABELS.get,
            default="owner",
            key="exceptions_group_by",
        )
        or "owner"
    )
    queue = exception_queue(build, filters, group_by, **page_filters)
    if queue.empty:
        st.info("No exceptions match the filters.")
    else:
        st.plotly_chart(charts.exception_queue(queue, group_by, GROUP_LABELS[group_by]), width="stretch")
        st.dataframe(
            queue,
            hide_index=True,
            width="stretch",
            column_config={
                group_by: GROUP_LABELS[group_by],
                "exceptions": ui.count_column("Exceptions"),
                "open": ui.count_column("Open"),
                "open_needing_owner": ui.count_column("Needs owner", help="Open; never clears by itself."),
                "open_clearing_by_itself": ui.count_column("Clears itself", help="Open; resolves with the data."),
                "open_critical_or_high": ui.count_column("Urgent", help="Open, critical or high severity."),
                "open_amount_at_risk": ui.money_column("At risk", currency, help="Amount at risk, open exceptions."),
                "oldest_open_days_past_due": ui.days_column(
                    "Oldest (days)", help="Days past SLA of the oldest open exception."
                ),
            },
        )
with right:
    st.subheader("Ageing against SLA")
    ageing = exception_ageing(build, filters, **{k: v for k, v in page_filters.items() if k != "statuses"})
    if ageing.empty:
        st.info("No open exceptions match the filters.")
    else:
        st.plotly_chart(charts.exception_ageing(ageing), width="stretch")
        st.caption("Open exceptions by how long ago their SLA ran out (as-of minus due time).")

st.subheader("Exceptions")
exceptions = exception_list(build, filters, **page_filters)
matching = int(kpis["exceptions"])
st.download_button(
    f"Download CSV ({ui.fmt_int(matching)} rows)",
    # Deferred: the (possibly large) CSV is written only when the button is clicked, never on a page render.
    data=lambda: exception_csv(build, filters, **page_filters),
    file_name=f"exceptions_{filters.start:%Y%m%d}_{filters.end:%Y%m%d}.csv",
    mime="text/csv",
    icon=":material/download:",
    disabled=exceptions.empty,
    on_click="ignore",
)
if matching > len(exceptions):
    st.caption(
        f"Showing the {ui.fmt_int(len(exceptions))} most urgent of {ui.fmt_int(matching)} exceptions; narrow the "
        "filters above or download the CSV for all of them."
    )
st.dataframe(
    exceptions,
    hide_index=True,
    width="stretch",
    height=360,
    column_order=[
        "severity",
        "status",
        "exception_type",
        "owner",
        "days_past_due",
        "waiting_for",
        "amount_at_risk",
        "entity_type",
        "entity_id",
        "detected_at",
        "due_at",
        "details",
    ],
    column_config={
        "severity": "Severity",
        "status": "Status",
        "exception_type": "Type",
        "owner": "Owner",
        "entity_type": "Entity",
        "entity_id": st.column_config.TextColumn("Entity id", width="medium"),
        "detected_at": st.column_config.DatetimeColumn("Clock started (UTC)", format="YYYY-MM-DD HH:mm"),
        "due_at": st.column_config.DatetimeColumn("Due (UTC)", format="YYYY-MM-DD HH:mm"),
        "days_past_due": ui.days_column("Days past SLA"),
        "waiting_for": st.column_config.TextColumn(
            "Waiting for", help="Open: whether it clears by itself (and when) or needs its owner.", width="medium"
        ),
        "amount_at_risk": ui.money_column("Amount at risk", currency),
        "details": "Details",
    },
)

st.subheader("Drill-down")
if exceptions.empty:
    st.info("No exception to drill into.")
else:
    labels = {
        row.exception_id: f"{row.severity.upper()} · {row.exception_type} · {row.entity_type} {row.entity_id} "
        f"({row.status})"
        for row in exceptions.itertuples(index=False)
    }
    chosen = st.selectbox("Exception", list(labels), format_func=labels.get, key="exceptions_drilldown")
    detail = exceptions.set_index("exception_id").loc[chosen]
    info, history_col = st.columns([2, 3])
    with info:
        st.markdown(
            f"**{detail['exception_type']}** on {detail['entity_type']} `{detail['entity_id']}`  \n"
            f"**Severity** {detail['severity']} · **Status** {detail['status']}  \n"
            f"**Owner** {detail['owner']}  \n"
            f"**Route** {detail['route']}: {detail['route_description']}  \n"
            f"**Expected outcome** {detail['expected_outcome']}  \n"
            f"**Waiting for** {detail['waiting_for']}  \n"
            f"**Clock started** {ui.fmt_timestamp(detail['detected_at'])} · **SLA** {int(detail['sla_hours'])} h · "
            f"**Due** {ui.fmt_timestamp(detail['due_at'])}  \n"
            f"**Resolved** {ui.fmt_timestamp(detail['resolved_at'])}  \n"
            f"**Amount at risk** {ui.fmt_money(detail['amount_at_risk'], currency)}  \n"
            f"**Details** {detail['details']}"
        )
    with history_col:
        st.markdown("**History across builds** (from the exceptions snapshot)")
        history = exception_history(build, chosen)
        st.dataframe(
            history,
            hide_index=True,
            width="stretch",
            column_config={
                "seen_from": st.column_config.DatetimeColumn("Seen from", format="YYYY-MM-DD HH:mm"),
                "seen_until": st.column_config.DatetimeColumn("Seen until", format="YYYY-MM-DD HH:mm"),
                "status": "Status",
                "resolved_at": st.column_config.DatetimeColumn("Resolved", format="YYYY-MM-DD HH:mm"),
                "hours_past_due": st.column_config.NumberColumn("Hours past SLA", format="%.1f"),
                "amount_at_risk": ui.money_column("At risk", currency),
                "details": "Details",
                "resolution": "Resolution",
                "resolved_by": "Resolved by",
                "resolution_reason": "Reason",
                "assignee": "Assignee",
            },
            column_order=[
                "seen_from",
                "seen_until",
                "status",
                "resolution",
                "resolved_by",
                "resolution_reason",
                "assignee",
                "resolved_at",
                "hours_past_due",
                "amount_at_risk",
                "details",
            ],
        )
        st.caption("One row per version a build saw; an empty *Seen until* is the current version.")
    acting, timeline_col = st.columns([2, 3])
    with acting:
        workflow_ui.action_form({"exception_id": chosen, **detail.to_dict()})
    with timeline_col:
        workflow_ui.timeline(build, {"exception_id": chosen, **detail.to_dict()})

"""Workflow: per owner, what is open, acknowledged and waiting, how fast owners act, and failing deliveries."""

from __future__ import annotations

import charts
import streamlit as st
import ui
import workflow_ui
from queries.workflow import owner_workflow, owners_of

from cart_recovery.workflow import state

build, filters, facts = ui.context()

ui.page_header("Workflow", "Are owners acting on their exceptions, and do the notifications reach them?")
st.caption(
    "From the published warehouse (owners' actions as of its build) and the workflow state database "
    """(deliveries). All exceptions, whatever the date filter. docs/workflow.md "Owners' actions"."""
)

per_owner = owner_workflow(build)
failing = state.failing_deliveries_by_exception(workflow_ui.state_path())
owner_of = owners_of(build, tuple(sorted(failing)))
failing_by_owner: dict[str, int] = {}
for exception_id, count in failing.items():
    owner = owner_of.get(exception_id, "(not in the warehouse)")
    failing_by_owner[owner] = failing_by_owner.get(owner, 0) + count
per_owner["deliveries_failing"] = [failing_by_owner.get(owner, 0) for owner in per_owner["owner"]]

cols = st.columns(4)
cols[0].metric("Open exceptions", ui.fmt_int(per_owner["open"].sum()), border=True)
cols[1].metric("Open, acknowledged", ui.fmt_int(per_owner["acknowledged"].sum()), border=True)
cols[2].metric("Past due, not acknowledged", ui.fmt_int(per_owner["past_due_unacknowledged"].sum()), border=True)
cols[3].metric("Deliveries failing", ui.fmt_int(sum(failing.values())), border=True)
st.plotly_chart(charts.owner_workflow(per_owner), width="stretch")

st.dataframe(
    per_owner,
    hide_index=True,
    width="stretch",
    key="workflow_per_owner",
    column_config={
        "owner": "Owner",
        "open": st.column_config.NumberColumn("Open"),
        "acknowledged": st.column_config.NumberColumn("Open, acknowledged"),
        "past_due_unacknowledged": st.column_config.NumberColumn("Past due, not acknowledged"),
        "median_hours_to_acknowledge": st.column_config.NumberColumn("Median h to acknowledge", format="%.1f"),
        "median_hours_to_resolve": st.column_config.NumberColumn("Median h to resolve", format="%.1f"),
        "deliveries_failing": st.column_config.NumberColumn("Deliveries failing"),
    },
)
st.caption(
    "Every open exception is past its SLA (it exists because its due time passed). Hours are from detection "
    "(the SLA clock start). Deliveries failing: pending deliveries with at least one failed attempt."
)

"""Data health: the published build, its dbt test results, source freshness and rejected rows."""

from __future__ import annotations

import charts
import streamlit as st
import ui
from queries.health import build_info, node_results_summary, rejected_by_reason, source_freshness, test_results

build, filters, facts = ui.context()
FRESHNESS_LABELS = {"pass": "fresh", "warn": "late (warn)", "error": "stale (error)", "runtime error": "check failed"}

ui.page_header("Data health", "Is the data behind these pages complete, tested and fresh?")
ui.filters_caption(filters, "Rejected rows by landing date; the build, tests and freshness are those of the publish.")

info = build_info(build)
nodes = node_results_summary(build)
tests = test_results(build)
freshness = source_freshness(build)
rejected = rejected_by_reason(build, filters)

tests_passed = int((tests["status"] == "pass").sum())
fresh_ok = int((freshness["status"] == "pass").sum())
cols = st.columns(4)
cols[0].metric(
    "Last publish",
    ui.fmt_date(build.published_at or info["built_at"]),
    delta=f"{ui.fmt_time(build.published_at or info['built_at'])} · dbt {info['dbt_version']}",
    delta_color="gray",
    delta_arrow="off",
    border=True,
)
cols[1].metric(
    "dbt tests passed",
    f"{ui.fmt_int(tests_passed)} of {ui.fmt_int(len(tests))}",
    help="Data tests and unit tests of the published build. A build is published only when none fails.",
    border=True,
)
cols[2].metric("Sources fresh", f"{ui.fmt_int(fresh_ok)} of {ui.fmt_int(len(freshness))}", border=True)
cols[3].metric("Rejected rows", ui.fmt_int(rejected["rejected_rows"].sum()), border=True)
st.caption(f"dbt invocation `{info['invocation_id']}` · {ui.fmt_int(info['nodes_passed'])} nodes in the build.")

left, right = st.columns(2)
with left:
    st.subheader("Build results")
    st.dataframe(
        nodes,
        hide_index=True,
        width="stretch",
        column_config={
            "resource_type": "Node type",
            "status": "Status",
            "nodes": ui.count_column("Nodes"),
            "seconds": st.column_config.NumberColumn("Seconds", format="%.1f"),
        },
    )
with right:
    st.subheader("Source freshness")
    if freshness.empty:
        st.info("No source freshness was recorded for this build.")
    else:
        st.dataframe(
            freshness.assign(status=freshness["status"].map(FRESHNESS_LABELS).fillna(freshness["status"])),
            hide_index=True,
            width="stretch",
            column_config={
                "source_name": "Source",
                "table_name": "Table",
                "status": "Status",
                "max_loaded_at": st.column_config.DatetimeColumn("Last landed (UTC)", format="YYYY-MM-DD HH:mm"),
                "age_hours": st.column_config.NumberColumn("Age (hours)", format="%.1f"),
            },
            column_order=["source_name", "table_name", "status", "max_loaded_at", "age_hours"],
        )
        st.caption(
            f"Checked at {ui.fmt_timestamp(freshness['checked_at'].max())}, when the build ran: newest landing "
            "time per table, pass / warn / error by the freshness thresholds (docs/operations.md, Parameters)."
        )

st.subheader("Rejected rows by reason")
if rejected.empty:
    st.info("No rejected rows landed in the date range.")
else:
    left, right = st.columns([3, 2])
    left.plotly_chart(charts.rejected_rows(rejected), width="stretch")
    right.dataframe(
        rejected,
        hide_index=True,
        width="stretch",
        column_config={
            "source_table": "Source table",
            "reason": "Reason",
            "rejected_rows": ui.count_column("Rows"),
            "last_loaded_at": st.column_config.DatetimeColumn("Last landed (UTC)", format="YYYY-MM-DD HH:mm"),
        },
    )

st.subheader("Tests")
only_problems = st.toggle("Only tests that did not pass", value=False, key="health_only_problems")
shown = tests[tests["status"] != "pass"] if only_problems else tests
st.dataframe(
    shown,
    hide_index=True,
    width="stretch",
    height=320,
    column_config={
        "name": "Test",
        "resource_type": "Kind",
        "status": "Status",
        "failures": ui.count_column("Failing rows"),
        "seconds": st.column_config.NumberColumn("Seconds", format="%.2f"),
        "message": "Message",
    },
)

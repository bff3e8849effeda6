"""Reconciliation: source systems against the warehouse per system, measure and day."""

from __future__ import annotations

import charts
import streamlit as st
import ui
from queries.reconciliation import reconciliation_daily, reconciliation_summary

build, filters, facts = ui.context()
currency = facts["reporting_currency"]

ui.page_header(
    "Reconciliation",
    "Does the warehouse hold what the source systems delivered? Every difference must be explained by a rejected "
    "row or a named exception.",
)
ui.filters_caption(filters, "Days by date range (channel and cart currency do not apply to reconciliation).")

summary = reconciliation_summary(build, filters)
daily = reconciliation_daily(build, filters)
if summary.empty:
    st.info("No reconciliation rows in the date range.")
    st.stop()

not_aligned = summary[~summary["is_aligned"].astype(bool)]
cols = st.columns(4)
cols[0].metric("Measures compared", ui.fmt_int(len(summary)), border=True)
cols[1].metric(
    "Aligned",
    ui.fmt_pct(summary["days_aligned"].sum() / summary["days"].sum()),
    delta=f"{ui.fmt_int(summary['days_aligned'].sum())} of {ui.fmt_int(summary['days'].sum())} day-measures",
    delta_color="gray",
    delta_arrow="off",
    border=True,
)
cols[2].metric(
    "Explained differences",
    ui.fmt_int((daily["difference"].astype(float) != 0).sum()),
    help="Day-measures where the source and the warehouse differ, and rejected rows or named exceptions "
    "account for all of the difference.",
    border=True,
)
cols[3].metric("Measures not aligned", ui.fmt_int(len(not_aligned)), border=True)
if not_aligned.empty:
    st.success(
        "Aligned: every difference between the sources and the warehouse is explained.", icon=":material/check_circle:"
    )
else:
    st.warning(
        "Not aligned: " + ", ".join(f"{r.source_system} · {r.measure}" for r in not_aligned.itertuples()),
        icon=":material/warning:",
    )

st.subheader("Every day at a glance")
st.plotly_chart(charts.reconciliation_heatmap(daily), width="stretch")
st.caption(
    ":green-background[equal] · :orange-background[different, fully explained] · "
    ":red-background[unexplained difference]. Hover a cell for the values."
)

st.subheader("By source system and measure")
st.dataframe(
    summary,
    hide_index=True,
    width="stretch",
    column_config={
        "source_system": "Source system",
        "measure": st.column_config.TextColumn("Measure", width="medium"),
        "unit": st.column_config.TextColumn("Unit", help=f"count, or {currency} for amounts", width="small"),
        "days": ui.count_column("Days"),
        "days_aligned": ui.count_column("Aligned days"),
        "source_value": st.column_config.NumberColumn("Source", format="localized"),
        "warehouse_value": st.column_config.NumberColumn("Warehouse", format="localized"),
        "difference": st.column_config.NumberColumn("Difference", format="localized"),
        "explained_by_rejected": st.column_config.NumberColumn(
            "By rejected rows", format="localized", help="Difference explained by rejected rows"
        ),
        "explained_by_exceptions": st.column_config.NumberColumn(
            "By exceptions", format="localized", help="Difference explained by named exceptions"
        ),
        "unexplained_difference": st.column_config.NumberColumn("Unexplained", format="localized"),
        "is_aligned": st.column_config.CheckboxColumn("Aligned"),
    },
)

st.subheader("Daily detail")
only_differences = st.toggle("Only days with a difference", value=True, key="reconciliation_only_differences")
shown = daily[daily["difference"].astype(float) != 0] if only_differences else daily
st.dataframe(
    shown,
    hide_index=True,
    width="stretch",
    height=360,
    column_config={
        "recon_date": st.column_config.DateColumn("Day", format="YYYY-MM-DD"),
        "source_system": "Source system",
        "measure": st.column_config.TextColumn("Measure", width="medium"),
        "unit": "Unit",
        "source_value": st.column_config.NumberColumn("Source", format="localized"),
        "warehouse_value": st.column_config.NumberColumn("Warehouse", format="localized"),
        "difference": st.column_config.NumberColumn("Difference", format="localized"),
        "explained_by_rejected": st.column_config.NumberColumn(
            "By rejected rows", format="localized", help="Difference explained by rejected rows"
        ),
        "explained_by_exceptions": st.column_config.NumberColumn(
            "By exceptions", format="localized", help="Difference explained by named exceptions"
        ),
        "unexplained_difference": st.column_config.NumberColumn("Unexplained", format="localized"),
        "is_aligned": st.column_config.CheckboxColumn("Aligned"),
    },
)

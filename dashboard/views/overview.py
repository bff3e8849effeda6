"""Overview: headline recovery KPIs, open exceptions by severity, data as-of, the cohort trend."""

from __future__ import annotations

import charts
import streamlit as st
import ui
from queries.exceptions import SEVERITIES, open_exceptions_by_severity
from queries.recovery import recovery_kpis, recovery_trend

build, filters, facts = ui.context()
currency = facts["reporting_currency"]

ui.page_header("Overview", "Abandoned-cart recovery at a glance, with the exceptions waiting for someone.")
ui.filters_caption(filters, "Recovery figures by cohort, channel and cart currency; exceptions by detected date.")
ui.grain_note(facts)

kpis = recovery_kpis(build, filters)
severity = open_exceptions_by_severity(build, filters)

cols = st.columns(4)
cols[0].metric(
    "Abandoned carts",
    ui.fmt_int(kpis["abandoned"]),
    delta=f"{ui.fmt_int(kpis['abandoned_provisional'])} in provisional cohorts",
    delta_color="gray",
    delta_arrow="off",
    help="Carts that reached contact info and then went silent for the abandonment window.",
    border=True,
)
cols[1].metric(
    "Recovery rate",
    ui.fmt_pct(kpis["recovery_rate_mature"]),
    delta=f"mature cohorts: {ui.fmt_int(kpis['recovered_mature'])} of {ui.fmt_int(kpis['abandoned_mature'])}",
    delta_color="gray",
    delta_arrow="off",
    help="Recovered ÷ abandoned, on cohorts whose recovery window has fully elapsed. Provisional cohorts are "
    "left out because they can still gain recoveries.",
    border=True,
)
cols[2].metric(
    "Recovered revenue",
    ui.fmt_money(kpis["recovered_revenue"], currency),
    delta=f"{ui.fmt_money(kpis['recovered_revenue_provisional'], currency)} provisional",
    delta_color="gray",
    delta_arrow="off",
    help=f"Stripe captures minus refunds on recovering orders, in {currency}. The provisional part comes from "
    "cohorts that can still grow.",
    border=True,
)
cols[3].metric(
    "Data as of",
    ui.fmt_date(facts["as_of"]),
    delta=ui.fmt_time(facts["as_of"]),
    delta_color="gray",
    delta_arrow="off",
    help="The newest event in the landed data: every 'still open' judgement uses this time. "
    f"Published {ui.fmt_timestamp(build.published_at)}.",
    border=True,
)

st.subheader("Open exceptions by severity")
sev_cols = st.columns(len(SEVERITIES))
for col, name in zip(sev_cols, SEVERITIES, strict=True):
    col.metric(f"{name.capitalize()}", ui.fmt_int(severity[name]), border=True)
st.page_link("views/exceptions.py", label="Open the exception queue", icon=":material/arrow_forward:")

head, grain_col = st.columns([3, 1], vertical_alignment="bottom")
head.subheader("Recovery by cohort")
grain = (
    grain_col.segmented_control(
        "Cohorts by", options=["week", "day"], format_func=str.capitalize, default="week", key="overview_grain"
    )
    or "week"
)
trend = recovery_trend(build, filters, grain)
if trend.empty:
    st.info("No abandoned carts match the filters.")
else:
    st.plotly_chart(charts.recovery_trend(trend, grain), width="stretch")
    provisional = int(kpis["provisional_cohorts"] or 0)
    st.caption(
        f"**Provisional**: the last {provisional:,} daily cohort(s) are still inside their recovery window "
        "(shaded and hatched; dotted rate): their figures can still grow and are not part of the mature recovery "
        "rate. A week is provisional when any of its days is."
    )

"""Recovery funnel: funnel chart, breakdown by channel, flow and storefront channel, time to recovery."""

from __future__ import annotations

import charts
import streamlit as st
import ui
from queries.recovery import (
    RECOVERY_HOURS_BIN,
    recovery_by_channel,
    recovery_by_flow,
    recovery_by_storefront,
    recovery_funnel,
    recovery_kpis,
    recovery_times,
)

build, filters, facts = ui.context()
currency = facts["reporting_currency"]

ui.page_header("Recovery funnel", "From checkout to a recovered, paid order, and how long recovery takes.")
ui.filters_caption(filters, "Carts by cohort, recovery channel and cart currency.")
ui.grain_note(facts)

funnel = recovery_funnel(build, filters)
kpis = recovery_kpis(build, filters)
times = recovery_times(build, filters)
cols = st.columns(4)
cols[0].metric(
    "Abandoned carts",
    ui.fmt_int(kpis["abandoned"]),
    delta=f"{ui.fmt_int(kpis['abandoned_provisional'])} in provisional cohorts",
    delta_color="gray",
    delta_arrow="off",
    border=True,
)
cols[1].metric(
    "Recovered carts",
    ui.fmt_int(kpis["recovered"]),
    delta=f"{ui.fmt_int(kpis['recovered_provisional'])} in provisional cohorts",
    delta_color="gray",
    delta_arrow="off",
    border=True,
)
cols[2].metric(
    "Recovery rate",
    ui.fmt_pct(kpis["recovery_rate_mature"]),
    delta=f"mature cohorts: {ui.fmt_int(kpis['recovered_mature'])} of {ui.fmt_int(kpis['abandoned_mature'])}",
    delta_color="gray",
    delta_arrow="off",
    help="Recovered ÷ abandoned, on cohorts whose recovery window has fully elapsed.",
    border=True,
)
cols[3].metric(
    "Median time to recovery",
    ui.fmt_hours(times["median_hours"].iloc[0] if not times.empty else None),
    help="From abandonment to the recovering order.",
    border=True,
)

left, right = st.columns([3, 2])
with left:
    st.subheader("Funnel: mature cohorts")
    st.plotly_chart(charts.recovery_funnel(funnel), width="stretch")
with right:
    st.subheader("Stage by stage")
    st.dataframe(
        funnel,
        hide_index=True,
        width="stretch",
        column_config={
            "stage": st.column_config.TextColumn("Stage", width="medium"),
            "mature": ui.count_column("Mature", width=None),
            "provisional": ui.count_column("Provisional", width=None),
            "total": ui.count_column("All cohorts", width=None),
        },
    )
    st.caption(
        "**Provisional** cohorts are still inside their recovery window and can still gain recoveries: they are "
        "counted apart and left out of the funnel chart, so the chart's conversion shares are final."
    )


def abandoned_columns(dimension: str, label: str) -> dict:
    """Column settings of the abandoned-carts breakdowns (by channel, by flow): the rate and the counts beside it
    are all from mature cohorts, so the rate is the row's recovered ÷ abandoned; provisional cohorts apart."""
    return {
        dimension: label,
        "abandoned": ui.count_column("Abandoned", help="Abandoned carts in mature cohorts."),
        "recovered": ui.count_column("Recovered", help="Recovered carts in mature cohorts."),
        "recovery_rate": ui.pct_column("Recovery rate", help="Recovered ÷ abandoned (mature cohorts)."),
        "recovered_attributed": ui.count_column("Attributed"),
        "recovered_organic": ui.count_column("Organic"),
        "recovered_revenue": ui.money_column("Recovered revenue", currency),
        "abandoned_provisional": ui.count_column(
            "Abandoned, provisional", help="Abandoned carts in cohorts still inside their recovery window."
        ),
        "recovered_provisional": ui.count_column(
            "Recovered, provisional", help="Recovered so far in cohorts still inside their recovery window."
        ),
    }


st.subheader("By recovery channel")
st.caption("Mature cohorts (recovery window elapsed); provisional cohorts in the last two columns.")
by_channel = recovery_by_channel(build, filters)
if by_channel.empty:
    st.info("No abandoned carts match the filters.")
else:
    st.plotly_chart(charts.recovery_by_channel(by_channel, ui.CHANNEL_LABELS), width="stretch")
    st.dataframe(
        by_channel.assign(channel=by_channel["channel"].map(ui.channel_label)),
        hide_index=True,
        width="stretch",
        column_config=abandoned_columns("channel", "Channel"),
    )
    st.caption(
        "Channel = the channel of the latest recovery message sent after abandonment and before any order "
        "(the message attribution looks at); *No message sent* = abandoned carts no recovery message reached."
    )

st.subheader("By recovery flow")
st.caption("Mature cohorts (recovery window elapsed); provisional cohorts in the last two columns.")
by_flow = recovery_by_flow(build, filters)
if by_flow.empty:
    st.info("No abandoned carts match the filters.")
else:
    st.dataframe(
        by_flow,
        hide_index=True,
        width="stretch",
        column_config=abandoned_columns("flow", "Flow of the deciding message"),
    )

left, right = st.columns(2)
with left:
    st.subheader("By storefront channel")
    by_storefront = recovery_by_storefront(build, filters)
    if by_storefront.empty:
        st.info("No recovered carts match the filters.")
    else:
        st.plotly_chart(charts.recovery_by_storefront(by_storefront, currency), width="stretch")
        st.dataframe(
            by_storefront,
            hide_index=True,
            width="stretch",
            column_config={
                "storefront_channel": "Storefront channel",
                "recovered": ui.count_column("Recovered"),
                "recovered_attributed": ui.count_column("Attributed"),
                "recovered_organic": ui.count_column("Organic"),
                "recovered_revenue": ui.money_column("Recovered revenue", currency),
                "median_hours_to_recovery": st.column_config.NumberColumn("Median hours to order", format="%.1f"),
            },
        )
with right:
    st.subheader("Time to recovery")
    if times.empty:
        st.info("No recovered carts match the filters.")
    else:
        st.plotly_chart(charts.time_to_recovery(times, RECOVERY_HOURS_BIN), width="stretch")
        st.caption(
            f"{int(times['recovered_carts'].iloc[0]):,} recovered carts; median "
            f"{ui.fmt_hours(times['median_hours'].iloc[0])} from abandonment to order "
            f"({int(times['provisional_carts'].iloc[0]):,} from provisional cohorts)."
        )

"""Plotly chart builders. Each takes a DataFrame from a `queries` module and returns a figure; no SQL, no layout."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

TEMPLATE = "plotly_white"
MATURE = "#2563eb"
PROVISIONAL = "#93c5fd"
ABANDONED = "#cbd5e1"
RATE = "#ea580c"
ATTRIBUTED = "#2563eb"
ORGANIC = "#10b981"
NOT_RECOVERED = "#e2e8f0"
SEVERITY_COLORS = {"critical": "#991b1b", "high": "#ea580c", "medium": "#eab308", "low": "#94a3b8"}
PROVISIONAL_PATTERN = "/"


def _layout(fig: go.Figure, height: int = 380, **kwargs: object) -> go.Figure:
    fig.update_layout(
        template=TEMPLATE,
        height=height,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0},
        hoverlabel={"namelength": -1},
        separators=".,",
    )
    fig.update_layout(**kwargs)
    return fig


def _money_format(currency: str) -> str:
    return ",.0f" if currency == "JPY" else ",.2f"


def recovery_trend(trend: pd.DataFrame, grain: str = "day") -> go.Figure:
    """Abandoned and recovered carts per cohort (bars) and the recovery rate (line); provisional cohorts hatched
    and shaded, their rate dotted."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    period = "week of " if grain == "week" else ""
    half = pd.Timedelta(days=3.5 if grain == "week" else 0.5)
    patterns = [PROVISIONAL_PATTERN if provisional else "" for provisional in trend["is_provisional"]]
    status = ["provisional" if provisional else "mature" for provisional in trend["is_provisional"]]
    fig.add_bar(
        x=trend["cohort_date"],
        y=trend["abandoned"],
        name="Abandoned carts",
        marker={"color": ABANDONED, "pattern": {"shape": patterns, "fgcolor": "#64748b"}},
        customdata=status,
        hovertemplate=period + "%{x|%d %b %Y} (%{customdata})<br>Abandoned: %{y:,}<extra></extra>",
    )
    fig.add_bar(
        x=trend["cohort_date"],
        y=trend["recovered"],
        name="Recovered carts",
        marker={
            "color": [PROVISIONAL if provisional else MATURE for provisional in trend["is_provisional"]],
            "pattern": {"shape": patterns, "fgcolor": "#1e3a8a"},
        },
        customdata=status,
        hovertemplate=period + "%{x|%d %b %Y} (%{customdata})<br>Recovered: %{y:,}<extra></extra>",
    )
    mature = trend[~trend["is_provisional"]]
    provisional = trend[trend["is_provisional"]]
    fig.add_scatter(
        x=mature["cohort_date"],
        y=mature["recovery_rate"],
        name="Recovery rate (mature cohorts)",
        mode="lines",
        line={"color": RATE, "width": 2},
        hovertemplate=period + "%{x|%d %b %Y}<br>Recovery rate: %{y:.1%}<extra></extra>",
        secondary_y=True,
    )
    if not provisional.empty:
        bridge = pd.concat([mature.tail(1), provisional])  # the dotted line continues the solid one
        fig.add_scatter(
            x=bridge["cohort_date"],
            y=bridge["recovery_rate"],
            name="Recovery rate so far (provisional)",
            mode="lines+markers",
            line={"color": RATE, "width": 2, "dash": "dot"},
            hovertemplate=period + "%{x|%d %b %Y} (provisional)<br>Recovery rate so far: %{y:.1%}<extra></extra>",
            secondary_y=True,
        )
        fig.add_vrect(
            x0=pd.Timestamp(provisional["cohort_date"].min()) - half,
            x1=pd.Timestamp(provisional["cohort_date"].max()) + half,
            fillcolor="#fef3c7",
            opacity=0.5,
            line_width=0,
            layer="below",
            annotation_text="provisional: recovery window still open",
            annotation_position="top right",
            annotation_font_size=11,
        )
    fig.update_yaxes(title_text="Carts", tickformat=",d", secondary_y=False)
    fig.update_yaxes(title_text="Recovery rate", tickformat=".0%", rangemode="tozero", secondary_y=True, showgrid=False)
    fig.update_xaxes(
        title_text="Cohort (week of abandonment)" if grain == "week" else "Cohort (day of abandonment)",
        range=[pd.Timestamp(trend["cohort_date"].min()) - half, pd.Timestamp(trend["cohort_date"].max()) + half],
    )
    return _layout(fig, barmode="overlay", bargap=0.15)


def recovery_funnel(funnel: pd.DataFrame, column: str = "mature") -> go.Figure:
    """Carts per funnel stage for one set of cohorts (`mature` by default: their recovery is complete), with the
    share of the first stage."""
    name = "Mature cohorts" if column == "mature" else "Provisional cohorts"
    widest = max(int(funnel[column].max()), 1)
    inside = [value >= 0.45 * widest for value in funnel[column]]
    fig = go.Figure(
        go.Funnel(
            name=name,
            y=funnel["stage"],
            x=funnel[column],
            texttemplate="%{value:,}  (%{percentInitial:.0%})",
            textposition=["inside" if fits else "outside" for fits in inside],
            textfont={"size": 13, "color": ["#ffffff" if fits else "#0f172a" for fits in inside]},
            marker={"color": MATURE if column == "mature" else PROVISIONAL},
            connector={"fillcolor": "#dbeafe"},
            hovertemplate="%{y}<br>" + name + ": %{x:,}<br>%{percentInitial:.1%} of checkouts<extra></extra>",
        )
    )
    return _layout(fig, height=400, showlegend=False)


def recovery_by_channel(by_channel: pd.DataFrame, labels: dict[str, str]) -> go.Figure:
    """Abandoned carts per recovery channel, split into attributed, organic and not recovered."""
    names = [labels.get(channel, channel) for channel in by_channel["channel"]]
    not_recovered = by_channel["abandoned"] - by_channel["recovered"]
    fig = go.Figure()
    for column, values, name, color in (
        ("recovered_attributed", by_channel["recovered_attributed"], "Recovered: attributed", ATTRIBUTED),
        ("recovered_organic", by_channel["recovered_organic"], "Recovered: organic", ORGANIC),
        ("not_recovered", not_recovered, "Not recovered", NOT_RECOVERED),
    ):
        fig.add_bar(
            y=names,
            x=values,
            name=name,
            orientation="h",
            marker_color=color,
            meta=column,
            hovertemplate="%{y}<br>" + name + ": %{x:,}<extra></extra>",
        )
    fig.update_xaxes(title_text="Abandoned carts", tickformat=",d")
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, height=300, barmode="stack", legend_traceorder="normal")


def recovery_by_storefront(by_storefront: pd.DataFrame, currency: str) -> go.Figure:
    """Recovered revenue by the storefront channel the recovering order came through."""
    fig = go.Figure()
    fig.add_bar(
        x=by_storefront["storefront_channel"],
        y=by_storefront["recovered_revenue"],
        marker_color=MATURE,
        customdata=by_storefront["recovered"],
        text=[f"{value:{_money_format(currency)}} {currency}" for value in by_storefront["recovered_revenue"]],
        textposition="outside",
        hovertemplate="%{x}<br>Recovered revenue: %{y:"
        + _money_format(currency)
        + "} "
        + currency
        + "<br>Recovered carts: %{customdata:,}<extra></extra>",
    )
    fig.update_yaxes(title_text=f"Recovered revenue ({currency})", tickformat=",")
    fig.update_xaxes(title_text="Storefront channel of the recovering order")
    return _layout(fig, height=300, showlegend=False)


def time_to_recovery(times: pd.DataFrame, bin_hours: int) -> go.Figure:
    """Recovered carts per bin of hours from abandonment to the recovering order, stacked by recovery type
    (`times`: queries.recovery.recovery_times, already binned)."""
    fig = go.Figure()
    for recovery_type, color in (("attributed", ATTRIBUTED), ("organic", ORGANIC)):
        subset = times[times["recovery_type"] == recovery_type]
        fig.add_bar(
            x=subset["bin_start_hours"] + bin_hours / 2,
            y=subset["carts"],
            width=bin_hours * 0.95,
            name=recovery_type.capitalize(),
            marker_color=color,
            customdata=[f"{start}-{start + bin_hours}" for start in subset["bin_start_hours"]],
            hovertemplate="%{customdata} h after abandonment<br>Recovered carts: %{y:,}<extra></extra>",
        )
    if not times.empty:
        median = float(times["median_hours"].iloc[0])
        fig.add_vline(
            x=median,
            line_dash="dash",
            line_color="#334155",
            annotation_text=f"median {median:,.1f} h",
            annotation_position="top right",
        )
    fig.update_xaxes(title_text=f"Hours from abandonment to order ({bin_hours}-hour bins)", dtick=24)
    fig.update_yaxes(title_text="Recovered carts", tickformat=",d")
    return _layout(fig, height=340, barmode="stack", bargap=0.05, legend_traceorder="normal")


def exception_ageing(ageing: pd.DataFrame) -> go.Figure:
    """Open exceptions by how long past their SLA they are, stacked by severity."""
    order = ["under 1 day", "1-7 days", "7-30 days", "over 30 days"]
    fig = go.Figure()
    for severity, color in SEVERITY_COLORS.items():
        subset = ageing[ageing["severity"] == severity].set_index("past_sla").reindex(order)
        fig.add_bar(
            x=order,
            y=subset["open_exceptions"].fillna(0),
            name=severity.capitalize(),
            marker_color=color,
            hovertemplate="%{x} past SLA<br>" + severity + ": %{y:,}<extra></extra>",
        )
    fig.update_xaxes(title_text="Time past SLA (open exceptions)", categoryorder="array", categoryarray=order)
    fig.update_yaxes(title_text="Open exceptions", tickformat=",d")
    return _layout(fig, height=320, barmode="stack", legend_traceorder="normal")


def exception_queue(queue: pd.DataFrame, dimension: str, label: str) -> go.Figure:
    """Open and resolved exceptions per value of the chosen dimension."""
    fig = go.Figure()
    fig.add_bar(
        y=queue[dimension],
        x=queue["open"],
        name="Open",
        orientation="h",
        marker_color=RATE,
        hovertemplate="%{y}<br>Open: %{x:,}<extra></extra>",
    )
    fig.add_bar(
        y=queue[dimension],
        x=queue["exceptions"] - queue["open"],
        name="Resolved",
        orientation="h",
        marker_color=ABANDONED,
        hovertemplate="%{y}<br>Resolved: %{x:,}<extra></extra>",
    )
    fig.update_xaxes(title_text="Exceptions", tickformat=",d")
    fig.update_yaxes(title_text=label, autorange="reversed", automargin=True)
    return _layout(fig, height=max(260, 42 * len(queue) + 90), barmode="stack")


def reconciliation_heatmap(daily: pd.DataFrame) -> go.Figure:
    """Every day x source system x measure: aligned, aligned with an explained difference, or not aligned."""
    frame = daily.copy()
    frame["row"] = frame["source_system"] + " · " + frame["measure"].str.replace("_", " ")
    frame["state"] = 0
    frame.loc[frame["difference"].astype(float) != 0, "state"] = 1
    frame.loc[~frame["is_aligned"].astype(bool), "state"] = 2
    rows = sorted(frame["row"].unique())
    days = sorted(frame["recon_date"].unique())
    grid = frame.pivot_table(index="row", columns="recon_date", values="state", aggfunc="max").reindex(
        index=rows, columns=days
    )
    text = frame.assign(
        label=lambda f: (
            "source "
            + f["source_value"].map(lambda v: f"{float(v):,.2f}")
            + " · warehouse "
            + f["warehouse_value"].map(lambda v: f"{float(v):,.2f}")
            + "<br>difference "
            + f["difference"].map(lambda v: f"{float(v):,.2f}")
            + " · unexplained "
            + f["unexplained_difference"].map(lambda v: f"{float(v):,.2f}")
        )
    ).pivot_table(index="row", columns="recon_date", values="label", aggfunc="first")
    text = text.reindex(index=rows, columns=days)
    fig = go.Figure(
        go.Heatmap(
            z=grid.values,
            x=days,
            y=rows,
            zmin=0,
            zmax=2,
            colorscale=[
                [0.0, "#bbf7d0"],
                [0.33, "#bbf7d0"],
                [0.34, "#fde68a"],
                [0.66, "#fde68a"],
                [0.67, "#f87171"],
                [1.0, "#f87171"],
            ],
            showscale=False,
            xgap=1,
            ygap=1,
            customdata=text.values,
            hovertemplate="%{y}<br>%{x|%d %b %Y}<br>%{customdata}<extra></extra>",
        )
    )
    fig.update_yaxes(automargin=True)
    return _layout(fig, height=max(260, 28 * len(rows) + 80))


REASON_COLORS = ["#2563eb", "#ea580c", "#10b981", "#a855f7", "#eab308", "#64748b"]


def rejected_rows(rejected: pd.DataFrame) -> go.Figure:
    """Rejected landed rows per source table, stacked by reason."""
    fig = go.Figure()
    tables = sorted(rejected["source_table"].unique())
    for index, (reason, subset) in enumerate(rejected.groupby("reason", sort=True)):
        per_table = subset.groupby("source_table")["rejected_rows"].sum().reindex(tables).fillna(0)
        label = str(reason).replace("_", " ")
        fig.add_bar(
            y=tables,
            x=per_table.values,
            name=label,
            orientation="h",
            marker_color=REASON_COLORS[index % len(REASON_COLORS)],
            hovertemplate="%{y}<br>" + label + ": %{x:,}<extra></extra>",
        )
    fig.update_xaxes(title_text="Rejected rows", tickformat=",d")
    fig.update_yaxes(automargin=True, autorange="reversed")
    return _layout(fig, height=max(280, 30 * len(tables) + 110), barmode="stack", legend_traceorder="normal")


def owner_workflow(per_owner: pd.DataFrame) -> go.Figure:
    """Open exceptions per owner, split into acknowledged and not yet acknowledged."""
    fig = go.Figure()
    fig.add_bar(
        y=per_owner["owner"],
        x=per_owner["acknowledged"],
        name="Acknowledged",
        orientation="h",
        marker_color=ABANDONED,
        hovertemplate="%{y}<br>Acknowledged: %{x:,}<extra></extra>",
    )
    fig.add_bar(
        y=per_owner["owner"],
        x=per_owner["past_due_unacknowledged"],
        name="Not acknowledged",
        orientation="h",
        marker_color=RATE,
        hovertemplate="%{y}<br>Not acknowledged: %{x:,}<extra></extra>",
    )
    fig.update_xaxes(title_text="Open exceptions", tickformat=",d")
    fig.update_yaxes(title_text="Owner", autorange="reversed", automargin=True)
    return _layout(fig, height=max(260, 42 * len(per_owner) + 90), barmode="stack")

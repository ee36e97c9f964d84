"""Plotly figures for the Profitability page, built from the figures' frames (no Streamlit here).

Amounts become floats only here, for drawing; every number a person reads in a table or a CSV
stays the exact Decimal. Each bar carries its client id in `customdata`, so a click on a bar
maps back to a client with `selected_client`.

Names come from Xero and people, and Plotly draws a little HTML in labels (`<a href>`, `<span
style>`): axes are keyed by row id, their tick labels are `text.chart_label` (escaped,
shortened) and the full escaped name is in `hovertext`, read by `%{hovertext}`. A name is never
part of a hovertemplate, which would read `%{...}` in it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from xeroflow_core.profitability.figures import ROW_CLIENT, ROW_OTHER
from xeroflow_core.text import chart_hover, chart_label

# a horizontal legend under the x axis (its title included), clear of the top bar
LEGEND_BELOW = {"orientation": "h", "yanchor": "top", "y": -0.18, "x": 0}
COLOURS = {"revenue": "#1f77b4", "direct_costs": "#ff7f0e", "gross_profit": "#2ca02c"}
LABELS = {"revenue": "Revenue", "direct_costs": "Direct costs", "gross_profit": "Gross profit"}


def _f(values) -> list[float | None]:  # noqa: ANN001 - Decimals (or None) for drawing only
    return [None if v is None or v is pd.NA else float(v) for v in values]


def _named_axis(keys: list[str], names: Any) -> dict:
    """A category axis keyed by row id (two clients whose short labels match stay two bars),
    labelled with each name escaped and shortened."""
    return {
        "type": "category",
        "tickmode": "array",
        "tickvals": keys,
        "ticktext": [chart_label(n) for n in names],
    }


def row_key(row_kind: str, client_id: Any) -> str:
    """A stable id for a table row: the client id, or the row kind for the other rows."""
    if row_kind == ROW_CLIENT and client_id is not None and client_id is not pd.NA:
        return str(int(client_id))
    return row_kind


def clients_bar(top: pd.DataFrame, currency: str) -> go.Figure:
    """Revenue, direct costs and gross profit per client (largest first; the rest grouped as
    "Other"; unmatched and unattributed at the end), horizontal so 15-25 names stay legible."""
    t = top[top["currency"] == currency].iloc[::-1]  # plotly draws the first bar at the bottom
    keys = [row_key(k, c) for k, c in zip(t["row_kind"], t["client_id"], strict=True)]
    fig = go.Figure()
    for col in ("revenue", "direct_costs", "gross_profit"):
        fig.add_bar(
            y=keys,
            x=_f(t[col]),
            name=LABELS[col],
            orientation="h",
            marker_color=COLOURS[col],
            customdata=keys,
            hovertext=[chart_hover(n) for n in t["client"]],
            hovertemplate="%{hovertext}<br>"
            + LABELS[col]
            + ": %{x:,.2f} "
            + currency
            + "<extra></extra>",
        )
    fig.update_layout(
        yaxis=_named_axis(keys, t["client"]),
        barmode="group",
        height=max(320, 26 * len(t) * 2 + 160),
        margin={"l": 10, "r": 10, "t": 20, "b": 70},
        legend=LEGEND_BELOW,
        xaxis_title=currency,
        clickmode="event+select",
    )
    return fig


def margin_trend(monthly: pd.DataFrame, currency: str, title: str | None = None) -> go.Figure:
    """Gross margin by month, one line per client; a month without revenue has no margin and
    leaves a gap rather than a fake zero. `title` says which months it covers."""
    fig = go.Figure()
    m = monthly[monthly["currency"] == currency]
    for client, rows in m.groupby("client", sort=False):
        margins = [None if v is None else float(v) * 100 for v in rows["margin"]]
        fig.add_scatter(
            x=list(rows["month"]),
            y=margins,
            mode="lines+markers",
            name=chart_label(client),
            connectgaps=False,
            hovertext=[chart_hover(client)] * len(rows),
            hovertemplate="%{hovertext} %{x}: %{y:.1f}%<extra></extra>",
        )
    fig.update_layout(
        height=380,
        title={"text": title or "", "x": 0, "font": {"size": 14}},
        margin={"l": 10, "r": 10, "t": 40 if title else 30, "b": 70},
        yaxis_title="Gross margin %",
        xaxis={"type": "category"},
        legend=LEGEND_BELOW,
    )
    return fig


def concentration_chart(conc: pd.DataFrame, currency: str, bars: int = 30) -> go.Figure:
    """A Pareto chart: the largest clients' revenue as bars (first `bars`), and the cumulative
    share of revenue over every client as a line, with the 80% mark."""
    fig = go.Figure()
    head = conc.head(bars)
    keys = [row_key(ROW_CLIENT, c) for c in head["client_id"]]
    fig.add_bar(
        x=keys,
        y=_f(head["revenue"]),
        name="Revenue",
        marker_color=COLOURS["revenue"],
        customdata=keys,
        hovertext=[chart_hover(n) for n in head["client"]],
        hovertemplate="%{hovertext}: %{y:,.2f} " + currency + "<extra></extra>",
    )
    fig.add_scatter(
        x=keys,
        y=[float(v) * 100 for v in head["cumulative_share"]],
        name="Cumulative share %",
        yaxis="y2",
        mode="lines+markers",
        marker_color="#d62728",
        hovertemplate="top %{pointNumber}: %{y:.1f}%<extra></extra>",
    )
    fig.update_layout(
        height=420,
        margin={"l": 10, "r": 10, "t": 20, "b": 140},
        yaxis={"title": currency},
        yaxis2={"title": "cumulative %", "overlaying": "y", "side": "right", "range": [0, 105]},
        legend={**LEGEND_BELOW, "y": -0.45},  # under the slanted client names
        xaxis={**_named_axis(keys, head["client"]), "tickangle": -45},
    )
    fig.add_hline(y=80, line_dash="dot", line_color="#999", yref="y2")
    return fig


def clients_for_share(conc: pd.DataFrame, share: Decimal = Decimal("0.8")) -> int:
    """How many of the largest clients it takes to reach `share` of the revenue."""
    for rank, cum in zip(conc["rank"], conc["cumulative_share"], strict=True):
        if cum is not None and cum >= share:
            return int(rank)
    return len(conc)


def monthly_bars(monthly: pd.DataFrame) -> go.Figure:
    """One client's month by month: revenue and direct costs as bars, gross profit as a line."""
    fig = go.Figure()
    x = list(monthly["month"])
    fig.add_bar(x=x, y=_f(monthly["revenue"]), name="Revenue", marker_color=COLOURS["revenue"])
    fig.add_bar(
        x=x,
        y=_f(monthly["direct_costs"]),
        name="Direct costs",
        marker_color=COLOURS["direct_costs"],
    )
    fig.add_scatter(
        x=x,
        y=_f(monthly["gross_profit"]),
        name="Gross profit",
        mode="lines+markers",
        marker_color=COLOURS["gross_profit"],
    )
    fig.update_layout(
        barmode="group",
        height=340,
        margin={"l": 10, "r": 10, "t": 20, "b": 70},
        xaxis={"type": "category"},
        legend=LEGEND_BELOW,
    )
    return fig


def selected_client(event: Any) -> str | None:
    """The row key (client id, "unmatched", "unattributed") of the first clicked bar, if any.
    Accepts Streamlit's selection state (attribute or dict access)."""
    if not event:
        return None
    selection = (
        event.get("selection") if isinstance(event, dict) else getattr(event, "selection", None)
    )
    if not selection:
        return None
    points = (
        selection.get("points")
        if isinstance(selection, dict)
        else getattr(selection, "points", None)
    )
    for p in points or []:
        key = p.get("customdata") if isinstance(p, dict) else None
        if isinstance(key, list):
            key = key[0] if key else None
        if key and key != ROW_OTHER:
            return str(key)
    return None

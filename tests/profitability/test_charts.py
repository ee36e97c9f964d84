"""A click on a bar maps back to the row behind it; the figures draw for every row kind."""

from __future__ import annotations

from decimal import Decimal as D

import pandas as pd

from xeroflow_core.profitability import charts, figures


def _table() -> pd.DataFrame:
    rows = [
        ("NZD", "client", 7, "Acme", D("100"), D("40")),
        ("NZD", "client", 9, "Beta", D("50"), D("0")),
        ("NZD", "unmatched", pd.NA, "Unmatched revenue", D("10"), D("0")),
        ("NZD", "unattributed", pd.NA, "Unattributed costs", D("0"), D("5")),
    ]
    t = pd.DataFrame(rows, columns=figures.TABLE_COLUMNS[:6])
    t["client_id"] = t["client_id"].astype("Int64")
    return figures._finish(t)


def test_a_clicked_bar_selects_its_client() -> None:
    fig = charts.clients_bar(figures.top_n(_table(), 1), "NZD")
    keys = list(fig.data[0].customdata)
    assert set(keys) == {"7", "other", "unmatched", "unattributed"}
    event = {"selection": {"points": [{"customdata": "7", "point_index": 0}]}}
    assert charts.selected_client(event) == "7"
    assert charts.selected_client({"selection": {"points": [{"customdata": "other"}]}}) is None
    assert charts.selected_client({"selection": {"points": []}}) is None
    assert charts.selected_client(None) is None


def test_concentration_and_share() -> None:
    conc = figures.concentration(_table(), "NZD")
    assert list(conc["client"]) == ["Acme", "Beta"]  # unmatched revenue is no client's
    assert list(conc["cumulative_share"]) == [D(100) / D(150), 1]
    assert charts.clients_for_share(conc) == 2
    fig = charts.concentration_chart(conc, "NZD")
    assert [tr.type for tr in fig.data] == ["bar", "scatter"]

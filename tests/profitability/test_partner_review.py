"""The defects a partner found using the page: the default organisation, the concentration
sentence, like-for-like comparisons, readable tables and labels, the trend window, hints and
legends (each checked on the pure helpers the page calls)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pandas as pd

from xeroflow_core import profitability as pf
from xeroflow_core.profitability import charts, figures, tables
from xeroflow_core.profitability.periods import comparison_period, trend_period
from xeroflow_core.profitability.view import Org, default_organisation, group_label

ORGS = {
    "t-aud": Org("t-aud", "Demo Studio Pty", "AUD", 30, 6),
    "t-nzd": Org("t-nzd", "Demo Agency Ltd", "NZD", 31, 3),
    "t-gbp": Org("t-gbp", "Another Ltd", "GBP", 31, 12),
}


def test_default_organisation_is_the_one_with_most_revenue_else_first_by_name() -> None:
    assert default_organisation(ORGS, {"t-aud": D("10"), "t-nzd": D("34885")}) == "t-nzd"
    assert default_organisation(ORGS, {}) == "t-gbp"  # "Another Ltd" first by name
    assert default_organisation(ORGS, {"t-aud": D("0")}) == "t-gbp"
    assert default_organisation({}, {}) is None


def test_currency_groups_are_labelled_with_their_organisations() -> None:
    assert group_label("NZD", ORGS, tuple(ORGS)) == "NZD: Demo Agency Ltd"
    two = {**ORGS, "t-nz2": Org("t-nz2", "Second NZ", "NZD", 31, 3)}
    assert group_label("NZD", two, tuple(two)) == "NZD: Demo Agency Ltd, Second NZ"


def _conc(revenues: list[str]) -> pd.DataFrame:
    t = pd.DataFrame(
        {
            "currency": "NZD",
            "row_kind": figures.ROW_CLIENT,
            "client_id": range(1, len(revenues) + 1),
            "client": [f"C{i}" for i in range(len(revenues))],
            "revenue": [D(r) for r in revenues],
        }
    )
    return figures.concentration(t, "NZD")


def test_concentration_text_states_the_real_share_with_plurals() -> None:
    one = tables.concentration_text(_conc(["500"]), D("0"), "NZD")
    assert one == "The top client brings 100% of the clients' revenue (1 client with revenue)."
    two = tables.concentration_text(_conc(["900", "100"]), D("0"), "NZD")
    assert two == "The top client brings 90% of the clients' revenue (2 clients with revenue)."
    three = tables.concentration_text(_conc(["50", "40", "10"]), D("0"), "NZD")
    assert three == "The top 2 clients bring 90% of the clients' revenue (3 clients with revenue)."


def test_the_totals_line_counts_clients_in_words() -> None:
    tot = pd.Series({"clients": 1, "unmatched_revenue": D("0"), "unattributed_costs": D("5")})
    assert tables.totals_caption(tot, "NZD").startswith("1 client · unmatched revenue NZD 0.00")
    assert tables.totals_caption(tot.replace(1, 2), "NZD").startswith("2 clients ·")


def test_unmatched_only_revenue_points_to_the_unmatched_queue() -> None:
    text = tables.concentration_text(_conc([]), D("34885"), "AUD")
    assert "No revenue" not in text
    assert "AUD 34,885.00" in text and "not linked to clients yet" in text
    assert "Unmatched Queue" in text
    assert tables.concentration_text(_conc([]), D("0"), "AUD") == "No revenue in this period."


def test_a_year_in_progress_is_compared_with_the_same_span_last_year() -> None:
    fy = pf.financial_year(date(2026, 11, 26), 31, 3)
    prev, note = comparison_period(fy, date(2026, 11, 26))
    assert (prev.start, prev.end) == (date(2025, 4, 1), date(2025, 11, 26))
    assert note == (
        "FY 2026/27 is in progress: to date (01 Apr 2026 – 26 Nov 2026) compared with the same "
        "days of FY 2025/26 (01 Apr 2025 – 26 Nov 2025)"
    )
    # a finished period: the whole previous one
    done = pf.month(2026, 10)
    prev, note = comparison_period(done, date(2026, 11, 26))
    assert prev == pf.previous(done) and note == ""
    # a month in progress, a leap day clamps
    prev, _ = comparison_period(pf.month(2024, 3), date(2024, 3, 31))
    assert (prev.start, prev.end) == (date(2024, 2, 1), date(2024, 2, 29))
    prev, _ = comparison_period(
        pf.custom(date(2026, 11, 1), date(2026, 11, 30)), date(2026, 11, 10)
    )
    # a whole month as a custom range is compared with the whole previous month
    assert (prev.start, prev.end) == (date(2026, 10, 1), date(2026, 10, 10))


def test_the_view_compares_like_with_like(engine) -> None:
    from tests.profitability import builders as b

    b.organisation(engine)
    b.accounts(engine)
    fy = pf.financial_year(date(2026, 11, 26), 31, 3)
    view = pf.compute(engine, fy, None, today=date(2026, 11, 26))
    assert (view.previous.start, view.previous.end) == (date(2025, 4, 1), date(2025, 11, 26))
    assert view.comparison_note


def test_no_percentage_change_from_a_negative_or_zero_base() -> None:
    cur = pd.DataFrame(
        [{"currency": "NZD", "revenue": D("100"), "direct_costs": D("50"),
          "gross_profit": D("50"), "margin": D("0.5")}]
    )  # fmt: skip
    prev = pd.DataFrame(
        [{"currency": "NZD", "revenue": D("0"), "direct_costs": D("120"),
          "gross_profit": D("-98"), "margin": None}]
    )  # fmt: skip
    h = figures.change(cur, prev).iloc[0]
    assert h["gross_profit_change"] == D("148") and h["gross_profit_change_pct"] is None
    assert h["revenue_change_pct"] is None
    assert h["direct_costs_change_pct"] is not None  # a positive base keeps its percentage
    assert tables.change_text(h["gross_profit_change"], None) == "148.00"


def test_the_clients_table_reads_as_money_and_percentages() -> None:
    shown = pd.DataFrame(
        {
            "Client": ["Acme", "Unmatched revenue"],
            "Revenue": [D("108714.98"), D("0.00")],
            "Direct costs": [D("1000.00"), D("0.00")],
            "Gross profit": [D("107714.98"), D("0.00")],
            "Margin %": [D("99.08"), None],
        }
    )
    out = tables.clients_display(shown)
    assert list(out["Revenue"]) == ["108,714.98", "0.00"]
    assert list(out["Margin %"]) == ["99.1%", "—"]
    assert shown["Revenue"][0] == D("108714.98")  # the data (and CSV) stay exact


def test_documents_and_account_types_read_as_words() -> None:
    lines = pd.DataFrame(
        {
            "date": [date(2026, 10, 1)] * 4,
            "doc_type": ["ACCREC", "ACCPAY", "ACCRECCREDIT", "RECEIPT"],
            "number": ["INV-0867", "WORD-84182", "CN-1", "R-1"],
            "contact": ["A"] * 4,
            "account_code": ["200"] * 4,
            "description": [""] * 4,
            "amount": [D("1")] * 4,
            "category": ["revenue", "cost", "revenue", "cost"],
            "why": [""] * 4,
        }
    )
    docs = list(tables.lines_frame(lines)["Document"])
    assert docs == ["Invoice INV-0867", "Bill WORD-84182", "Credit note CN-1", "Receipt R-1"]
    rows = pd.DataFrame(
        {
            "code": ["200", "310"],
            "account": ["Sales", "Cost of sales"],
            "type": ["REVENUE", "DIRECTCOSTS"],
            "ours": [D("1"), D("2")],
            "xero": [D("1"), D("2")],
            "difference": [D("0"), D("0")],
            "ties": [True, True],
        }
    )
    assert list(tables.reconciliation_frame(rows)["Type"]) == ["Revenue", "Direct costs"]


def test_a_short_period_trends_over_the_last_twelve_months() -> None:
    p = pf.month(2026, 10)
    t = trend_period(p)
    assert (t.start, t.end) == (date(2025, 11, 1), date(2026, 10, 31))
    assert len(t.months()) == 12
    q = pf.quarter(2026, 3)
    assert trend_period(q) == q  # three months or more: the period itself
    fig = charts.margin_trend(pd.DataFrame(columns=["currency", "client", "month", "margin"]),
                              "NZD", title="Gross margin by month, last 12 months")  # fmt: skip
    assert "last 12 months" in fig.layout.title.text


def test_no_clients_hint() -> None:
    assert tables.NO_CLIENTS_HINT == "No clients yet: link contacts in the Unmatched Queue."


def test_legends_do_not_overlap_the_bars() -> None:
    t = pd.DataFrame(
        {
            "currency": ["NZD"],
            "row_kind": [figures.ROW_CLIENT],
            "client_id": [1],
            "client": ["Acme"],
            "revenue": [D("10")],
            "direct_costs": [D("5")],
            "gross_profit": [D("5")],
            "margin": [D("0.5")],
        }
    )
    for fig in (charts.clients_bar(t, "NZD"), charts.concentration_chart(_conc(["5"]), "NZD")):
        legend = fig.layout.legend
        assert legend.yanchor == "top" and legend.y < 0  # below the plot area
        assert fig.layout.margin.b >= 60

"""The Profitability page's choices, without a browser: which organisations a filter covers,
which currency group shows first, the period list's labels, the captions and the verdicts."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pandas as pd

from xeroflow_core import profitability as pf
from xeroflow_core.profitability import choices as pc
from xeroflow_core.profitability.reconcile import Reconciliation

NZ = pf.Org("nz", "Demo Agency Ltd", "NZD", 31, 3)
NZ2 = pf.Org("nz2", "Second NZ", "NZD", 31, 3)
AU = pf.Org("au", "Aussie Pty", "AUD", 30, 6)
ORGS = {"au": AU, "nz": NZ, "nz2": NZ2}


def test_a_filter_choice_covers_one_organisation_or_all() -> None:
    assert pc.tenants_for(pc.ALL, ORGS) == ("au", "nz", "nz2")
    assert pc.tenants_for("nz", ORGS) == ("nz",)
    assert pc.organisation_label(pc.ALL, ORGS) == "All organisations"
    assert pc.organisation_label("nz", ORGS) == "Demo Agency Ltd"
    assert pc.reference_org("nz", ORGS) is NZ
    assert pc.reference_org(pc.ALL, ORGS) is AU  # the first by name


def test_the_page_judges_the_opening_organisation_on_last_month() -> None:
    assert pc.opening_period(date(2026, 11, 26)) == pf.month(2026, 10)


def test_the_period_list_is_labelled_by_kind_and_a_year_says_whose_it_is() -> None:
    assert list(pc.PERIOD_KINDS) == ["Month", "Quarter", "Financial year", "Custom range"]
    assert pc.period_label("month", NZ) == "Month"
    assert pc.period_label("quarter", NZ) == "Quarter"
    assert pc.period_label("financial_year", AU) == "Financial year (ends 30 June, Aussie Pty)"
    fy = pf.financial_year(date(2026, 5, 1), 31, 3)
    assert pc.period_format("financial_year")(fy) == f"{fy.label} (01 Apr 2026 – 31 Mar 2027)"
    assert pc.period_format("month")(pf.month(2026, 10)) == "October 2026"


def test_the_currency_group_with_most_revenue_shows_first_ties_go_to_the_first() -> None:
    currencies = ["AUD", "NZD"]
    revenue = {"au": Decimal("500"), "nz": Decimal("300"), "nz2": Decimal("300")}
    assert pc.group_revenue(currencies, ORGS, revenue) == {"AUD": 500, "NZD": 600}
    assert pc.default_currency(currencies, ORGS, revenue) == "NZD"
    assert pc.default_currency(currencies, ORGS, {"au": Decimal(1), "nz": Decimal(1)}) == "AUD"
    assert pc.default_currency(currencies, ORGS, {}) == "AUD"
    assert pc.currency_tenants(("au", "nz", "nz2"), ORGS, "NZD") == ("nz", "nz2")


def test_freshness_names_each_organisation_the_dates_and_the_comparison() -> None:
    now = datetime(2026, 11, 26, 12, 0)
    oct_, sep = pf.month(2026, 10), pf.month(2026, 9)
    view = SimpleNamespace(period=oct_, previous=sep, comparison_note="")
    synced = {"nz": datetime(2026, 11, 26, 11, 57), "au": None}
    assert pc.freshness_caption(ORGS, synced, view, now) == (
        "Data as of the last sync: Demo Agency Ltd: 3 min ago · Aussie Pty: never synced"
        " · 01 Oct 2026 – 31 Oct 2026 vs September 2026"
    )
    view.comparison_note = "compared with 1–26 October"
    assert pc.freshness_caption(ORGS, {}, view, now).endswith(" · compared with 1–26 October")


def test_the_trend_says_when_the_period_is_too_short() -> None:
    year = pf.custom(date(2025, 11, 1), date(2026, 10, 31))
    assert pc.trend_title(year, year).startswith("Gross margin by month, ")
    assert pc.trend_title(pf.month(2026, 10), year).endswith(
        "(the period is too short for a trend)"
    )


def test_a_drill_key_names_a_client_or_a_row() -> None:
    assert pc.drill_target("12") == pc.DrillTarget(12, pf.ROW_CLIENT)
    assert pc.drill_target("12").is_client
    unmatched = pc.drill_target(pf.ROW_UNMATCHED)
    assert unmatched == pc.DrillTarget(None, pf.ROW_UNMATCHED) and not unmatched.is_client
    assert pc.margin_text(None) == "–" and pc.margin_text(Decimal("0.4567")) == "45.7%"


def _rec(fetched: datetime | None, ours: str, xero: str) -> Reconciliation:
    rows = pd.DataFrame({"ties": [ours == xero]})
    return Reconciliation(
        "nz",
        pf.month(2026, 10),
        fetched,
        rows,
        Decimal(ours),
        Decimal("0"),
        Decimal(xero),
        Decimal("0"),
        pd.DataFrame(),
    )


def test_the_verdict_says_not_fetched_ties_or_does_not_tie() -> None:
    when = datetime(2026, 11, 1)
    level, text = pc.verdict(None, _rec(None, "10", "10"), "NZD")
    assert level == "info" and "has not been fetched yet" in text
    level, text = pc.verdict("5 min ago", _rec(when, "10", "10"), "NZD")
    assert level == "success" and text.startswith("Ties to the cent: revenue ")
    assert text.endswith("(Xero's report fetched 5 min ago).")
    level, text = pc.verdict("5 min ago", _rec(when, "10", "12"), "NZD")
    assert level == "warning" and text.startswith("Does not tie (Xero's report fetched 5 min ago)")

"""Billing rules as pure functions: proration, frequencies, markup, templates, terms, tax."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from xeroflow_core.eom.billing import (
    BillingRuleError,
    active_days,
    due_date,
    falls_in,
    fee_line,
    parse_month,
    prorate,
    rebill_amount,
    render,
    to_amount,
)
from xeroflow_core.money import document_totals, line_amount, line_tax, round_money

OCT = date(2026, 10, 1)


def test_month_is_parsed_or_refused_clearly() -> None:
    assert parse_month("2026-10") == OCT
    assert parse_month(date(2026, 10, 17)) == OCT
    for bad in ("2026-13", "Oct 2026", "2026/10", ""):
        with pytest.raises(BillingRuleError, match="YYYY-MM"):
            parse_month(bad)


def test_proration_by_calendar_days_rounded_to_cents() -> None:
    # started on 17 October: 15 of 31 days of 1,000.00 = 483.870967... -> 483.87
    assert active_days(OCT, date(2026, 10, 17), None) == 15
    assert prorate(D("1000.00"), 15, OCT) == D("483.87")
    # ended on 10 February 2027 (28 days): 10/28 of 1,500 = 535.714285... -> 535.71
    feb = date(2027, 2, 1)
    assert active_days(feb, None, date(2027, 2, 10)) == 10
    assert prorate(D("1500"), 10, feb) == D("535.71")
    # a half cent is rounded up by default and to even when configured
    assert prorate(D("0.31"), 15, OCT) == D("0.15")  # 0.15 exactly
    assert prorate(D("2.17"), 15, OCT) == D("1.05")  # 1.05 exactly: no drift
    assert active_days(OCT, date(2026, 11, 1), None) == 0
    assert active_days(OCT, date(2026, 9, 1), date(2026, 9, 30)) == 0


def test_prorated_fee_line_is_one_unit_of_the_prorated_amount() -> None:
    line = fee_line(
        item_id=1, kind="retainer", description="Retainer - {month} {year}", quantity=D("2"),
        unit_amount=D("750.00"), account_code="200", tax_type="OUTPUT2", frequency="monthly",
        anchor_month=1, start=date(2026, 10, 17), end=None, one_off_month=None, month=OCT,
        client_name="Acme", prorate_partial=True,
    )  # fmt: skip
    assert line is not None
    assert (line.quantity, line.unit_amount) == (D(1), D("725.81"))  # 1500 x 15/31
    assert line.description == "Retainer - October 2026 (prorated 15/31 days)"
    full = fee_line(
        item_id=1, kind="retainer", description="Retainer", quantity=D("2"),
        unit_amount=D("750.00"), account_code="200", tax_type="OUTPUT2", frequency="monthly",
        anchor_month=1, start=date(2026, 10, 17), end=None, one_off_month=None, month=OCT,
        client_name="Acme", prorate_partial=False,
    )  # fmt: skip
    assert (full.quantity, full.unit_amount) == (D("2"), D("750.00"))


def test_quarterly_and_yearly_fees_fall_on_their_months() -> None:
    quarterly = [m for m in range(1, 13) if falls_in("recurring", "quarterly", 2, date(2026, m, 1))]
    assert quarterly == [2, 5, 8, 11]
    assert [m for m in range(1, 13) if falls_in("recurring", "yearly", 10, date(2026, m, 1))] == [
        10
    ]
    assert all(falls_in("retainer", "yearly", 3, date(2026, m, 1)) for m in range(1, 13))
    assert falls_in("one_off", "monthly", 1, OCT, date(2026, 10, 1))
    assert not falls_in("one_off", "monthly", 1, OCT, date(2026, 11, 1))


def test_rebill_markup_on_ex_tax_amount() -> None:
    assert rebill_amount(D("100.00"), D("15")) == D("115.00")
    assert rebill_amount(D("33.33"), D("12.5")) == D("37.50")  # 37.49625 -> 37.50
    assert rebill_amount(D("19.99"), D("0")) == D("19.99")
    assert rebill_amount(D("0.05"), D("10"), "half_even") == D("0.06")  # 0.055 -> 0.06 (even)
    assert rebill_amount(D("0.15"), D("10"), "half_even") == D("0.16")  # 0.165 -> 0.16
    assert rebill_amount(D("0.15"), D("10"), "half_up") == D("0.17")


def test_exclusive_tax_per_line_then_summed_catches_the_cent() -> None:
    # Xero's rounding guide: 25.06, 25.61, 25.63 at 15% -> 3.76 + 3.84 + 3.84 = 11.44, not 11.45
    amounts = [D("25.06"), D("25.61"), D("25.63")]
    taxes = [line_tax(a, D("15"), "Exclusive") for a in amounts]
    assert taxes == [D("3.76"), D("3.84"), D("3.84")]
    t = document_totals(zip(amounts, taxes, strict=True), "Exclusive")
    assert (t.sub_total, t.total_tax, t.total) == (D("76.30"), D("11.44"), D("87.74"))
    assert round_money(sum(amounts) * D("0.15")) == D("11.45")  # tax on the subtotal: wrong


def test_inclusive_tax_per_line_then_summed() -> None:
    amounts = [D("115.00"), D("10.01"), D("10.01")]
    taxes = [line_tax(a, D("15"), "Inclusive") for a in amounts]
    assert taxes == [D("15.00"), D("1.31"), D("1.31")]  # 10.01 x 15/115 = 1.3056...
    t = document_totals(zip(amounts, taxes, strict=True), "Inclusive")
    assert (t.sub_total, t.total_tax, t.total) == (D("117.40"), D("17.62"), D("135.02"))
    assert line_tax(D("99"), D("15"), "NoTax") == D("0.00")


def test_four_place_unit_amounts_and_line_amounts_at_two() -> None:
    assert to_amount("12.3456") == D("12.3456")
    with pytest.raises(BillingRuleError, match="4 decimal places"):
        to_amount("1.23456")
    with pytest.raises(BillingRuleError, match="number"):
        to_amount("twelve")
    assert line_amount(D("3"), D("33.3333")) == D("100.00")  # 99.9999 -> 100.00
    assert line_amount(D("7"), D("0.0050")) == D("0.04")  # 0.035 -> 0.04 half-up


def test_templates_and_references() -> None:
    assert render("Retainer - {month} {year}", "Acme Ltd", OCT) == "Retainer - October 2026"
    assert render("XF-{client}-{YYYY-MM}", "Acme & Sons Ltd", OCT) == "XF-ACME-SONS-LTD-2026-10"
    assert render("{quarter} fee", "x", OCT) == "Q4 fee"
    with pytest.raises(BillingRuleError, match="unknown placeholder"):
        render("Fee {mnth}", "x", OCT)
    with pytest.raises(BillingRuleError, match="not valid"):
        render("Fee {", "x", OCT)


def test_due_dates_from_terms() -> None:
    end = date(2026, 10, 31)
    assert due_date(end, "days_after", 14) == date(2026, 11, 14)
    assert due_date(end, "day_of_following_month", 20) == date(2026, 11, 20)
    assert due_date(date(2027, 1, 31), "day_of_following_month", 31) == date(2027, 2, 28)
    assert due_date(end, "", None) is None  # the organisation's default applies in Xero

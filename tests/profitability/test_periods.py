"""Periods a partner picks: months, quarters, the organisation's financial year, custom ranges,
and the previous period each is compared with."""

from __future__ import annotations

from datetime import date

import pytest

from xeroflow_core import profitability as pf


def test_financial_year_follows_the_organisations_year_end() -> None:
    nz = pf.financial_year(date(2026, 10, 15), 31, 3)  # New Zealand: 1 April - 31 March
    assert (nz.start, nz.end) == (date(2026, 4, 1), date(2027, 3, 31))
    assert pf.financial_year(date(2026, 3, 31), 31, 3).end == date(2026, 3, 31)
    assert pf.financial_year(date(2026, 4, 1), 31, 3).start == date(2026, 4, 1)
    au = pf.financial_year(date(2026, 7, 1), 30, 6)
    assert (au.start, au.end) == (date(2026, 7, 1), date(2027, 6, 30))
    cal = pf.financial_year(date(2026, 5, 5))
    assert (cal.start, cal.end) == (date(2026, 1, 1), date(2026, 12, 31))
    feb = pf.financial_year(date(2027, 6, 1), 29, 2)  # a year ending on the last day of Feb
    assert (feb.start, feb.end) == (date(2027, 3, 1), date(2028, 2, 29))
    prev = pf.previous(nz)
    assert (prev.start, prev.end) == (date(2025, 4, 1), date(2026, 3, 31))
    assert len(nz.months()) == 12 and nz.months()[0] == "2026-04"


def test_previous_periods() -> None:
    assert pf.previous(pf.month(2026, 1)) == pf.month(2025, 12)
    assert pf.previous(pf.quarter(2026, 1)) == pf.quarter(2025, 4)
    r = pf.custom(date(2026, 10, 1), date(2026, 10, 10))
    p = pf.previous(r)
    assert (p.start, p.end) == (date(2026, 9, 21), date(2026, 9, 30))


def test_a_range_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="before it starts"):
        pf.custom(date(2026, 10, 2), date(2026, 10, 1))
    with pytest.raises(ValueError):
        pf.quarter(2026, 5)

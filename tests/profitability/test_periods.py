"""Periods a partner picks: months, quarters, the organisation's financial year, custom ranges,
and the previous period each is compared with."""

from __future__ import annotations

from datetime import date, timedelta

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


@pytest.mark.parametrize(
    ("start", "end", "prev_start", "prev_end"),
    [
        # 36 whole months with 29 Feb 2024 inside: the "30 Nov 2020 - 30 Nov 2023"
        (date(2023, 12, 1), date(2026, 11, 30), date(2020, 12, 1), date(2023, 11, 30)),
        # the previous range holds the leap day and this one does not, and the other way round
        (date(2025, 3, 1), date(2026, 2, 28), date(2024, 3, 1), date(2025, 2, 28)),
        (date(2024, 3, 1), date(2025, 2, 28), date(2023, 3, 1), date(2024, 2, 29)),
        # months of different lengths: March (31 days) against February (28 or 29)
        (date(2026, 3, 1), date(2026, 3, 31), date(2026, 2, 1), date(2026, 2, 28)),
        (date(2024, 3, 1), date(2024, 3, 31), date(2024, 2, 1), date(2024, 2, 29)),
        (date(2024, 1, 1), date(2024, 12, 31), date(2023, 1, 1), date(2023, 12, 31)),
        # not whole months: the same number of days, ending the day before
        (date(2024, 3, 15), date(2024, 4, 14), date(2024, 2, 13), date(2024, 3, 14)),
        (date(2024, 2, 29), date(2024, 3, 31), date(2024, 1, 28), date(2024, 2, 28)),
    ],
)
def test_a_custom_range_is_compared_with_a_range_of_the_same_length(
    start: date, end: date, prev_start: date, prev_end: date
) -> None:
    r = pf.custom(start, end)
    p = pf.previous(r)
    assert (p.start, p.end) == (prev_start, prev_end)
    assert p.end == r.start - timedelta(days=1)  # no gap, no overlap
    if start.day == 1 and end == pf.periods.month_end(end.year, end.month):
        assert len(p.months()) == len(r.months())  # whole months: as many of them
    else:
        assert (p.end - p.start).days == (r.end - r.start).days  # otherwise as many days

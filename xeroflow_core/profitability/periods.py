"""Reporting periods: month, quarter, the organisation's financial year, or a custom range.

A period is a pair of calendar dates, both inclusive, as Xero's reports take them. The previous
period (for "change against the previous period") has the same shape and length in months.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

KINDS = ("month", "quarter", "financial_year", "custom")


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    kind: str = "custom"
    label: str = ""

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"the period ends ({self.end}) before it starts ({self.start})")

    def months(self) -> list[str]:
        """The calendar months the period touches, as 'YYYY-MM' (the monthly series' axis)."""
        out, y, m = [], self.start.year, self.start.month
        while (y, m) <= (self.end.year, self.end.month):
            out.append(f"{y:04d}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out


def month_end(y: int, m: int) -> date:
    return date(y, m, calendar.monthrange(y, m)[1])


def add_months(y: int, m: int, n: int) -> tuple[int, int]:
    k = y * 12 + (m - 1) + n
    return k // 12, k % 12 + 1


def month(y: int, m: int) -> Period:
    return Period(date(y, m, 1), month_end(y, m), "month", f"{date(y, m, 1):%B %Y}")


def quarter(y: int, q: int) -> Period:
    """Calendar quarter q (1-4) of year y."""
    if q not in (1, 2, 3, 4):
        raise ValueError("quarter must be 1-4")
    m = 3 * (q - 1) + 1
    return Period(date(y, m, 1), month_end(y, m + 2), "quarter", f"Q{q} {y}")


def financial_year(containing: date, fy_end_day: int = 31, fy_end_month: int = 12) -> Period:
    """The financial year holding `containing`, for an organisation whose year ends on
    (FinancialYearEndDay, FinancialYearEndMonth), e.g. 31 March in New Zealand."""
    day = min(fy_end_day, calendar.monthrange(containing.year, fy_end_month)[1])
    end = date(containing.year, fy_end_month, day)
    if containing > end:
        ny = containing.year + 1
        end = date(ny, fy_end_month, min(fy_end_day, calendar.monthrange(ny, fy_end_month)[1]))
    prev_end_year = end.year - 1
    prev_day = min(fy_end_day, calendar.monthrange(prev_end_year, fy_end_month)[1])
    start = date(prev_end_year, fy_end_month, prev_day) + timedelta(days=1)
    label = f"FY {start.year}" if start.year == end.year else f"FY {start.year}/{end:%y}"
    return Period(start, end, "financial_year", label)


def custom(start: date, end: date) -> Period:
    return Period(start, end, "custom", f"{start:%d %b %Y} – {end:%d %b %Y}")


def previous(p: Period) -> Period:
    """The period just before `p`, of the same kind (a custom range: the same number of days)."""
    if p.kind == "month":
        y, m = add_months(p.start.year, p.start.month, -1)
        return month(y, m)
    if p.kind == "quarter":
        y, m = add_months(p.start.year, p.start.month, -3)
        return quarter(y, (m - 1) // 3 + 1)
    if p.kind == "financial_year":
        return financial_year(p.start - timedelta(days=1), p.end.day, p.end.month)
    months = whole_months(p)
    if months:  # 1 Dec 2023 - 30 Nov 2026 is compared with 1 Dec 2020 - 30 Nov 2023
        y, m = add_months(p.start.year, p.start.month, -months)
        return custom(date(y, m, 1), p.start - timedelta(days=1))
    days = (p.end - p.start).days + 1
    return custom(p.start - timedelta(days=days), p.start - timedelta(days=1))


def whole_months(p: Period) -> int:
    """How many calendar months `p` covers when it runs from a first to a month's last day (its
    previous period is then as many whole months: counting days instead would take a day more
    or less whenever a February 29th falls in one and not the other), else 0."""
    if p.start.day != 1 or p.end != month_end(p.end.year, p.end.month):
        return 0
    return (p.end.year - p.start.year) * 12 + p.end.month - p.start.month + 1


# how many periods each picker offers, and which one it starts on (the last complete one)
CHOICES = {"month": (36, 1), "quarter": (12, 1), "financial_year": (4, 0)}


def period_choices(
    kind: str, today: date, fy_end_day: int = 31, fy_end_month: int = 12
) -> tuple[list[Period], int]:
    """The periods a picker offers for `kind`, newest first starting with the one holding
    `today`, and the index to start on: last month, last quarter, this financial year."""
    if kind not in CHOICES:
        raise ValueError(f"period choices are for {', '.join(CHOICES)}")
    count, default = CHOICES[kind]
    if kind == "month":
        first = month(today.year, today.month)
    elif kind == "quarter":
        first = quarter(today.year, (today.month - 1) // 3 + 1)
    else:
        first = financial_year(today, fy_end_day, fy_end_month)
    out = [first]
    while len(out) < count:
        out.append(previous(out[-1]))
    return out, default


def default_custom_range(today: date) -> tuple[date, date]:
    """The custom range a picker starts with: the twelve months to the end of last month."""
    last_end = today.replace(day=1) - timedelta(days=1)
    y, m = add_months(last_end.year, last_end.month, -11)
    return date(y, m, 1), last_end


def _shift(d: date, months: int) -> date:
    y, m = add_months(d.year, d.month, months)
    return date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def comparison_period(p: Period, today: date) -> tuple[Period, str]:
    """What `p` is compared with, and a note saying so. A finished (or future) period: the whole
    previous one. A period in progress on `today`: the same elapsed span of the previous one
    (year to date against the same days last year), so a part year is never set against a
    whole year."""
    prev = previous(p)
    if not p.start <= today < p.end:
        return prev, ""
    if p.kind == "custom":
        end = prev.start + (today - p.start)
    else:
        months = (prev.start.year - p.start.year) * 12 + prev.start.month - p.start.month
        end = _shift(today, months)
    end = max(prev.start, min(end, prev.end))
    span = Period(prev.start, end, prev.kind, f"{prev.start:%d %b %Y} – {end:%d %b %Y}")
    note = (
        f"{p.label or 'This period'} is in progress: to date ({p.start:%d %b %Y} – "
        f"{today:%d %b %Y}) compared with the same days of "
        f"{prev.label or 'the previous period'} ({span.label})"
    )
    return span, note


TREND_MONTHS = 12


def trend_period(p: Period) -> Period:
    """The months the margin trend covers: the period itself when it spans 3 months or more,
    otherwise the last 12 months ending with the period (one or two points show no trend)."""
    if len(p.months()) >= 3:
        return p
    y, m = add_months(p.end.year, p.end.month, 1 - TREND_MONTHS)
    return Period(date(y, m, 1), month_end(p.end.year, p.end.month), "custom",
                  f"the last {TREND_MONTHS} months to {p.end:%b %Y}")  # fmt: skip

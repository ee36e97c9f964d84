"""Billing rules as pure functions: which fees fall in a month, proration, rebill markup,
description and reference templates, due dates.

Pure so that the one-cent cases can be tested without a database; the engine (engine.py) feeds
them rows and stores what they return.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from xeroflow_core.money import HUNDRED, round_money

KINDS = ("retainer", "recurring", "one_off")
FREQUENCIES = ("monthly", "quarterly", "yearly")
LINE_AMOUNT_TYPES = ("Exclusive", "Inclusive", "NoTax")
TERMS_TYPES = ("", "days_after", "day_of_following_month")
REVENUE_ACCOUNT_TYPES = ("REVENUE", "SALES", "OTHERINCOME")
MONEY_PLACES = Decimal("0.0001")


class BillingRuleError(ValueError):
    """Billing data that cannot produce a line (a bad template, an impossible amount)."""


@dataclass(frozen=True)
class LineSpec:
    """A line the rules produce, before tax: the engine adds tax and stores it."""

    source: str  # retainer, recurring, one_off, rebill
    description: str
    quantity: Decimal
    unit_amount: Decimal
    account_code: str
    tax_type: str
    billing_item_id: int | None = None
    tenant_id: str | None = None
    source_line_id: str | None = None


def parse_month(text: str | date) -> date:
    """'2026-10' (or any date in the month) -> date(2026, 10, 1); a clear error otherwise."""
    if isinstance(text, date):
        return text.replace(day=1)
    m = re.fullmatch(r"\s*(\d{4})-(\d{1,2})\s*", str(text))
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise BillingRuleError(f"a month is written YYYY-MM, e.g. 2026-10 (got {text!r})")
    return date(int(m.group(1)), int(m.group(2)), 1)


def previous_month(today: date) -> date:
    """The first day of the month before `today` (the default month to invoice)."""
    return date.fromordinal(today.replace(day=1).toordinal() - 1).replace(day=1)


def month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def days_in_month(month: date) -> int:
    return calendar.monthrange(month.year, month.month)[1]


def to_amount(value: object, field: str = "amount") -> Decimal:
    """A Decimal with at most 4 places (Xero's unitdp=4); floats go through str, never binary."""
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise BillingRuleError(f"{field} must be a number (got {value!r})") from exc
    if not d.is_finite():
        raise BillingRuleError(f"{field} must be a number (got {value!r})")
    if d != d.quantize(MONEY_PLACES):
        raise BillingRuleError(f"{field} has more than 4 decimal places ({value})")
    return d.quantize(MONEY_PLACES)


def falls_in(
    kind: str,
    frequency: str,
    anchor_month: int,
    month: date,
    one_off_month: date | None = None,
) -> bool:
    """Whether a fee of this kind and frequency is billed in `month` (before start/end dates)."""
    if kind == "one_off":
        return one_off_month is not None and one_off_month.replace(day=1) == month
    if kind == "retainer" or frequency == "monthly":
        return True
    if frequency == "quarterly":
        return (month.month - anchor_month) % 3 == 0
    if frequency == "yearly":
        return month.month == anchor_month
    raise BillingRuleError(f"unknown frequency {frequency!r}")


def active_days(month: date, start: date | None, end: date | None) -> int:
    """Calendar days of `month` inside [start, end] (either may be open)."""
    first, last = month, month_end(month)
    lo = max(first, start) if start else first
    hi = min(last, end) if end else last
    return max(0, (hi - lo).days + 1)


def prorate(amount: Decimal, days: int, month: date, rounding: str = "half_up") -> Decimal:
    """amount x active days / days in the month, rounded to 2 places (DESIGN §8)."""
    return round_money(amount * Decimal(days) / Decimal(days_in_month(month)), rounding)


def rebill_amount(ex_tax: Decimal, markup_percent: Decimal, rounding: str = "half_up") -> Decimal:
    """A rebilled cost: its ex-tax amount x (1 + markup), rounded to 2 places."""
    return round_money(ex_tax * (1 + Decimal(markup_percent) / HUNDRED), rounding)


class _Fields(dict):
    def __missing__(self, key: str) -> str:
        raise BillingRuleError(
            f"unknown placeholder {{{key}}}; use {', '.join('{' + k + '}' for k in self)}"
        )


def template_fields(client_name: str, month: date, **extra: str) -> dict[str, str]:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", client_name).strip("-").upper()[:40] or "CLIENT"
    return _Fields(
        {
            "client": slug,
            "client_name": client_name,
            "month": calendar.month_name[month.month],
            "mon": calendar.month_abbr[month.month],
            "year": str(month.year),
            "YYYY-MM": f"{month.year}-{month.month:02d}",
            "MM": f"{month.month:02d}",
            "quarter": f"Q{(month.month - 1) // 3 + 1}",
            **extra,
        }
    )


def render(template: str, client_name: str, month: date, **extra: str) -> str:
    """Fill "{month} {year}"-style placeholders; a clear error for an unknown one."""
    fields = template_fields(client_name, month, **extra)
    try:
        return template.format_map(fields)
    except (ValueError, IndexError) as exc:
        raise BillingRuleError(f"the template {template!r} is not valid: {exc}") from exc


def due_date(invoice_date: date, terms_type: str, terms_value: int | None) -> date | None:
    """The due date from the client's terms; None means the organisation's default applies."""
    if not terms_type or terms_value is None:
        return None
    if terms_type == "days_after":
        return invoice_date + timedelta(days=int(terms_value))
    if terms_type == "day_of_following_month":
        nxt = (invoice_date.replace(day=1) + timedelta(days=32)).replace(day=1)
        return nxt.replace(day=min(int(terms_value), days_in_month(nxt)))
    raise BillingRuleError(f"unknown payment terms {terms_type!r}")


def fee_line(
    *,
    item_id: int | None,
    kind: str,
    description: str,
    quantity: Decimal,
    unit_amount: Decimal,
    account_code: str,
    tax_type: str,
    frequency: str,
    anchor_month: int,
    start: date | None,
    end: date | None,
    one_off_month: date | None,
    month: date,
    client_name: str,
    prorate_partial: bool,
    rounding: str = "half_up",
) -> LineSpec | None:
    """The line a fee gives in `month`, or None when it does not fall in the month.

    A partial month (start or end inside it) is prorated when the client has proration on:
    the whole line becomes one unit at round(quantity x unit x days / days in month, 2)."""
    if not falls_in(kind, frequency, anchor_month, month, one_off_month):
        return None
    days = active_days(month, start, end) if kind != "one_off" else days_in_month(month)
    if days == 0:
        return None
    text = render(description or kind.replace("_", " ").title(), client_name, month)
    if days < days_in_month(month) and prorate_partial:
        amount = prorate(quantity * unit_amount, days, month, rounding)
        text = f"{text} (prorated {days}/{days_in_month(month)} days)"
        return LineSpec(kind, text, Decimal(1), amount, account_code, tax_type, item_id)
    return LineSpec(kind, text, quantity, unit_amount, account_code, tax_type, item_id)

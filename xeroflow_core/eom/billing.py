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
MONEY_PLACES = Decimal("0.0001")
# Bounds on what a person may enter. Xero documents no numeric limits; these sit far above any
# firm's monthly invoice and keep every amount, and a draft's total, inside what the database
# stores exactly (NUMERIC(19,4); on SQLite a 64-bit integer of ten-thousandths).
MAX_QUANTITY = Decimal(1_000_000)
MAX_UNIT_AMOUNT = Decimal(1_000_000_000)
MAX_LINE_AMOUNT = Decimal(1_000_000_000)
MAX_MARKUP_PERCENT = Decimal(1_000)
MAX_AMOUNT = Decimal(100_000_000_000)  # any amount at all: stored values stay below 9.2e14
# Months EOM invoices: Xero organisations and their invoices live well inside these years.
MIN_YEAR, MAX_YEAR = 2000, 2099
CREDIT_WORDS = ("credit", "discount")
UNIT_HELP = (
    "Digits with up to 4 decimal places, e.g. 1250.00. A negative amount is for a credit line "
    "only: start its description with “Credit” or “Discount”."
)
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


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
    """'2026-10' (or any date in the month) -> date(2026, 10, 1); a clear error otherwise,
    including for a year outside MIN_YEAR..MAX_YEAR (year 0 cannot even be a date)."""
    if isinstance(text, date):
        month = text.replace(day=1)
    else:
        m = re.fullmatch(r"\s*([0-9]{4})-([0-9]{1,2})\s*", str(text))
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise BillingRuleError(f"a month is written YYYY-MM, e.g. 2026-10 (got {text!r})")
        year, mon = int(m.group(1)), int(m.group(2))
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise BillingRuleError(_month_range(text))
        month = date(year, mon, 1)
    if not MIN_YEAR <= month.year <= MAX_YEAR:
        raise BillingRuleError(_month_range(text))
    return month


def _month_range(text: object) -> str:
    return f"a month is between {MIN_YEAR}-01 and {MAX_YEAR}-12 (got {str(text)!r})"


def previous_month(today: date) -> date:
    """The first day of the month before `today` (the default month to invoice)."""
    return date.fromordinal(today.replace(day=1).toordinal() - 1).replace(day=1)


def month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def days_in_month(month: date) -> int:
    return calendar.monthrange(month.year, month.month)[1]


def to_amount(
    value: object, field: str = "amount", *, low: Decimal = -MAX_AMOUNT, high: Decimal = MAX_AMOUNT
) -> Decimal:
    """A Decimal with at most 4 places (Xero's unitdp=4) within [low, high]; a clear error
    otherwise. Text is plain digits ("1250.00", "-5"): "1e3" is refused rather than read as
    1000, and "1e25" never reaches the arithmetic. Floats go through str, never binary."""
    if isinstance(value, bool):
        raise BillingRuleError(f"{field} must be a number (got {value!r})")
    if isinstance(value, str) and not _PLAIN_NUMBER.fullmatch(value.strip()):
        raise BillingRuleError(
            f"{field} must be a number written as digits with up to 4 decimal places, e.g. 1250.00 "
            f"(got {value.strip()[:40]!r})"
        )
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise BillingRuleError(f"{field} must be a number (got {value!r})") from exc
    if not d.is_finite():
        raise BillingRuleError(f"{field} must be a number (got {value!r})")
    shown = str(value).strip()[:40]
    if (low is not None and d < low) or (high is not None and d > high):
        raise BillingRuleError(f"{field} must be between {low:,} and {high:,} (got {shown})")
    try:
        exact = d == d.quantize(MONEY_PLACES)
    except InvalidOperation as exc:  # more digits than Decimal's context holds
        raise BillingRuleError(f"{field} is too large (got {shown})") from exc
    if not exact:
        raise BillingRuleError(f"{field} has more than 4 decimal places ({shown})")
    return d.quantize(MONEY_PLACES)


def is_credit(description: str) -> bool:
    """A line labelled as a credit: its description starts with "Credit" or "Discount"."""
    return description.strip().lower().startswith(CREDIT_WORDS)


def quantity(value: object) -> Decimal:
    """A line's or a fee's quantity: more than zero, at most MAX_QUANTITY."""
    q = to_amount(value, "quantity", low=-MAX_QUANTITY, high=MAX_QUANTITY)
    if q <= 0:
        raise BillingRuleError("quantity must be more than zero")
    return q


def unit_amount(value: object, description: str | None) -> Decimal:
    """A unit amount within ±MAX_UNIT_AMOUNT; negative only on a line labelled as a credit
    (`description` None: the label is checked later, on the whole line)."""
    u = to_amount(value, "unit amount", low=-MAX_UNIT_AMOUNT, high=MAX_UNIT_AMOUNT)
    if u < 0 and description is not None and not is_credit(description):
        raise BillingRuleError(
            "a negative unit amount is for a credit line only: start the description with "
            "“Credit” or “Discount” (e.g. “Credit: hours billed twice in May”)"
        )
    return u


def check_line_amount(q: Decimal, u: Decimal, label: str = "the line") -> None:
    """Refuse a line whose amount (quantity x unit amount) is beyond ±MAX_LINE_AMOUNT."""
    if abs(q * u) > MAX_LINE_AMOUNT:
        raise BillingRuleError(
            f"{label}: quantity x unit amount is {q * u:,.2f}, beyond the limit of "
            f"{MAX_LINE_AMOUNT:,.2f} per line"
        )


def markup(value: object) -> Decimal:
    """A rebill markup in percent: 0 to MAX_MARKUP_PERCENT."""
    return to_amount(value, "markup", low=Decimal(0), high=MAX_MARKUP_PERCENT)


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
    """amount x active days / days in the month, rounded to 2 places."""
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
    the whole line becomes one unit at round(quantity x unit x days / days in month, 2).
    Raises BillingRuleError for a fee beyond the bounds (the engine makes it a problem)."""
    if not falls_in(kind, frequency, anchor_month, month, one_off_month):
        return None
    days = active_days(month, start, end) if kind != "one_off" else days_in_month(month)
    if days == 0:
        return None
    text = render(description or kind.replace("_", " ").title(), client_name, month)
    # saved before these bounds existed, or written around the form: checked again here
    check_line_amount(quantity, unit_amount)
    if unit_amount < 0 and not is_credit(text):
        raise BillingRuleError("a negative unit amount on a fee not labelled as a credit")
    if days < days_in_month(month) and prorate_partial:
        amount = prorate(quantity * unit_amount, days, month, rounding)
        text = f"{text} (prorated {days}/{days_in_month(month)} days)"
        return LineSpec(kind, text, Decimal(1), amount, account_code, tax_type, item_id)
    return LineSpec(kind, text, quantity, unit_amount, account_code, tax_type, item_id)

"""Money arithmetic as Xero does it: Decimal only, tax per line rounded to 2 places, then summed.

The rules follow Xero's rounding guide
(https://developer.xero.com/documentation/guides/how-to-guides/rounding-in-xero), summarised in
README.md ("Xero's arithmetic"). Midpoint rounding is configurable (half-up by default), because
Xero does not document its own mode.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0")
HUNDRED = Decimal("100")
ROUNDING_MODES = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN}


def round_money(value: Decimal, rounding: str = "half_up") -> Decimal:
    """Round to cents with the configured midpoint rule."""
    return value.quantize(CENT, rounding=ROUNDING_MODES[rounding])


def to_base(amount: Decimal, currency_rate: Decimal | None) -> Decimal:
    """Convert a document amount (a line, or a document's total) to base currency as Xero posts
    it: Xero quotes the rate as document-currency units per one base unit, so base =
    amount / rate, rounded to the cent per amount (half-up). Base-currency amounts (no rate,
    or 1) are taken as they are. The one conversion: profitability, the client page, EOM
    rebilling and matching all use it."""
    if not currency_rate or currency_rate == 1:
        return amount
    return round_money(amount / currency_rate)


def line_amount(quantity: Decimal, unit_amount: Decimal, rounding: str = "half_up") -> Decimal:
    """LineAmount = quantity x unit amount, always 2 places."""
    return round_money(quantity * unit_amount, rounding)


def line_tax(
    amount: Decimal, rate_percent: Decimal, line_amount_types: str, rounding: str = "half_up"
) -> Decimal:
    """Tax of one line, rounded to 2 places, for Exclusive, Inclusive or NoTax lines."""
    if line_amount_types == "NoTax" or not rate_percent:
        return ZERO.quantize(CENT)
    rate = rate_percent / HUNDRED
    if line_amount_types == "Inclusive":
        return round_money(amount * rate / (1 + rate), rounding)
    return round_money(amount * rate, rounding)


@dataclass(frozen=True)
class Totals:
    sub_total: Decimal
    total_tax: Decimal
    total: Decimal


def document_totals(lines: Iterable[tuple[Decimal, Decimal]], line_amount_types: str) -> Totals:
    """Totals from (line amount, line tax) pairs, exactly as Xero computes them."""
    pairs = list(lines)
    amounts = sum((a for a, _ in pairs), ZERO)
    tax = sum((t for _, t in pairs), ZERO)
    if line_amount_types == "Inclusive":
        return Totals(sub_total=amounts - tax, total_tax=tax, total=amounts)
    return Totals(sub_total=amounts, total_tax=tax, total=amounts + tax)


def fmt_money(value: Decimal | None, currency: str = "") -> str:
    """For display only: thousands separators, 2 places, optional currency code."""
    if value is None:
        return ""
    text = f"{round_money(value):,.2f}"
    return f"{currency} {text}".strip()

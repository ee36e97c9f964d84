"""The sandbox's in-memory records and Xero's invoice arithmetic.

Money is Decimal everywhere here; JSON numbers are produced only in `serialize.py`.
Tax is computed per line, rounded to 2 dp ROUND_HALF_UP, then summed, as Xero does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

ZERO = Decimal("0")
CENT = Decimal("0.01")
UNIT4 = Decimal("0.0001")
RATE6 = Decimal("0.000001")
# The fixed day rates a write gets when it omits CurrencyRate (units of the document's currency
# per one unit of base currency); an organisation subscribes to its base currency and these.
RATES = {
    "USD": Decimal("0.590000"),
    "AUD": Decimal("0.920000"),
    "GBP": Decimal("0.470000"),
    "EUR": Decimal("0.550000"),
    "NZD": Decimal("1.090000"),
}


def q2(value: Decimal) -> Decimal:
    """Round money to cents, half-up (Xero's documented midpoint rule for our purposes)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(slots=True)
class Account:
    id: str
    code: str
    name: str
    type: str
    cls: str
    tax_type: str
    updated: datetime
    status: str = "ACTIVE"
    description: str = ""
    system_account: str | None = None
    bank_account_number: str | None = None


@dataclass(slots=True)
class TaxRate:
    name: str
    tax_type: str
    rate: Decimal  # percent, e.g. Decimal("15")
    report_tax_type: str
    status: str = "ACTIVE"
    revenue: bool = True
    expenses: bool = True


@dataclass(slots=True)
class TrackingOption:
    id: str
    name: str
    status: str = "ACTIVE"


@dataclass(slots=True)
class TrackingCategory:
    id: str
    name: str
    options: list[TrackingOption] = field(default_factory=list)
    status: str = "ACTIVE"


@dataclass(slots=True)
class User:
    id: str
    email: str
    first_name: str
    last_name: str
    role: str  # STANDARD | FINANCIALADVISER | READONLY | ...
    updated: datetime


@dataclass(slots=True)
class Contact:
    id: str
    name: str
    updated: datetime
    number: str = ""
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    status: str = "ACTIVE"
    is_customer: bool = False
    is_supplier: bool = False
    default_currency: str = ""
    merged_to: str | None = None
    account_number: str = ""
    tax_number: str = ""
    city: str = ""
    country: str = ""
    cache: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(slots=True)
class Line:
    id: str
    description: str
    quantity: Decimal
    unit_amount: Decimal
    account_code: str
    tax_type: str
    tracking: list[dict[str, str]] = field(default_factory=list)
    discount_rate: Decimal | None = None
    line_amount: Decimal = ZERO
    tax_amount: Decimal = ZERO
    tax_override: Decimal | None = None


@dataclass(slots=True)
class Payment:
    id: str
    date: date
    amount: Decimal
    reference: str = ""


@dataclass(slots=True)
class Document:
    """An invoice (ACCREC/ACCPAY), a credit note (ACCRECCREDIT/ACCPAYCREDIT) or a receipt."""

    id: str
    type: str
    number: str
    contact_id: str
    date: date
    status: str
    lines: list[Line]
    updated: datetime
    due_date: date | None = None
    reference: str = ""
    line_amount_types: str = "Exclusive"
    currency_code: str = "NZD"
    currency_rate: Decimal = Decimal("1")
    sub_total: Decimal = ZERO
    total_tax: Decimal = ZERO
    total: Decimal = ZERO
    total_discount: Decimal = ZERO
    amount_paid: Decimal = ZERO
    amount_credited: Decimal = ZERO
    fully_paid_on: date | None = None
    payments: list[Payment] = field(default_factory=list)
    sent_to_contact: bool = False
    user_id: str | None = None  # receipts
    created_by_app: str | None = None
    cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def amount_due(self) -> Decimal:
        return self.total - self.amount_paid - self.amount_credited


@dataclass(slots=True)
class ExpenseClaim:
    id: str
    status: str
    user_id: str
    receipt_ids: list[str]
    updated: datetime
    reporting_date: date
    payment_due_date: date | None = None
    amount_paid: Decimal = ZERO
    cache: dict[str, Any] = field(default_factory=dict, repr=False)


def compute_totals(doc: Document, rates: dict[str, TaxRate]) -> None:
    """Fill line amounts, per-line tax and the document totals with Xero's arithmetic."""
    sub = tax = disc = ZERO
    for ln in doc.lines:
        gross = ln.quantity * ln.unit_amount
        amount = gross
        if ln.discount_rate:
            amount = gross * (1 - ln.discount_rate / 100)
        ln.line_amount = q2(amount)
        disc += q2(gross) - ln.line_amount
        rate = rates[ln.tax_type].rate / 100 if ln.tax_type in rates else ZERO
        if doc.line_amount_types == "NoTax":
            ln.tax_amount = ZERO
        elif ln.tax_override is not None:
            ln.tax_amount = q2(ln.tax_override)
        elif doc.line_amount_types == "Inclusive":
            ln.tax_amount = q2(ln.line_amount * rate / (1 + rate))
        else:
            ln.tax_amount = q2(ln.line_amount * rate)
        sub += ln.line_amount
        tax += ln.tax_amount
    if doc.line_amount_types == "Inclusive":
        doc.total = sub
        doc.sub_total = sub - tax
    else:
        doc.sub_total = sub
        doc.total = sub + tax
    doc.total_tax = tax
    doc.total_discount = disc


def line_net(doc: Document, ln: Line) -> Decimal:
    """A line's ex-tax amount in the document's currency."""
    if doc.line_amount_types == "Inclusive":
        return ln.line_amount - ln.tax_amount
    return ln.line_amount


def to_base(amount: Decimal, rate: Decimal) -> Decimal:
    """Base-currency amount: Xero quotes CurrencyRate as document units per one base unit."""
    if rate == 1:
        return amount
    return q2(amount / rate)

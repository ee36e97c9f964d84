"""Xero JSON -> rows (plain dicts keyed by our column names), exactly.

- JSON numbers become Decimal (`loads` uses parse_float=Decimal), never float.
- `/Date(1580515200000+0000)/`: the milliseconds are a UTC instant; the offset is a zone label,
  not a shift. `Date`/`DueDate` are calendar dates (the UTC date of the instant); UpdatedDateUTC
  is an aware UTC datetime. `/Date(0+0000)/` (Xero's "no date" on voided documents) is None.
- Line tracking (at most two categories) is flattened into tracking_option_id_1/2.
Every row carries its tenant id.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from xeroflow_core.xero.errors import XeroMalformed

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = re.compile(r"/Date\((-?\d+)(?:[+-]\d{2,4})?\)/")
ZERO = Decimal("0")
ONE = Decimal("1")

Row = dict[str, Any]
OptionLookup = Callable[[str, str], str | None]  # (category id, option name) -> option id


def loads(content: bytes | str) -> Any:
    """Decode a Xero JSON body with exact decimals; a cut-off or non-JSON body is XeroMalformed."""
    try:
        return json.loads(content, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        raise XeroMalformed(f"Xero sent a body that is not valid JSON ({exc})") from None


def ms_instant(value: Any) -> datetime | None:
    """`/Date(ms±zone)/` (or an ISO string) -> aware UTC datetime; Date(0) -> None."""
    if not value:
        return None
    s = str(value)
    m = _MS.match(s)
    if m:
        ms = int(m.group(1))
        return None if ms == 0 else EPOCH + timedelta(milliseconds=ms)
    try:
        dt = datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        raise XeroMalformed(f"unreadable date {s!r}") from None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def ms_date(value: Any) -> date | None:
    """A calendar date (Date, DueDate): the UTC date of `/Date(ms)/`, with no zone conversion."""
    if not value:
        return None
    s = str(value)
    m = _MS.match(s)
    if m:
        ms = int(m.group(1))
        return None if ms == 0 else (EPOCH + timedelta(milliseconds=ms)).date()
    try:
        return date.fromisoformat(s[:10])
    except ValueError:
        raise XeroMalformed(f"unreadable date {s!r}") from None


def dec(value: Any, default: Decimal = ZERO) -> Decimal:
    """A Decimal from a JSON number (already Decimal/int) or numeric string."""
    if value is None or value == "":
        return default
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):  # never produced by loads(); refuse to guess
        raise XeroMalformed(f"float amount {value!r}")
    return Decimal(str(value))


def _s(value: Any, limit: int | None = None) -> str:
    out = "" if value is None else str(value)
    return out[:limit] if limit else out


def _lower(value: Any) -> str:
    return _s(value).lower()


# --- settings-like resources ------------------------------------------------------------------


def organisation(tenant_id: str, o: dict[str, Any]) -> Row:
    return {
        "tenant_id": tenant_id,
        "organisation_id": _lower(o.get("OrganisationID")),
        "name": _s(o.get("Name"), 300),
        "legal_name": _s(o.get("LegalName"), 300),
        "base_currency": _s(o.get("BaseCurrency"), 3),
        "country_code": _s(o.get("CountryCode"), 3),
        "timezone": _s(o.get("Timezone"), 64),
        "financial_year_end_day": int(o.get("FinancialYearEndDay") or 31),
        "financial_year_end_month": int(o.get("FinancialYearEndMonth") or 12),
        "short_code": _s(o.get("ShortCode"), 32),
        "is_demo_company": bool(o.get("IsDemoCompany")),
        "edition": _s(o.get("Edition"), 32),
        "updated_utc": ms_instant(o.get("UpdatedDateUTC") or o.get("CreatedDateUTC")),
    }


def account(tenant_id: str, a: dict[str, Any]) -> Row:
    return {
        "tenant_id": tenant_id,
        "account_id": _lower(a["AccountID"]),
        "code": _s(a.get("Code"), 10),
        "name": _s(a.get("Name"), 150),
        "type": _s(a.get("Type"), 32),
        "account_class": _s(a.get("Class"), 16),
        "status": _s(a.get("Status") or "ACTIVE", 16),
        "tax_type": _s(a.get("TaxType"), 64),
        "updated_utc": ms_instant(a.get("UpdatedDateUTC")),
    }


def tax_rate(tenant_id: str, t: dict[str, Any]) -> Row:
    return {
        "tenant_id": tenant_id,
        "tax_type": _s(t["TaxType"], 64),
        "name": _s(t.get("Name"), 200),
        "status": _s(t.get("Status") or "ACTIVE", 16),
        "effective_rate": dec(t.get("EffectiveRate")),
        "can_apply_to_revenue": bool(t.get("CanApplyToRevenue", True)),
        "can_apply_to_expenses": bool(t.get("CanApplyToExpenses", True)),
    }


def tracking(tenant_id: str, c: dict[str, Any]) -> tuple[Row, list[Row]]:
    """A tracking category and its options."""
    cat_id = _lower(c["TrackingCategoryID"])
    cat = {
        "tenant_id": tenant_id,
        "tracking_category_id": cat_id,
        "name": _s(c.get("Name"), 100),
        "status": _s(c.get("Status") or "ACTIVE", 16),
    }
    options = [
        {
            "tenant_id": tenant_id,
            "tracking_option_id": _lower(o["TrackingOptionID"]),
            "tracking_category_id": cat_id,
            "name": _s(o.get("Name"), 100),
            "status": _s(o.get("Status") or "ACTIVE", 16),
        }
        for o in c.get("Options") or []
    ]
    return cat, options


def contact(tenant_id: str, c: dict[str, Any]) -> Row:
    merged = c.get("MergedToContactID")
    return {
        "tenant_id": tenant_id,
        "contact_id": _lower(c["ContactID"]),
        "name": _s(c.get("Name"), 255),
        "first_name": _s(c.get("FirstName"), 255),
        "last_name": _s(c.get("LastName"), 255),
        "email": _s(c.get("EmailAddress"), 255),
        "contact_number": _s(c.get("ContactNumber"), 50),
        "account_number": _s(c.get("AccountNumber"), 50),
        "status": _s(c.get("ContactStatus") or "ACTIVE", 16),
        "is_customer": bool(c.get("IsCustomer")),
        "is_supplier": bool(c.get("IsSupplier")),
        "default_currency": _s(c.get("DefaultCurrency"), 3),
        "merged_to_contact_id": _lower(merged) if merged else None,
        "updated_utc": ms_instant(c.get("UpdatedDateUTC")),
    }


# --- documents and their lines ----------------------------------------------------------------


def lines(
    tenant_id: str,
    kind: str,
    document_id: str,
    items: Iterable[dict[str, Any]],
    option_of: OptionLookup | None = None,
) -> list[Row]:
    """Document lines with tracking flattened (option ids resolved by name when Xero omits
    TrackingOptionID)."""
    out = []
    for pos, ln in enumerate(items):
        tracking_list = ln.get("Tracking") or []
        opts: list[str | None] = []
        for t in tracking_list[:2]:
            oid = t.get("TrackingOptionID")
            if not oid and option_of is not None:
                oid = option_of(_lower(t.get("TrackingCategoryID")), _s(t.get("Option")))
            opts.append(_lower(oid) if oid else None)
        opts += [None] * (2 - len(opts))
        line_id = ln.get("LineItemID")
        out.append(
            {
                "tenant_id": tenant_id,
                "line_item_id": _lower(line_id) if line_id else f"{document_id}:{pos}",
                "document_kind": kind,
                "document_id": document_id,
                "position": pos,
                "description": _s(ln.get("Description")),
                "quantity": dec(ln.get("Quantity"), ONE),
                "unit_amount": dec(ln.get("UnitAmount")),
                "account_code": _s(ln.get("AccountCode"), 10),
                "tax_type": _s(ln.get("TaxType"), 64),
                "tax_amount": dec(ln.get("TaxAmount")),
                "line_amount": dec(ln.get("LineAmount")),
                "tracking_option_id_1": opts[0],
                "tracking_option_id_2": opts[1],
                "tracking": [
                    {k: _s(v) for k, v in t.items() if v is not None} for t in tracking_list
                ],
            }
        )
    return out


def _contact_id(doc: dict[str, Any]) -> str:
    return _lower((doc.get("Contact") or {}).get("ContactID"))


def _document_common(tenant_id: str, d: dict[str, Any]) -> Row:
    """The columns an invoice and a credit note share."""
    return {
        "tenant_id": tenant_id,
        "type": _s(d.get("Type"), 16),
        "reference": _s(d.get("Reference"), 255),
        "contact_id": _contact_id(d),
        "date": ms_date(d.get("Date")),
        "status": _s(d.get("Status") or "DRAFT", 16),
        "line_amount_types": _s(d.get("LineAmountTypes") or "Exclusive", 16),
        "sub_total": dec(d.get("SubTotal")),
        "total_tax": dec(d.get("TotalTax")),
        "total": dec(d.get("Total")),
        "currency_code": _s(d.get("CurrencyCode"), 3),
        "currency_rate": dec(d.get("CurrencyRate"), ONE) or ONE,
        "updated_utc": ms_instant(d.get("UpdatedDateUTC")),
    }


def invoice(tenant_id: str, d: dict[str, Any]) -> Row:
    return {
        **_document_common(tenant_id, d),
        "invoice_id": _lower(d["InvoiceID"]),
        "invoice_number": _s(d.get("InvoiceNumber"), 255),
        "due_date": ms_date(d.get("DueDate")),
        "amount_due": dec(d.get("AmountDue")),
        "amount_paid": dec(d.get("AmountPaid")),
        "amount_credited": dec(d.get("AmountCredited")),
        "fully_paid_on": ms_date(d.get("FullyPaidOnDate")),
    }


def credit_note(tenant_id: str, d: dict[str, Any]) -> Row:
    return {
        **_document_common(tenant_id, d),
        "credit_note_id": _lower(d["CreditNoteID"]),
        "credit_note_number": _s(d.get("CreditNoteNumber"), 255),
        "remaining_credit": dec(d.get("RemainingCredit")),
    }


def expense_claim(tenant_id: str, c: dict[str, Any]) -> Row:
    user = c.get("User") or {}
    name = " ".join(p for p in (_s(user.get("FirstName")), _s(user.get("LastName"))) if p)
    return {
        "tenant_id": tenant_id,
        "expense_claim_id": _lower(c["ExpenseClaimID"]),
        "status": _s(c.get("Status") or "SUBMITTED", 16),
        "user_name": name[:200],
        "total": dec(c.get("Total")),
        "amount_due": dec(c.get("AmountDue")),
        "amount_paid": dec(c.get("AmountPaid")),
        "reporting_date": ms_date(c.get("ReportingDate")),
        "updated_utc": ms_instant(c.get("UpdatedDateUTC")),
    }


def receipt(tenant_id: str, r: dict[str, Any], expense_claim_id: str = "") -> Row:
    return {
        "tenant_id": tenant_id,
        "receipt_id": _lower(r["ReceiptID"]),
        "expense_claim_id": expense_claim_id,
        "receipt_number": _s(r.get("ReceiptNumber"), 64),
        "contact_id": _contact_id(r),
        "date": ms_date(r.get("Date")),
        "status": _s(r.get("Status") or "DRAFT", 16),
        "line_amount_types": _s(r.get("LineAmountTypes") or "Inclusive", 16),
        "sub_total": dec(r.get("SubTotal")),
        "total_tax": dec(r.get("TotalTax")),
        "total": dec(r.get("Total")),
        "updated_utc": ms_instant(r.get("UpdatedDateUTC")),
    }


def envelope_time(body: dict[str, Any]) -> datetime | None:
    """The response envelope's DateTimeUTC (Xero's clock when it served the call)."""
    return ms_instant(body.get("DateTimeUTC"))

"""Xero's JSON shapes for documents: invoices, credit notes, receipts and expense claims, with
their lines, cached per record until it changes. Amounts as in serialize.py: exact-decimal JSON
numbers.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .models import CENT, RATE6, UNIT4, Document, ExpenseClaim, Line
from .msdate import date_string, iso_z, ms_date, ms_datetime
from .serialize import money, num, user_json
from .store import Org


def line_json(ln: Line, unitdp4: bool, discount: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "LineItemID": ln.id,
        "Description": ln.description,
        "Quantity": num(ln.quantity),
        "UnitAmount": num(ln.unit_amount, UNIT4 if unitdp4 else CENT),
        "AccountCode": ln.account_code,
        "TaxType": ln.tax_type,
        "TaxAmount": money(ln.tax_amount),
        "LineAmount": money(ln.line_amount),
        "Tracking": ln.tracking,
    }
    if discount and ln.discount_rate is not None:
        out["DiscountRate"] = money(ln.discount_rate)
    return out


def _contact_ref(o: Org, contact_id: str) -> dict[str, Any]:
    c = o.contacts.get(contact_id)
    return {
        "ContactID": contact_id,
        "Name": c.name if c else "",
        "ContactStatus": c.status if c else "ACTIVE",
    }


def invoice_json(o: Org, d: Document, lines: bool, unitdp4: bool = False) -> dict[str, Any]:
    """An invoice as Xero returns it; `lines` is False for unpaged lists (no LineItems)."""
    key = f"{int(lines)}{int(unitdp4)}"
    cached = d.cache.get(key)
    if cached is not None:
        return cached
    out: dict[str, Any] = {
        "Type": d.type,
        "InvoiceID": d.id,
        "InvoiceNumber": d.number,
        "Reference": d.reference,
        "Payments": [
            {
                "PaymentID": p.id,
                "Date": ms_date(p.date),
                "Amount": money(p.amount),
                "Reference": p.reference,
                "CurrencyRate": num(d.currency_rate, RATE6),
                "HasAccount": False,
                "HasValidationErrors": False,
            }
            for p in d.payments
        ],
        "CreditNotes": [],
        "Prepayments": [],
        "Overpayments": [],
        "AmountDue": money(d.amount_due),
        "AmountPaid": money(d.amount_paid),
        "AmountCredited": money(d.amount_credited),
        "CurrencyRate": num(d.currency_rate, RATE6),
        "IsDiscounted": d.total_discount > 0,
        "HasAttachments": False,
        "HasErrors": False,
        "Contact": _contact_ref(o, d.contact_id),
        "DateString": date_string(d.date),
        "Date": ms_date(d.date),
        "Status": d.status,
        "LineAmountTypes": d.line_amount_types,
        "SubTotal": money(d.sub_total),
        "TotalTax": money(d.total_tax),
        "Total": money(d.total),
        "UpdatedDateUTC": ms_datetime(d.updated),
        "UpdatedDateUTCString": iso_z(d.updated),
        "CurrencyCode": d.currency_code,
        "SentToContact": d.sent_to_contact,
    }
    if d.due_date:
        out["DueDateString"] = date_string(d.due_date)
        out["DueDate"] = ms_date(d.due_date)
    if d.fully_paid_on:
        out["FullyPaidOnDate"] = ms_date(d.fully_paid_on)
    if d.total_discount:
        out["TotalDiscount"] = money(d.total_discount)
    if lines:
        out["LineItems"] = [line_json(ln, unitdp4, d.type == "ACCREC") for ln in d.lines]
    d.cache[key] = out
    return out


def credit_note_json(o: Org, d: Document, lines: bool) -> dict[str, Any]:
    key = f"cn{int(lines)}"
    cached = d.cache.get(key)
    if cached is not None:
        return cached
    remaining = (
        d.total - d.amount_paid - d.amount_credited
        if d.status in ("AUTHORISED", "PAID")
        else d.total
    )
    out: dict[str, Any] = {
        "CreditNoteID": d.id,
        "CreditNoteNumber": d.number,
        "Type": d.type,
        "Reference": d.reference,
        "Contact": _contact_ref(o, d.contact_id),
        "DateString": date_string(d.date),
        "Date": ms_date(d.date),
        "Status": d.status,
        "LineAmountTypes": d.line_amount_types,
        "SubTotal": money(d.sub_total),
        "TotalTax": money(d.total_tax),
        "Total": money(d.total),
        "UpdatedDateUTC": ms_datetime(d.updated),
        "UpdatedDateUTCString": iso_z(d.updated),
        "CurrencyCode": d.currency_code,
        "CurrencyRate": num(d.currency_rate, RATE6),
        "RemainingCredit": money(remaining),
        "Allocations": [],
        "Payments": [],
        "HasAttachments": False,
        "HasErrors": False,
    }
    if d.due_date:
        out["DueDate"] = ms_date(d.due_date)
    if lines:
        out["LineItems"] = [line_json(ln, False, False) for ln in d.lines]
    d.cache[key] = out
    return out


def receipt_json(o: Org, r: Document, lines: bool) -> dict[str, Any]:
    user = o.users.get(r.user_id or "")
    out: dict[str, Any] = {
        "ReceiptID": r.id,
        "ReceiptNumber": r.number,
        "Status": r.status,
        "Reference": r.reference,
        "Date": ms_date(r.date),
        "Contact": _contact_ref(o, r.contact_id),
        "User": user_json(user) if user else {},
        "LineAmountTypes": r.line_amount_types,
        "SubTotal": money(r.sub_total),
        "TotalTax": money(r.total_tax),
        "Total": money(r.total),
        "UpdatedDateUTC": ms_datetime(r.updated),
        "HasAttachments": False,
        "Url": "",
    }
    if lines:
        out["LineItems"] = [line_json(ln, False, False) for ln in r.lines]
    return out


def expense_claim_json(o: Org, c: ExpenseClaim, detail: bool) -> dict[str, Any]:
    """A claim; the list carries receipt summaries, a single GET the receipts in more detail."""
    receipts = [o.receipts.items[r] for r in c.receipt_ids if r in o.receipts.items]
    total = sum((r.total for r in receipts), Decimal("0"))
    user = o.users.get(c.user_id)
    out: dict[str, Any] = {
        "ExpenseClaimID": c.id,
        "Status": c.status,
        "UpdatedDateUTC": ms_datetime(c.updated),
        "User": user_json(user) if user else {},
        "Receipts": [receipt_json(o, r, detail) for r in receipts],
        "Payments": [],
        "Total": money(total),
        "AmountDue": money(total - c.amount_paid),
        "AmountPaid": money(c.amount_paid),
        "ReportingDate": ms_date(c.reporting_date),
    }
    if c.payment_due_date:
        out["PaymentDueDate"] = ms_date(c.payment_due_date)
    return out

"""One invoice or credit note from a request's element: its lines parsed and taxed, Xero's
validation and status rules, created or updated in place; and a payment against it. Shared by the
Accounting API's writes, the test controls and the console, so every path changes a document the
same way.
"""

from __future__ import annotations

import uuid
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from .models import CENT, RATES, UNIT4, Document, Line, Payment, compute_totals
from .msdate import parse_body_date
from .store import Org

if TYPE_CHECKING:
    from .state import Sandbox

EDITABLE = ("DRAFT", "SUBMITTED", "AUTHORISED")


def _dec(v: Any, field: str, errors: list[str]) -> Decimal | None:
    if v is None or v == "":
        return None
    try:
        return Decimal(str(v))
    except InvalidOperation:
        errors.append(f"{field} must be a number.")
        return None


def parse_lines(
    sb: Sandbox,
    org: Org,
    typ: str,
    raw: list[Any],
    old: dict[str, Line],
    errors: list[str],
    unitdp4: bool = True,
) -> list[Line]:
    """Line items of a write; without `unitdp=4` Xero keeps UnitAmount to 2 dp."""
    out = []
    for item in raw:
        if not isinstance(item, dict):
            errors.append("A line item is not valid.")
            continue
        desc = str(item.get("Description") or "")
        qty = _dec(item.get("Quantity"), "Quantity", errors)
        unit = _dec(item.get("UnitAmount"), "UnitAmount", errors)
        amount = _dec(item.get("LineAmount"), "LineAmount", errors)
        qty = Decimal("1") if qty is None else qty
        if unit is None:
            unit = (amount / qty if qty else amount) if amount is not None else Decimal("0")
        unit = unit.quantize(
            UNIT4 if unitdp4 else CENT, rounding=ROUND_HALF_UP
        )  # as Xero stores it
        code = str(item.get("AccountCode") or "")
        acc = org.account_by_code(code) if code else None
        if not desc and not code:
            errors.append("Description must be specified.")
        if not code:
            errors.append("Account code must be specified")
        elif acc is None or acc.status != "ACTIVE" or acc.system_account:
            errors.append(f"Account code '{code}' is not a valid code for this document.")
        tax = str(item.get("TaxType") or (acc.tax_type if acc else ""))
        rate = org.tax_rates.get(tax)
        if tax and (
            rate is None
            or (typ == "ACCREC" and not rate.revenue)
            or (typ == "ACCPAY" and not rate.expenses)
        ):
            errors.append(
                f"The TaxType code '{tax}' does not exist or cannot be used for this type of transaction."
            )
        discount = _dec(item.get("DiscountRate"), "DiscountRate", errors)
        if discount is not None and typ != "ACCREC":
            errors.append("Discounts are only allowed on sales invoices (ACCREC).")
        tracking = []
        for t in item.get("Tracking") or []:
            cat = next(
                (
                    c
                    for c in org.tracking.values()
                    if c.id == str(t.get("TrackingCategoryID", "")).lower()
                    or c.name.lower() == str(t.get("Name", "")).lower()
                ),
                None,
            )
            if cat is None:
                errors.append(
                    f"Tracking category '{t.get('Name') or t.get('TrackingCategoryID')}' does not exist."
                )
                continue
            want = str(t.get("TrackingOptionID") or t.get("Option") or "").lower()
            opt = next(
                (
                    o
                    for o in cat.options
                    if o.status == "ACTIVE" and (o.id == want or o.name.lower() == want)
                ),
                None,
            )
            if opt is None:
                errors.append(
                    f"Tracking option '{t.get('Option') or want}' does not exist or is not active."
                )
                continue
            tracking.append(
                {
                    "TrackingCategoryID": cat.id,
                    "TrackingOptionID": opt.id,
                    "Name": cat.name,
                    "Option": opt.name,
                }
            )
        if len(tracking) > 2:
            errors.append("A line item can have at most two tracking categories.")
        lid = str(item.get("LineItemID") or "").lower()
        ln = Line(
            lid if lid in old else str(uuid.uuid4()),
            desc,
            qty,
            unit,
            code,
            tax or "NONE",
            tracking,
            discount,
        )
        override = _dec(item.get("TaxAmount"), "TaxAmount", errors)
        ln.tax_override = (
            override if "TaxAmount" in item and override is not None and lid in old else None
        )
        out.append(ln)
    return out


def apply_invoice(
    sb: Sandbox,
    org: Org,
    el: dict[str, Any],
    existing: Document | None,
    client_id: str | None,
    credit: bool = False,
    unitdp4: bool = True,
) -> tuple[Document | None, list[str]]:
    """Validate one invoice (with `credit`: credit note) element and create or update it."""
    errors: list[str] = []
    typ = str(el.get("Type") or (existing.type if existing else ""))
    kinds = ("ACCRECCREDIT", "ACCPAYCREDIT") if credit else ("ACCREC", "ACCPAY")
    collection = org.credit_notes if credit else org.invoices
    if typ not in kinds:
        errors.append(
            "Invoice Type must be specified" if not typ else f"'{typ}' is not a valid invoice type."
        )
    if existing is not None and existing.status not in EDITABLE:
        if existing.status == "PAID":
            errors.append(
                "This document cannot be edited as it has a payment or credit note allocated to it."
            )
        else:
            errors.append("Invoice not of valid status for modification")
        return None, errors
    contact_id = existing.contact_id if existing else None
    if "Contact" in el or existing is None:
        c = el.get("Contact") or {}
        cid = str(c.get("ContactID") or "").lower()
        contact = org.contacts.get(cid) if cid else None
        if contact is None and not cid and c.get("Name"):
            contact = next(
                (
                    x
                    for x in org.contacts.items.values()
                    if x.name.lower() == str(c["Name"]).lower()
                ),
                None,
            )
        if contact is None:
            errors.append(
                "A Contact must be specified for this type of transaction"
                if not (cid or c.get("Name"))
                else "The contact specified could not be found."
            )
        elif contact.status == "ARCHIVED":
            errors.append(f"The contact '{contact.name}' is archived and cannot be used.")
        else:
            contact_id = contact.id
    try:
        d = parse_body_date(el.get("Date")) if "Date" in el else None
        due = parse_body_date(el.get("DueDate")) if "DueDate" in el else None
    except ValueError:
        errors.append("The date is not in a valid format.")
        d = due = None
    d = d or (existing.date if existing else sb.clock.today())
    due = due or (existing.due_date if existing else None)
    lat = str(
        el.get("LineAmountTypes") or (existing.line_amount_types if existing else "Exclusive")
    )
    if lat not in ("Exclusive", "Inclusive", "NoTax"):
        errors.append(f"'{lat}' is not a valid LineAmountTypes value.")
    status = str(el.get("Status") or (existing.status if existing else "DRAFT")).upper()
    if existing is None and status not in ("DRAFT", "SUBMITTED", "AUTHORISED"):
        errors.append("Invoice not of valid status for creation")
    if existing is not None and status != existing.status:
        allowed = {
            "DRAFT": {"SUBMITTED", "AUTHORISED", "DELETED"},
            "SUBMITTED": {"DRAFT", "AUTHORISED", "DELETED"},
            "AUTHORISED": {"VOIDED"},
        }
        if status not in allowed.get(existing.status, set()):
            errors.append(
                f"Invoice not of valid status for modification: {existing.status} to {status}"
            )
        elif status == "VOIDED" and existing.amount_paid > 0:
            errors.append("This document cannot be voided as it has a payment allocated to it.")
    currency = str(
        el.get("CurrencyCode") or (existing.currency_code if existing else org.base_currency)
    ).upper()
    rate = Decimal("1")
    if currency != org.base_currency:
        rate = _dec(el.get("CurrencyRate"), "CurrencyRate", errors) or (
            existing.currency_rate if existing else RATES.get(currency, Decimal("0"))
        )
        if currency not in org.currencies():
            errors.append(f"The currency '{currency}' is not subscribed to by this organisation.")
    if status == "AUTHORISED" and org.period_lock_date and d <= org.period_lock_date:
        errors.append("The document date cannot be before the period lock date.")
    number = str(el.get("InvoiceNumber") or (existing.number if existing else ""))
    if (
        typ == "ACCREC"
        and number
        and any(
            x.number == number and (existing is None or x.id != existing.id) and x.type == "ACCREC"
            for x in collection.items.values()
        )
    ):
        errors.append("Invoice # must be unique.")
    old = {ln.id: ln for ln in existing.lines} if existing else {}
    lines = (
        parse_lines(sb, org, typ.removesuffix("CREDIT"), el["LineItems"], old, errors, unitdp4)
        if "LineItems" in el
        else (existing.lines if existing else [])
    )
    if status == "AUTHORISED" and not lines:
        errors.append("An invoice must have at least one line item to be approved.")
    if errors:
        return None, errors
    with sb.lock:
        doc = existing or Document(
            str(uuid.uuid4()),
            typ,
            "",
            contact_id or "",
            d,
            status,
            [],
            sb.now(),
            created_by_app=client_id,
        )
        doc.contact_id, doc.date, doc.due_date, doc.line_amount_types = (
            contact_id or doc.contact_id,
            d,
            due,
            lat,
        )
        doc.status, doc.currency_code, doc.currency_rate, doc.lines = status, currency, rate, lines
        doc.reference = str(el.get("Reference", doc.reference) or "")
        doc.number = number or (
            org.new_credit_number()
            if credit
            else org.new_invoice_number()
            if typ == "ACCREC"
            else ""
        )
        doc.sent_to_contact = bool(el.get("SentToContact", doc.sent_to_contact))
        compute_totals(doc, org.tax_rates)
        if existing is None:
            doc.updated = org.stamp(sb.now())
            collection.add(doc)
        else:
            sb.touch(org, collection, doc)
        contact = org.contacts.get(doc.contact_id)
        if contact is not None and doc.status in ("AUTHORISED", "PAID"):
            flag = "is_customer" if typ.startswith("ACCREC") else "is_supplier"
            if not getattr(contact, flag):
                setattr(contact, flag, True)  # read-only flags: no UpdatedDateUTC bump, as in Xero
                contact.cache.clear()
    return doc, []


def record_payment(sb: Sandbox, org: Org, doc: Document, amount: Decimal, day: Any) -> None:
    """A payment; AmountDue reaching 0 makes the invoice PAID with FullyPaidOnDate."""
    with sb.lock:
        doc.payments.append(Payment(str(uuid.uuid4()), day, amount))
        doc.amount_paid += amount
        if doc.amount_due <= 0:
            doc.status, doc.fully_paid_on = "PAID", day
        sb.touch(org, org.invoices, doc)

"""What a person does in Xero: create, approve, void, delete and pay documents; create, rename,
archive and merge contacts. The test controls and the console both call these, and documents go
through `apply_invoice`, the Accounting API's own write path, so every change is validated as
Xero validates it and re-stamps UpdatedDateUTC from the sandbox clock, as a sync would see it.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from .invoices import apply_invoice, record_payment
from .models import Contact, Document
from .state import Sandbox
from .store import Org

STATUS_OF = {"approve": "AUTHORISED", "submit": "SUBMITTED", "void": "VOIDED", "delete": "DELETED"}
CONTACT_FIELDS = {
    "Name": "name",
    "FirstName": "first_name",
    "LastName": "last_name",
    "EmailAddress": "email",
    "ContactNumber": "number",
    "AccountNumber": "account_number",
    "DefaultCurrency": "default_currency",
    "IsCustomer": "is_customer",
    "IsSupplier": "is_supplier",
}


class ControlError(Exception):
    """A change Xero would refuse, with the message a person reads (and an HTTP status)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def save_document(
    sb: Sandbox, org: Org, body: dict[str, Any], existing: Document | None, credit: bool = False
) -> Document:
    """Create (no `existing`) or edit an invoice or credit note from an Invoice-shaped body."""
    doc, errors = apply_invoice(sb, org, body, existing, None, credit)
    if errors or doc is None:
        raise ControlError("; ".join(errors))
    return doc


def change_status(
    sb: Sandbox, org: Org, doc: Document, action: str, credit: bool = False
) -> Document:
    """approve | submit | void | delete, with Xero's rules on which status may follow which."""
    if action not in STATUS_OF:
        raise ControlError(f"unknown action {action}", 404)
    return save_document(sb, org, {"Status": STATUS_OF[action]}, doc, credit)


def pay(
    sb: Sandbox, org: Org, doc: Document, amount: Any = None, day: date | None = None
) -> Document:
    """Record a payment (default: all that is due, today); paying it all makes it PAID."""
    if doc.status != "AUTHORISED":
        raise ControlError("Payments can only be made against authorised documents")
    try:
        value = doc.amount_due if amount in (None, "") else Decimal(str(amount).strip())
    except InvalidOperation:
        raise ControlError("The payment amount must be a number") from None
    if not value.is_finite() or value <= 0 or value > doc.amount_due:
        raise ControlError("The payment amount must be between 0 and the amount due")
    if value != value.quantize(Decimal("0.01")):
        raise ControlError("The payment amount can have at most two decimal places")
    record_payment(sb, org, doc, value, day or sb.clock.today())
    return doc


def forget_document_json(org: Org, contact_id: str) -> None:
    """Documents embed the contact's name and status: drop their cached JSON."""
    for coll in (org.invoices, org.credit_notes):
        for d in coll.items.values():
            if d.contact_id == contact_id:
                d.cache.clear()


def save_contact(sb: Sandbox, org: Org, contact: Contact | None, fields: dict[str, Any]) -> Contact:
    """Create (no `contact`) or edit a contact with Contact-shaped fields; a rename shows on its
    documents at once, as in Xero."""
    with sb.lock:
        if contact is None:
            if not str(fields.get("Name") or "").strip():
                raise ControlError("Name is required")
            contact = Contact(str(uuid.uuid4()), str(fields["Name"]).strip(), sb.now())
            contact.updated = org.stamp(sb.now())
            org.contacts.add(contact)
        elif "Name" in fields and not str(fields["Name"] or "").strip():
            raise ControlError("Name is required")
        for key, attr in CONTACT_FIELDS.items():
            if key in fields:
                value = fields[key]
                setattr(contact, attr, value.strip() if isinstance(value, str) else value)
        if fields.get("ContactStatus") in ("ACTIVE", "ARCHIVED"):
            contact.status = fields["ContactStatus"]
        sb.touch(org, org.contacts, contact)
        forget_document_json(org, contact.id)
    return contact


def archive(sb: Sandbox, org: Org, contact: Contact, archived: bool = True) -> Contact:
    with sb.lock:
        contact.status = "ARCHIVED" if archived else "ACTIVE"
        sb.touch(org, org.contacts, contact)
        forget_document_json(org, contact.id)
    return contact


def merge(sb: Sandbox, org: Org, contact: Contact, survivor: Contact | None) -> Contact:
    """Merge `contact` into `survivor`: its documents move, it is archived with
    MergedToContactID, and both are re-stamped."""
    if survivor is None or survivor.id == contact.id:
        raise ControlError("into: the surviving ContactID")
    with sb.lock:
        for coll in (org.invoices, org.credit_notes):
            for d in [d for d in coll.items.values() if d.contact_id == contact.id]:
                d.contact_id = survivor.id
                sb.touch(org, coll, d)
        contact.status, contact.merged_to = "ARCHIVED", survivor.id
        survivor.is_customer |= contact.is_customer
        survivor.is_supplier |= contact.is_supplier
        sb.touch(org, org.contacts, contact)
        sb.touch(org, org.contacts, survivor)
    return contact

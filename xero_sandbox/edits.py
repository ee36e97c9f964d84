"""Test controls that change data as a person in Xero would (create and edit invoices, credit
notes and contacts, approve, pay, void, delete, archive, merge: bookkeeper.py does the work),
plus snapshots for comparing the sandbox with a synced database. Mounted by controls.py.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from starlette.requests import Request

from . import bookkeeper as bk
from . import serialize as S
from .bookkeeper import ControlError
from .invoices import parse_lines
from .models import Document, ExpenseClaim, TrackingOption, compute_totals
from .msdate import dt_ms, iso_z, ms_datetime, parse_body_date
from .reports import credit_by_account
from .serialize_documents import credit_note_json, expense_claim_json, invoice_json
from .state import Sandbox
from .store import Org

__all__ = ["ControlError"]


def org_of(sb: Sandbox, request: Request) -> Org:
    org = sb.orgs.get(request.path_params["tenant"].lower())
    if org is None:
        raise ControlError("unknown tenant", 404)
    return org


def _doc(org: Org, request: Request, credit: bool = False) -> Any:
    coll = org.credit_notes if credit else org.invoices
    doc = coll.get(request.path_params["id"].lower())
    if doc is None:
        raise ControlError("unknown document", 404)
    return doc


def _json(org: Org, doc: Any, credit: bool) -> Any:
    return credit_note_json(org, doc, True) if credit else invoice_json(org, doc, True)


def documents(sb: Sandbox, request: Request, body: dict[str, Any]) -> Any:
    """Create (no id) or edit (with id) an invoice or credit note with an Invoice-shaped body."""
    org = org_of(sb, request)
    credit = "credit" in request.url.path
    existing = _doc(org, request, credit) if "id" in request.path_params else None
    return _json(org, bk.save_document(sb, org, body, existing, credit), credit)


def document_action(sb: Sandbox, request: Request, body: dict[str, Any]) -> Any:
    """approve | submit | void | delete | pay {amount?, date?} | touch."""
    org = org_of(sb, request)
    credit = "credit" in request.url.path
    doc = _doc(org, request, credit)
    action = request.path_params["action"]
    if action in bk.STATUS_OF:
        return _json(org, bk.change_status(sb, org, doc, action, credit), credit)
    if action == "pay" and not credit:
        try:
            day = parse_body_date(body.get("date"))
        except ValueError:
            raise ControlError("date: YYYY-MM-DD") from None
        return _json(org, bk.pay(sb, org, doc, body.get("amount"), day), credit)
    if action == "touch":
        with sb.lock:
            sb.touch(org, org.credit_notes if credit else org.invoices, doc)
        return _json(org, doc, credit)
    raise ControlError(f"unknown action {action}", 404)


def _contact(org: Org, contact_id: str) -> Any:
    c = org.contacts.get(contact_id.lower())
    if c is None:
        raise ControlError("unknown contact", 404)
    return c


def contacts(sb: Sandbox, request: Request, body: dict[str, Any]) -> Any:
    """Create (no id) or edit a contact with Contact-shaped fields."""
    org = org_of(sb, request)
    existing = _contact(org, request.path_params["id"]) if "id" in request.path_params else None
    return S.contact_json(org, bk.save_contact(sb, org, existing, body), True)


def contact_action(sb: Sandbox, request: Request, body: dict[str, Any]) -> Any:
    """archive | unarchive | merge {"into": survivor ContactID}."""
    org = org_of(sb, request)
    c = _contact(org, request.path_params["id"])
    action = request.path_params["action"]
    if action in ("archive", "unarchive"):
        bk.archive(sb, org, c, action == "archive")
    elif action == "merge":
        bk.merge(sb, org, c, org.contacts.get(str(body.get("into", "")).lower()))
    else:
        raise ControlError(f"unknown action {action}", 404)
    return S.contact_json(org, c, True)


def tracking_option(sb: Sandbox, request: Request, body: dict[str, Any]) -> Any:
    """Add an option to a tracking category by name ({"category": "Client", "name": ...})."""
    org = org_of(sb, request)
    cat = next(
        (
            c
            for c in org.tracking.values()
            if c.name.lower() == str(body.get("category", "Client")).lower()
        ),
        None,
    )
    if cat is None or not body.get("name"):
        raise ControlError("category and name are required")
    opt = TrackingOption(
        str(uuid.uuid4()), str(body["name"])[:100], str(body.get("status", "ACTIVE"))
    )
    cat.options.append(opt)
    return S.tracking_json(cat, True)


def snapshot(sb: Sandbox, request: Request, body: dict[str, Any]) -> Any:
    """Compact rows to compare with a synced database (amounts as strings)."""
    org = org_of(sb, request)
    kind = request.path_params["kind"]
    if kind in ("invoices", "credit-notes"):
        coll = org.invoices if kind == "invoices" else org.credit_notes
        return [
            {
                "id": d.id,
                "number": d.number,
                "reference": d.reference,
                "type": d.type,
                "status": d.status,
                "contactId": d.contact_id,
                "date": d.date.isoformat(),
                "currency": d.currency_code,
                "currencyRate": str(d.currency_rate),
                "subTotal": str(d.sub_total),
                "totalTax": str(d.total_tax),
                "total": str(d.total),
                "amountDue": str(d.amount_due),
                "lines": len(d.lines),
                "updatedDateUTC": ms_datetime(d.updated),
                "updated": iso_z(d.updated),
                "updatedMs": dt_ms(d.updated),
            }
            for d in coll.since(None)
        ]
    if kind == "contacts":
        return [
            {
                "id": c.id,
                "name": c.name,
                "status": c.status,
                "mergedTo": c.merged_to,
                "isCustomer": c.is_customer,
                "isSupplier": c.is_supplier,
                "updatedDateUTC": ms_datetime(c.updated),
            }
            for c in org.contacts.since(None)
        ]
    if kind == "pnl":
        start = parse_body_date(request.query_params.get("fromDate"))
        end = parse_body_date(request.query_params.get("toDate"))
        if not start or not end:
            raise ControlError("fromDate and toDate are required")
        return {code: str(v) for code, v in sorted(credit_by_account(org, start, end).items())}
    raise ControlError(f"unknown snapshot {kind}", 404)


def new_tenant_id(sb: Sandbox, request: Request, body: dict[str, Any]) -> Any:
    """A Demo Company reset: the org gets a new tenant id; its old connections disappear."""
    org = org_of(sb, request)
    old, new = org.tenant_id, str(uuid.uuid4())
    with sb.lock:
        org.tenant_id = new
        sb.orgs = {(new if k == old else k): v for k, v in sb.orgs.items()}
        for u in sb.identity.users.values():
            u.tenant_ids = [new if t == old else t for t in u.tenant_ids]
        for cid in [c.id for c in sb.identity.connections.values() if c.tenant_id == old]:
            del sb.identity.connections[cid]
    return {"old": old, "tenantId": new}


def expense_claims(sb: Sandbox, request: Request, body: dict[str, Any]) -> Any:
    """Create a classic expense claim with receipts: {"Status", "User": {"UserID"}?, "Receipts":
    [{"Date", "Contact": {"ContactID"}, "LineAmountTypes", "LineItems": [...], "Reference"}]}."""
    org = org_of(sb, request)
    user_id = str((body.get("User") or {}).get("UserID") or next(iter(org.users), ""))
    if user_id not in org.users:
        raise ControlError("unknown user")
    status = str(body.get("Status", "SUBMITTED")).upper()
    if status not in ("SUBMITTED", "AUTHORISED", "PAID"):
        raise ControlError("Status: SUBMITTED | AUTHORISED | PAID")
    receipts, errors = [], []
    for raw in body.get("Receipts") or []:
        contact = org.contacts.get(str((raw.get("Contact") or {}).get("ContactID", "")).lower())
        if contact is None:
            errors.append("Receipt contact not found")
            continue
        day = parse_body_date(raw.get("Date")) or sb.clock.today()
        lines = parse_lines(sb, org, "ACCPAY", raw.get("LineItems") or [], {}, errors)
        r = Document(
            str(uuid.uuid4()),
            "RECEIPT",
            str(org.next_receipt_no),
            contact.id,
            day,
            "AUTHORISED" if status != "SUBMITTED" else "SUBMITTED",
            lines,
            sb.now(),
            reference=str(raw.get("Reference", "")),
            line_amount_types=str(raw.get("LineAmountTypes", "Inclusive")),
            currency_code=org.base_currency,
            user_id=user_id,
        )
        compute_totals(r, org.tax_rates)
        receipts.append(r)
    if errors or not receipts:
        raise ControlError("; ".join(errors) or "at least one receipt is required")
    with sb.lock:
        for r in receipts:
            org.next_receipt_no += 1
            r.updated = org.stamp(sb.now())
            org.receipts.add(r)
        total = sum((r.total for r in receipts), Decimal("0"))
        day = max(r.date for r in receipts)
        claim = ExpenseClaim(
            str(uuid.uuid4()),
            status,
            user_id,
            [r.id for r in receipts],
            org.stamp(sb.now()),
            day,
            day,
        )
        claim.amount_paid = total if status == "PAID" else Decimal("0")
        org.expense_claims.add(claim)
    return expense_claim_json(org, claim, True)


def expense_claim_action(sb: Sandbox, request: Request, body: dict[str, Any]) -> Any:
    """approve | pay | void | delete a claim (its receipts follow: AUTHORISED or VOIDED)."""
    org = org_of(sb, request)
    claim = org.expense_claims.get(request.path_params["id"].lower())
    if claim is None:
        raise ControlError("unknown expense claim", 404)
    action = request.path_params["action"]
    target = {"approve": "AUTHORISED", "pay": "PAID", "void": "VOIDED", "delete": "DELETED"}.get(
        action
    )
    if target is None:
        raise ControlError(f"unknown action {action}", 404)
    with sb.lock:
        claim.status = target
        receipt_status = "VOIDED" if target in ("VOIDED", "DELETED") else "AUTHORISED"
        for rid in claim.receipt_ids:
            r = org.receipts.get(rid)
            if r is not None and r.status != receipt_status:
                r.status = receipt_status
                sb.touch(org, org.receipts, r)
        if target == "PAID":
            claim.amount_paid = sum(
                (org.receipts.items[r].total for r in claim.receipt_ids if r in org.receipts.items),
                Decimal("0"),
            )
        sb.touch(org, org.expense_claims, claim)
    return expense_claim_json(org, claim, True)

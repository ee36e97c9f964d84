"""What a person does with the drafts: read them, edit lines, add a one-off line, exclude a
client, approve, and ask the worker to push. Every action is checked and audited.

Partners review (read); admins change and push. Status flows back from Xero through the sync:
a pushed draft shows the status of the synced invoice with its InvoiceID, when there is one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import Engine
from sqlmodel import Session, select

from xeroflow_core import audit, installation
from xeroflow_core.actor import Actor
from xeroflow_core.db import session_scope
from xeroflow_core.eom import claims
from xeroflow_core.eom.billing import (
    BillingRuleError,
    check_line_amount,
    parse_month,
    quantity,
    unit_amount,
)
from xeroflow_core.eom.pricing import existing_lines, reprice
from xeroflow_core.models import Client, Contact, Invoice, Organisation, utcnow
from xeroflow_core.models.eom import EomDraft, EomDraftLine
from xeroflow_core.settings import Settings, get_settings
from xeroflow_core.users import require
from xeroflow_core.work import submit
from xeroflow_core.xero.links import xero_link

EDITABLE_STATES = ("generated", "approved", "failed")


class ReviewError(ValueError):
    """An action that cannot be done on this draft now (with the reason for the person)."""


@dataclass
class DraftView:
    """A draft as the review page and the CLI show it."""

    id: int
    client_id: int
    client_name: str
    contact_name: str
    tenant_id: str
    month: date
    invoice_date: date
    due_date: date | None
    reference: str
    currency: str
    line_amount_types: str
    sub_total: Decimal
    total_tax: Decimal
    total: Decimal
    state: str
    problems: list[str]
    warnings: list[str]
    error: str
    xero_invoice_id: str
    xero_invoice_number: str
    xero_status: str  # the synced invoice's status when synced, else as the push answered
    xero_url: str
    lines: list[EomDraftLine] = field(default_factory=list)
    held: str = ""  # while 'pushing': which pusher holds it, and until when

    @property
    def can_approve(self) -> bool:
        return self.state in ("generated", "failed") and not self.problems


def sentence(message: str) -> str:
    """A message as a person reads it: starting with a capital (services write them lower-case
    so that they can be embedded after "Not pushed: " and the like)."""
    return message[:1].upper() + message[1:]


def push_choice_key(ready_ids: list[int]) -> str:
    """The widget key of the push selection: a new set of pushable drafts is a new widget, so
    drafts that became pushable (problems fixed, month generated again) show at once."""
    ids = sorted(int(i) for i in ready_ids)
    digest = hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()[:12]
    return f"eom_push_choice_{digest}"


def list_drafts(
    engine: Engine, actor: Actor, month: str | date, settings: Settings | None = None
) -> list[DraftView]:
    """Every draft of the month with its lines, problems and Xero status.

    A constant number of queries whatever the number of drafts (1,000 clients is one page):
    the contacts, synced invoices, organisations and lines are each read in one go."""
    require(actor, "review_eom")
    first = parse_month(month)
    out = []
    with session_scope(engine) as s:
        rows = s.exec(
            select(EomDraft, Client)
            .join(Client, Client.id == EomDraft.client_id)
            .where(EomDraft.month == first)
            .order_by(Client.name)
        ).all()
        contacts = _by_key(s, Contact, Contact.contact_id, first, "contact_id")
        synced = _by_key(s, Invoice, Invoice.invoice_id, first, "xero_invoice_id")
        orgs = {o.tenant_id: o for o in s.exec(select(Organisation))}
        lines: dict[int, list[EomDraftLine]] = {}
        for ln in s.exec(
            select(EomDraftLine)
            .join(EomDraft, EomDraft.id == EomDraftLine.draft_id)
            .where(EomDraft.month == first)
            .order_by(EomDraftLine.draft_id, EomDraftLine.position)
        ):
            lines.setdefault(ln.draft_id, []).append(ln)
        for d, client in rows:
            contact = contacts.get((d.tenant_id, d.contact_id)) if d.contact_id else None
            inv = synced.get((d.tenant_id, d.xero_invoice_id)) if d.xero_invoice_id else None
            org = orgs.get(d.tenant_id) if d.tenant_id else None
            url = ""
            if settings is not None:
                code = org.short_code if org else ""
                url = xero_link(settings, d.tenant_id, code, "ACCREC", d.xero_invoice_id)
            out.append(
                DraftView(
                    d.id, d.client_id, client.name, contact.name if contact else "",
                    d.tenant_id, d.month, d.invoice_date, d.due_date, d.reference,
                    d.currency_code, d.line_amount_types, d.sub_total, d.total_tax, d.total,
                    d.state, list(d.problems), list(d.warnings), d.error, d.xero_invoice_id,
                    inv.invoice_number if inv else d.xero_invoice_number,
                    inv.status if inv else d.xero_status, url, lines.get(d.id, []),
                    claims.holder_message(d) if d.state == "pushing" else "",
                )
            )  # fmt: skip
    return out


def _by_key(s: Session, model, id_col, month: date, attr: str) -> dict:  # noqa: ANN001
    """The rows of `model` (keyed by tenant and id) the month's drafts point at, in one query
    (a join on the drafts, so its size never grows with the number of drafts)."""
    q = (
        select(model)
        .join(
            EomDraft,
            (EomDraft.tenant_id == model.tenant_id) & (getattr(EomDraft, attr) == id_col),
        )
        .where(EomDraft.month == month, getattr(EomDraft, attr) != "")
    )
    return {(row.tenant_id, getattr(row, id_col.key)): row for row in s.exec(q)}


UNCERTAIN_MESSAGE = (
    "draft {ref}: an earlier push may have reached Xero without an answer; push again so "
    "XeroFlow can look the invoice up by reference first, then edit it"
)


def _read(s: Session, draft_id: int) -> EomDraft:
    draft = s.get(EomDraft, draft_id)
    if draft is None:
        raise ReviewError(f"draft {draft_id} does not exist")
    return draft


def _hold(s: Session, draft: EomDraft) -> None:
    """Before the first write: the draft is still as read (claims.hold), else refuse. From
    here a push's claim waits for this transaction, on SQLite and PostgreSQL alike."""
    if not claims.hold(s, draft):
        now = claims.state_now(s, draft.id)
        raise ReviewError(
            f"draft {draft.reference} changed while this change was being made (it is now "
            f"{now}): nothing was saved; look at it again"
        )


def _editable(s: Session, draft_id: int) -> EomDraft:
    draft = _read(s, draft_id)
    if draft.state not in EDITABLE_STATES:
        raise ReviewError(
            f"draft {draft.reference} is {draft.state}: a change after pushing is made in Xero"
        )
    if draft.uncertain:
        raise ReviewError(UNCERTAIN_MESSAGE.format(ref=draft.reference))
    return draft


def _line_values(row: dict) -> dict:
    desc = str(row.get("description") or "").strip()
    if not desc:
        raise ReviewError("every line needs a description")
    qty = quantity(row.get("quantity", 1))
    unit = unit_amount(row.get("unit_amount", 0), desc)
    check_line_amount(qty, unit, f"line '{desc[:40]}'")
    return {
        "description": desc[:4000],
        "quantity": qty,
        "unit_amount": unit,
        "account_code": str(row.get("account_code") or "").strip(),
        "tax_type": str(row.get("tax_type") or "").strip(),
    }


def update_lines(engine: Engine, actor: Actor, draft_id: int, rows: list[dict]) -> None:
    """Replace a draft's lines with edited rows (an `id` keeps a line; a missing one is removed,
    which releases a rebilled cost for a later month). Totals and checks are recomputed."""
    require(actor, "push_eom")
    try:
        values = [(_line_values(r), r.get("id")) for r in rows]
    except BillingRuleError as exc:
        raise ReviewError(str(exc)) from exc
    installation.current(engine)  # the key reprice computes includes the installation id
    with session_scope(engine) as s:
        draft = _editable(s, draft_id)
        old = {ln.id: ln for ln in existing_lines(s, draft.id)}
        _hold(s, draft)
        keep = set()
        for pos, (vals, line_id) in enumerate(values):
            ln = old.get(int(line_id)) if line_id not in (None, "") else None
            if ln is None:
                ln = EomDraftLine(draft_id=draft.id, source="manual")
            changed = any(getattr(ln, k) != v for k, v in vals.items())
            for k, v in vals.items():
                setattr(ln, k, v)
            ln.position, ln.edited = pos, ln.edited or changed
            s.add(ln)
            if ln.id is not None:
                keep.add(ln.id)
        for lid, ln in old.items():
            if lid not in keep:
                s.delete(ln)
        s.flush()
        reprice(s, draft, get_settings().rounding)
        if draft.state in ("approved", "failed"):
            draft.state, draft.error = "generated", ""
        audit.record(s, actor, "eom.edit_lines", draft.reference, lines=len(values))


def add_line(engine: Engine, actor: Actor, draft_id: int, **row: object) -> None:
    """Add a one-off line to a draft (kept when the month is generated again)."""
    require(actor, "push_eom")
    try:
        vals = _line_values(row)
    except BillingRuleError as exc:
        raise ReviewError(str(exc)) from exc
    installation.current(engine)
    with session_scope(engine) as s:
        draft = _editable(s, draft_id)
        pos = len(existing_lines(s, draft.id))
        _hold(s, draft)
        s.add(EomDraftLine(draft_id=draft.id, source="manual", position=pos, edited=True, **vals))
        s.flush()
        reprice(s, draft, get_settings().rounding)
        if draft.state in ("approved", "failed"):
            draft.state, draft.error = "generated", ""
        audit.record(s, actor, "eom.add_line", draft.reference, **vals)


def set_excluded(engine: Engine, actor: Actor, draft_id: int, excluded: bool = True) -> None:
    """Leave a client out of this month's push (or bring it back)."""
    require(actor, "push_eom")
    with session_scope(engine) as s:
        draft = _editable(s, draft_id) if excluded else _read(s, draft_id)
        if not excluded and draft.state != "excluded":
            return  # included already
        _hold(s, draft)
        draft.state, draft.updated_at = ("excluded" if excluded else "generated"), utcnow()
        s.add(draft)
        audit.record(s, actor, "eom.exclude" if excluded else "eom.include", draft.reference)


def approve(engine: Engine, actor: Actor, draft_ids: list[int]) -> list[str]:
    """Approve drafts for pushing; returns why any could not be approved."""
    require(actor, "push_eom")
    refused = []
    with session_scope(engine) as s:
        for draft_id in draft_ids:
            draft = s.get(EomDraft, draft_id)
            if draft is None:
                refused.append(f"draft {draft_id} does not exist")
            elif draft.state == "approved":
                continue
            elif draft.state not in ("generated", "failed"):
                refused.append(f"{draft.reference} is {draft.state}")
            elif draft.problems:
                refused.append(f"{draft.reference}: {'; '.join(draft.problems)}")
            elif not claims.hold(s, draft):
                refused.append(f"{draft.reference} changed meanwhile: look at it again")
            else:
                draft.state, draft.approved_by, draft.updated_at = (
                    "approved",
                    actor.username,
                    utcnow(),
                )
                s.add(draft)
                audit.record(s, actor, "eom.approve", draft.reference, total=str(draft.total))
    return refused


@dataclass
class PushRequested:
    """What request_push queued: one work request per organisation, and the drafts it could
    not approve (with why), for the page to show."""

    request_ids: list[int]
    refused: list[str]


def request_push(
    engine: Engine, actor: Actor, month: str | date, draft_ids: list[int]
) -> PushRequested:
    """Approve the selection and queue an "eom_push" work request per organisation.

    The page never calls Xero: it writes the request rows; the worker pushes as this actor."""
    require(actor, "push_eom")
    first = parse_month(month)
    refused = approve(engine, actor, draft_ids)
    with session_scope(engine) as s:
        tenants = sorted(
            {
                d.tenant_id
                for d in s.exec(select(EomDraft).where(EomDraft.id.in_(draft_ids)))  # type: ignore[union-attr]
                if d.state == "approved"
            }
        )
    if not tenants:
        raise ReviewError("nothing to push: " + ("; ".join(refused) or "no approved drafts"))
    params = {"month": f"{first:%Y-%m}", "draft_ids": list(draft_ids)}
    request_ids = [submit(engine, actor, "eom_push", tenant, params) for tenant in tenants]
    # audited once, by the work queue ("eom_push.requested", one per organisation)
    return PushRequested(request_ids, refused)

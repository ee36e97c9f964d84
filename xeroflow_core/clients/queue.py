"""The Unmatched Queue's reads: which Xero contacts still need a client, the Ignored list, and
the pickers (clients, contacts, tracking options) the Clients and queue pages offer.

The rule (documented in the README):
- An invoice *counts* when it is a sales invoice (ACCREC) whose status is not DELETED or VOIDED
  (drafts and submitted invoices count: someone still has to decide whose they are).
- It belongs to a client when its contact (tenant id + contact id) is linked to that client. That
  ownership is derived on every read from `client_contact_link`, never copied onto documents.
- Otherwise it belongs to the Ignored list when its contact is ignored, else to the Queue.
  So every counting invoice is in exactly one place: a client, the Queue, or Ignored.
- Credit notes do not put a contact in the queue on their own (a contact with only credit notes
  has nothing to bill); once the contact is linked they show on the client's page.

Aggregation happens in SQL (GROUP BY contact and currency rate), so the queue for 50,000 invoices
is a single query; Python only merges the few per-currency groups into base-currency totals.

This module owns only those reads. The write actions (link, create, ignore, cost mappings, ...)
live in `links.py`, undo and the history in `journal.py`, the Clients page's reads in
`financials.py` and suggestions in `suggestions.py`; the package (`xeroflow_core.clients`)
exports the names pages and other features call.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import Engine, and_
from sqlmodel import Session, func, select

from xeroflow_core.clients.financials import counted_invoice_filter, per_contact_totals
from xeroflow_core.db import session_scope
from xeroflow_core.models import (
    Client,
    ClientContactLink,
    Contact,
    IgnoredContact,
    Invoice,
    Organisation,
    TrackingCategory,
    TrackingOption,
)
from xeroflow_core.money import to_base
from xeroflow_core.text import search_term

ZERO = Decimal("0")


@dataclass
class QueueRow:
    """One unlinked contact with counting invoices (a queue row, or an ignored row)."""

    tenant_id: str
    contact_id: str
    organisation: str
    name: str
    email: str
    contact_status: str
    merged_to: str | None
    invoice_count: int = 0
    total: Decimal = ZERO  # base currency, unrounded
    totals: dict[str, Decimal] = field(default_factory=dict)  # per document currency, exact
    first_date: dt.date | None = None
    last_date: dt.date | None = None
    ignored_reason: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.tenant_id, self.contact_id)


def _org_names(s: Session) -> dict[str, str]:
    return {t: n for t, n in s.exec(select(Organisation.tenant_id, Organisation.name))}


def _unlinked_rows(s: Session, *, ignored: bool, tenant_id: str | None) -> list[QueueRow]:
    link, ign = ClientContactLink, IgnoredContact
    # aggregate the invoices first (one pass), then join the few thousand groups to the links
    per = per_contact_totals(tenant_id=tenant_id)
    q = (
        select(
            per.c.tenant_id,
            per.c.contact_id,
            Contact.name,
            Contact.email,
            Contact.status,
            Contact.merged_to_contact_id,
            ign.reason,
            per.c.currency_code,
            per.c.currency_rate,
            per.c.n,
            per.c.total,
            per.c.first,
            per.c.last,
        )  # fmt: skip
        .select_from(per)
        .outerjoin(
            link, and_(link.tenant_id == per.c.tenant_id, link.contact_id == per.c.contact_id)
        )
        .outerjoin(ign, and_(ign.tenant_id == per.c.tenant_id, ign.contact_id == per.c.contact_id))
        .outerjoin(
            Contact,
            and_(Contact.tenant_id == per.c.tenant_id, Contact.contact_id == per.c.contact_id),
        )
        .where(link.client_id.is_(None))
        .where(ign.contact_id.is_not(None) if ignored else ign.contact_id.is_(None))
    )
    orgs = _org_names(s)
    rows: dict[tuple[str, str], QueueRow] = {}
    for t, c, name, email, status, merged, reason, cur, rate, n, total, first, last in s.exec(q):
        row = rows.get((t, c))
        if row is None:
            row = rows[(t, c)] = QueueRow(
                t, c, orgs.get(t, t), name or f"(contact {c} not synced)", email or "",
                status or "", merged or None, ignored_reason=reason,
            )  # fmt: skip
        total = total or ZERO
        row.invoice_count += n
        row.total += to_base(total, rate)
        row.totals[cur or ""] = row.totals.get(cur or "", ZERO) + total
        row.first_date = min(d for d in (row.first_date, first) if d) if first else row.first_date
        row.last_date = max(d for d in (row.last_date, last) if d) if last else row.last_date
    return list(rows.values())


def _sorted(rows: list[QueueRow], order: str) -> list[QueueRow]:
    if order == "total":
        return sorted(rows, key=lambda r: (-r.total, r.name.lower()))
    if order == "newest":
        return sorted(rows, key=lambda r: (r.last_date or dt.date.min, r.total), reverse=True)
    if order == "name":
        return sorted(rows, key=lambda r: r.name.lower())
    raise ValueError("order is 'newest', 'total' or 'name'")


def unmatched_queue(
    engine: Engine, *, order: str = "newest", tenant_id: str | None = None, search: str = ""
) -> list[QueueRow]:
    """One row per unlinked, not ignored contact with counting sales invoices.

    `tenant_id` keeps one organisation's contacts; `search` keeps contacts whose name or email
    contains it, case-insensitively (the queue is one row per contact, so this filters few rows)."""
    with session_scope(engine) as s:
        rows = _unlinked_rows(s, ignored=False, tenant_id=tenant_id)
    return filter_queue(rows, order=order, search=search)


def filter_queue(
    rows: list[QueueRow], *, order: str = "newest", search: str = ""
) -> list[QueueRow]:
    """The queue rows whose name or email contains `search`, in `order`: what a search or a
    change of order needs, without aggregating the invoices again (the page caches the rows)."""
    needle = search_term(search).lower()
    if needle:
        rows = [r for r in rows if needle in r.name.lower() or needle in (r.email or "").lower()]
    return _sorted(rows, order)


def queue_organisations(engine: Engine) -> list[tuple[str, str]]:
    """(tenant_id, name) of the connected organisations, by name: the queue's organisation filter."""
    with session_scope(engine) as s:
        return sorted(_org_names(s).items(), key=lambda kv: (kv[1].lower(), kv[0]))


def ignored_contacts(engine: Engine, *, tenant_id: str | None = None) -> list[QueueRow]:
    """Ignored contacts with their counting invoices (listed separately, reversible)."""
    with session_scope(engine) as s:
        ignored = _sorted(_unlinked_rows(s, ignored=True, tenant_id=tenant_id), "name")
        # ignored contacts without invoices still show, so they can be brought back
        have = {r.key for r in ignored}
        orgs = _org_names(s)
        q = select(IgnoredContact, Contact).outerjoin(
            Contact,
            and_(
                Contact.tenant_id == IgnoredContact.tenant_id,
                Contact.contact_id == IgnoredContact.contact_id,
            ),
        )
        for ign, c in s.exec(q):
            if (ign.tenant_id, ign.contact_id) not in have:
                ignored.append(
                    QueueRow(
                        ign.tenant_id, ign.contact_id, orgs.get(ign.tenant_id, ign.tenant_id),
                        c.name if c else ign.contact_id, c.email if c else "",
                        c.status if c else "", c.merged_to_contact_id if c else None,
                        ignored_reason=ign.reason,
                    )
                )  # fmt: skip
        return ignored


def queue_count(engine: Engine) -> int:
    """How many contacts wait in the queue (for the page header and the menu)."""
    link, ign = ClientContactLink, IgnoredContact
    contacts = (
        select(Invoice.tenant_id, Invoice.contact_id)
        .where(counted_invoice_filter())
        .group_by(Invoice.tenant_id, Invoice.contact_id)
        .subquery()
    )
    inner = (
        select(contacts.c.contact_id)
        .outerjoin(
            link,
            and_(link.tenant_id == contacts.c.tenant_id, link.contact_id == contacts.c.contact_id),
        )
        .outerjoin(
            ign,
            and_(ign.tenant_id == contacts.c.tenant_id, ign.contact_id == contacts.c.contact_id),
        )
        .where(link.client_id.is_(None), ign.contact_id.is_(None))
        .subquery()
    )
    with session_scope(engine) as s:
        return int(s.exec(select(func.count()).select_from(inner)).one())


def client_choices(
    engine: Engine, search: str = "", status: str | None = "active"
) -> list[tuple[int, str]]:
    """(id, name) of clients for pickers, by name."""
    with session_scope(engine) as s:
        q = select(Client.id, Client.name).order_by(func.lower(Client.name))
        if status:
            q = q.where(Client.status == status)
        term = search_term(search).lower()
        if term:
            q = q.where(func.lower(Client.name).contains(term, autoescape=True))
        return [(i, n) for i, n in s.exec(q)]


# --- choices for pickers ------------------------------------------------------------------------


@dataclass(frozen=True)
class ContactChoice:
    tenant_id: str
    contact_id: str
    label: str  # "Name · Organisation", flagged when archived or linked elsewhere

    @property
    def key(self) -> tuple[str, str]:
        return (self.tenant_id, self.contact_id)


def contact_choices(
    engine: Engine, *, unlinked_only: bool = True, suppliers: bool = False
) -> list[ContactChoice]:
    """Contacts for a picker: customers not linked yet (or all), or suppliers, by name."""
    with session_scope(engine) as s:
        orgs = _org_names(s)
        many_orgs = len(orgs) > 1
        q = (
            select(Contact.tenant_id, Contact.contact_id, Contact.name, Contact.status, Client.name)
            .outerjoin(
                ClientContactLink,
                and_(
                    ClientContactLink.tenant_id == Contact.tenant_id,
                    ClientContactLink.contact_id == Contact.contact_id,
                ),
            )
            .outerjoin(Client, Client.id == ClientContactLink.client_id)
            .where(Contact.merged_to_contact_id.is_(None))
            .order_by(func.lower(Contact.name))
        )
        if suppliers:
            # the contacts with bills, found once (not a subquery per contact): an outer join
            # to their distinct keys, read by ix_invoice_tenant_type_date
            billed = (
                select(Invoice.tenant_id, Invoice.contact_id)
                .where(Invoice.type == "ACCPAY")
                .distinct()
                .subquery()
            )
            q = q.outerjoin(
                billed,
                and_(
                    billed.c.tenant_id == Contact.tenant_id,
                    billed.c.contact_id == Contact.contact_id,
                ),
            ).where(Contact.is_supplier.is_(True) | billed.c.contact_id.is_not(None))
        elif unlinked_only:
            q = q.where(ClientContactLink.client_id.is_(None))
        out = []
        for t, c, name, status, client in s.exec(q):
            label = name + (f" · {orgs.get(t, t)}" if many_orgs else "")
            if status == "ARCHIVED":
                label += " (archived in Xero)"
            if client and not suppliers:
                label += f" → {client}"
            out.append(ContactChoice(t, c, label))
        return out


def tracking_option_choices(engine: Engine) -> list[tuple[str, str, str]]:
    """(tenant_id, option_id, "Category: Option") for the cost-mapping picker."""
    with session_scope(engine) as s:
        q = (
            select(TrackingOption.tenant_id, TrackingOption.tracking_option_id,
                   TrackingCategory.name, TrackingOption.name, TrackingOption.status)
            .outerjoin(
                TrackingCategory,
                and_(
                    TrackingCategory.tenant_id == TrackingOption.tenant_id,
                    TrackingCategory.tracking_category_id == TrackingOption.tracking_category_id,
                ),
            )
            .order_by(TrackingCategory.name, TrackingOption.name)
        )  # fmt: skip
        out = []
        for t, o, cat, name, status in s.exec(q):
            label = f"{cat}: {name}" if cat else name
            out.append((t, o, label + (" (archived)" if status == "ARCHIVED" else "")))
        return out

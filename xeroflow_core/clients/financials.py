"""What the Clients page reads: the client list with its figures, and one client's financials.

Documents belong to a client through its linked contacts (tenant id + contact id), derived on
each read. Sales figures count ACCREC invoices and ACCRECCREDIT credit notes that are not
DELETED or VOIDED; outstanding and overdue count AUTHORISED invoices only (drafts are not owed
yet). Costs are bill (ACCPAY) and expense-receipt lines in AUTHORISED or PAID status, attributed
in costs.py. Figures are in base currency (amount / CurrencyRate), unrounded.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import Engine, and_, case, false, or_
from sqlmodel import func, select

from xeroflow_core.clients.costs import CostRow, client_costs
from xeroflow_core.db import session_scope
from xeroflow_core.ledger import (
    OWED,
    accounted_invoice,
    is_posted,
)
from xeroflow_core.models import (
    Client,
    ClientContactLink,
    Contact,
    CreditNote,
    Invoice,
    Organisation,
)
from xeroflow_core.models.core import utc_today
from xeroflow_core.money import to_base
from xeroflow_core.text import search_term

ZERO = Decimal("0")


def counted_invoice_filter():  # noqa: ANN201 - a SQL expression
    """The invoices the queue and client links account for (ledger.accounted_invoice)."""
    return accounted_invoice()


def per_contact_totals(
    *,
    today: dt.date | None = None,
    tenant_id: str | None = None,
):  # noqa: ANN201 - a subquery
    """Counted invoices grouped by contact and currency in one pass over the invoice table:
    n, total, outstanding (AUTHORISED amount due), overdue, first and last date. The queue and
    the client list join this small result to links, never the 50,000 invoices themselves."""
    today = today or utc_today()
    owed = Invoice.status == OWED
    late = and_(owed, Invoice.due_date < today)
    q = (
        select(
            Invoice.tenant_id,
            Invoice.contact_id,
            Invoice.currency_code,
            Invoice.currency_rate,
            func.count().label("n"),
            func.sum(Invoice.total).label("total"),
            func.sum(case((owed, Invoice.amount_due), else_=None)).label("due"),
            func.sum(case((late, Invoice.amount_due), else_=None)).label("overdue"),
            func.min(Invoice.date).label("first"),
            func.max(Invoice.date).label("last"),
        )  # fmt: skip
        .where(counted_invoice_filter())
        .group_by(
            Invoice.tenant_id, Invoice.contact_id, Invoice.currency_code, Invoice.currency_rate
        )
    )
    if tenant_id:
        q = q.where(Invoice.tenant_id == tenant_id)
    return q.subquery("per_contact")


@dataclass
class ClientRow:
    id: int
    name: str
    status: str
    notes: str
    contacts: int = 0
    archived_contacts: int = 0
    invoice_count: int = 0
    outstanding: Decimal = ZERO
    overdue: Decimal = ZERO
    last_invoice: dt.date | None = None


def client_list(
    engine: Engine, search: str = "", status: str | None = None, *, today: dt.date | None = None
) -> list[ClientRow]:
    """Clients by name with linked contacts, invoice count, outstanding and overdue (SQL sums).

    `search` matches the client's name or the name of any linked contact, case-insensitively and
    literally (`%` and `_` are characters, not wildcards); `status` is "active", "archived" or
    None for both. A search longer than text.MAX_SEARCH_CHARS is refused (ValueError)."""
    today = today or utc_today()
    link = ClientContactLink
    with session_scope(engine) as s:
        q = select(Client).order_by(func.lower(Client.name))
        if status:
            q = q.where(Client.status == status)
        term = search_term(search).lower()
        if term:
            via_contact = (
                select(link.client_id)
                .join(
                    Contact,
                    and_(
                        Contact.tenant_id == link.tenant_id, Contact.contact_id == link.contact_id
                    ),
                )
                .where(func.lower(Contact.name).contains(term, autoescape=True))
            )
            q = q.where(
                or_(
                    func.lower(Client.name).contains(term, autoescape=True),
                    Client.id.in_(via_contact),
                )
            )
        rows = {c.id: ClientRow(c.id, c.name, c.status, c.notes) for c in s.exec(q)}
        if not rows:
            return []
        archived = case((Contact.status == "ARCHIVED", 1), else_=0)
        cq = (
            select(link.client_id, func.count(), func.sum(archived))
            .outerjoin(
                Contact,
                and_(Contact.tenant_id == link.tenant_id, Contact.contact_id == link.contact_id),
            )
            .group_by(link.client_id)
        )
        for cid, n, n_archived in s.exec(cq):
            if cid in rows:
                rows[cid].contacts, rows[cid].archived_contacts = n, int(n_archived or 0)
        per = per_contact_totals(today=today)
        iq = (
            select(
                link.client_id,
                per.c.currency_rate,
                func.sum(per.c.n),
                func.sum(per.c.due),
                func.sum(per.c.overdue),
                func.max(per.c.last),
            )  # fmt: skip
            .select_from(per)
            .join(
                link, and_(link.tenant_id == per.c.tenant_id, link.contact_id == per.c.contact_id)
            )
            .group_by(link.client_id, per.c.currency_rate)
        )
        for cid, rate, n, due, overdue, last in s.exec(iq):
            row = rows.get(cid)
            if row is None:
                continue
            row.invoice_count += n
            row.outstanding += to_base(_dec(due), rate)
            row.overdue += to_base(_dec(overdue), rate)
            if last and (row.last_invoice is None or last > row.last_invoice):
                row.last_invoice = last
        return list(rows.values())


def _dec(value: object) -> Decimal:
    """A SUM read back: Decimal already, or a scaled int/None from SQLite's CASE expression."""
    if value is None:
        return ZERO
    if isinstance(value, Decimal):
        return value
    return Decimal(int(value)) / Decimal(10000)


@dataclass
class LinkedContact:
    tenant_id: str
    contact_id: str
    organisation: str
    name: str
    email: str
    status: str
    merged_to: str | None
    linked_by: str
    linked_at: dt.datetime | None

    @property
    def archived(self) -> bool:
        return self.status == "ARCHIVED"


@dataclass
class DocRow:
    kind: str  # invoice, credit_note
    tenant_id: str
    document_id: str
    number: str
    reference: str
    contact: str
    date: dt.date | None
    due_date: dt.date | None
    status: str
    currency: str
    sub_total: Decimal
    total_tax: Decimal
    total: Decimal
    amount_due: Decimal
    base_total: Decimal
    base_due: Decimal
    overdue: bool


@dataclass
class ClientFinancials:
    client: Client
    contacts: list[LinkedContact]
    invoices: list[DocRow]
    credit_notes: list[DocRow]
    costs: list[CostRow]
    tracking_options: list[tuple[str, str, str]] = field(default_factory=list)  # tenant, id, name
    suppliers: list[tuple[str, str, str]] = field(default_factory=list)  # tenant, id, name
    invoiced: Decimal = ZERO  # AUTHORISED + PAID invoices, base, incl. tax
    credited: Decimal = ZERO
    outstanding: Decimal = ZERO
    overdue: Decimal = ZERO
    cost_total: Decimal = ZERO


def client_financials(
    engine: Engine, client_id: int, *, today: dt.date | None = None
) -> ClientFinancials:
    """One client's linked contacts, invoices, credit notes, receivables and attributed costs."""
    today = today or utc_today()
    link = ClientContactLink
    with session_scope(engine) as s:
        client = s.get(Client, client_id)
        if client is None:
            raise ValueError(f"No client with id {client_id}.")
        orgs = {t: n for t, n in s.exec(select(Organisation.tenant_id, Organisation.name))}
        contacts = []
        names: dict[tuple[str, str], str] = {}
        lq = (
            select(link, Contact)
            .outerjoin(
                Contact,
                and_(Contact.tenant_id == link.tenant_id, Contact.contact_id == link.contact_id),
            )
            .where(link.client_id == client_id)
        )
        for ln, c in s.exec(lq):
            names[(ln.tenant_id, ln.contact_id)] = c.name if c else ln.contact_id
            contacts.append(
                LinkedContact(
                    ln.tenant_id, ln.contact_id, orgs.get(ln.tenant_id, ln.tenant_id),
                    c.name if c else f"(contact {ln.contact_id} not synced)",
                    c.email if c else "", c.status if c else "", c.merged_to_contact_id if c else None,
                    ln.linked_by, ln.linked_at,
                )
            )  # fmt: skip
        contacts.sort(key=lambda x: (x.organisation, x.name.lower()))
        fin = ClientFinancials(client, contacts, [], [], [])
        # read the (few) links first, then their documents by index: a plan SQLite picks well
        # even before ANALYZE has statistics
        linked = _by_tenant(names)
        iq = (
            select(Invoice)
            .where(_of_contacts(Invoice, linked), Invoice.type == "ACCREC")
            .order_by(Invoice.date.desc(), Invoice.invoice_number.desc())
        )
        for inv in s.exec(iq) if linked else ():
            late = inv.status == OWED and inv.due_date is not None and inv.due_date < today
            row = DocRow(
                "invoice", inv.tenant_id, inv.invoice_id, inv.invoice_number, inv.reference,
                names.get((inv.tenant_id, inv.contact_id), ""), inv.date, inv.due_date, inv.status,
                inv.currency_code, inv.sub_total, inv.total_tax, inv.total, inv.amount_due,
                to_base(inv.total, inv.currency_rate), to_base(inv.amount_due, inv.currency_rate),
                late,
            )  # fmt: skip
            fin.invoices.append(row)
            if is_posted(inv.status):
                fin.invoiced += row.base_total
            if inv.status == OWED:
                fin.outstanding += row.base_due
                if late:
                    fin.overdue += row.base_due
        cq = (
            select(CreditNote)
            .where(_of_contacts(CreditNote, linked), CreditNote.type == "ACCRECCREDIT")
            .order_by(CreditNote.date.desc())
        )
        for cn in s.exec(cq) if linked else ():
            row = DocRow(
                "credit_note", cn.tenant_id, cn.credit_note_id, cn.credit_note_number,
                cn.reference, names.get((cn.tenant_id, cn.contact_id), ""), cn.date, None,
                cn.status, cn.currency_code, cn.sub_total, cn.total_tax, cn.total,
                cn.remaining_credit, to_base(cn.total, cn.currency_rate),
                to_base(cn.remaining_credit, cn.currency_rate), False,
            )  # fmt: skip
            fin.credit_notes.append(row)
            if is_posted(cn.status):
                fin.credited += row.base_total
        costs = client_costs(s, client_id)
        fin.tracking_options, fin.suppliers = costs.tracking_options, costs.suppliers
        fin.costs, fin.cost_total = costs.costs, costs.cost_total
        return fin


def _by_tenant(keys) -> dict[str, list[str]]:  # noqa: ANN001
    out: dict[str, list[str]] = {}
    for tenant_id, contact_id in keys:
        out.setdefault(tenant_id, []).append(contact_id)
    return out


def _of_contacts(model, linked: dict[str, list[str]]):  # noqa: ANN001, ANN202
    return or_(
        false(),
        *(and_(model.tenant_id == t, model.contact_id.in_(ids)) for t, ids in linked.items()),
    )


def contact_documents(engine: Engine, tenant_id: str, contact_id: str) -> list[DocRow]:
    """A contact's sales invoices and credit notes, newest first (the queue's "show invoices")."""
    today = utc_today()
    with session_scope(engine) as s:
        out = []
        q = (
            select(Invoice)
            .where(Invoice.tenant_id == tenant_id, Invoice.contact_id == contact_id)
            .where(Invoice.type == "ACCREC")
        )
        for inv in s.exec(q):
            late = inv.status == OWED and inv.due_date is not None and inv.due_date < today
            out.append(
                DocRow(
                    "invoice", inv.tenant_id, inv.invoice_id, inv.invoice_number, inv.reference,
                    "", inv.date, inv.due_date, inv.status, inv.currency_code, inv.sub_total,
                    inv.total_tax, inv.total, inv.amount_due,
                    to_base(inv.total, inv.currency_rate), to_base(inv.amount_due, inv.currency_rate),
                    late,
                )
            )  # fmt: skip
        q2 = select(CreditNote).where(
            CreditNote.tenant_id == tenant_id,
            CreditNote.contact_id == contact_id,
            CreditNote.type == "ACCRECCREDIT",
        )
        for cn in s.exec(q2):
            out.append(
                DocRow(
                    "credit_note", cn.tenant_id, cn.credit_note_id, cn.credit_note_number,
                    cn.reference, "", cn.date, None, cn.status, cn.currency_code, cn.sub_total,
                    cn.total_tax, cn.total, cn.remaining_credit,
                    to_base(cn.total, cn.currency_rate),
                    to_base(cn.remaining_credit, cn.currency_rate), False,
                )
            )  # fmt: skip
        out.sort(key=lambda d: d.date or dt.date.min, reverse=True)
        return out

"""A client's costs: the bill and expense-receipt lines attributed to it.

Kept apart from the client's sales figures (financials.py) because the attribution rule is its
own: a line belongs to the client by its tracking option mapped to the client, else by its
supplier mapped to the client (ledger.py and the README). Posted documents only; amounts ex-tax,
in base currency.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import and_, literal, or_
from sqlmodel import select

from xeroflow_core.ledger import BILL, POSTED, receipt_is_posted
from xeroflow_core.models import (
    ClientSupplier,
    ClientTrackingOption,
    Contact,
    DocumentLine,
    Invoice,
    Receipt,
    TrackingOption,
)
from xeroflow_core.money import to_base

ZERO = Decimal("0")


@dataclass
class CostRow:
    tenant_id: str
    document_kind: str  # bill, receipt
    document_id: str
    number: str
    date: dt.date | None
    supplier: str
    description: str
    account_code: str
    amount: Decimal  # ex-tax, base currency
    rule: str  # why the line belongs to the client


@dataclass
class ClientCosts:
    tracking_options: list[tuple[str, str, str]] = field(default_factory=list)  # tenant, id, name
    suppliers: list[tuple[str, str, str]] = field(default_factory=list)  # tenant, id, name
    costs: list[CostRow] = field(default_factory=list)
    cost_total: Decimal = ZERO


def client_costs(s, client_id: int) -> ClientCosts:  # noqa: ANN001
    """A client's tracking options, suppliers and the bill and receipt lines attributed to it:
    by tracking option first, then by supplier."""
    fin = ClientCosts()
    option_owner = {
        (t, o): c
        for t, o, c in s.exec(
            select(
                ClientTrackingOption.tenant_id,
                ClientTrackingOption.tracking_option_id,
                ClientTrackingOption.client_id,
            )
        )
    }
    option_names = {
        (t, o): n
        for t, o, n in s.exec(
            select(TrackingOption.tenant_id, TrackingOption.tracking_option_id, TrackingOption.name)
        )
    }
    mine_options = [k for k, c in option_owner.items() if c == client_id]
    fin.tracking_options = sorted((t, o, option_names.get((t, o), o)) for t, o in mine_options)
    sup_rows = list(
        s.exec(
            select(ClientSupplier, Contact)
            .outerjoin(
                Contact,
                and_(
                    Contact.tenant_id == ClientSupplier.tenant_id,
                    Contact.contact_id == ClientSupplier.contact_id,
                ),
            )
            .where(ClientSupplier.client_id == client_id)
        )
    )
    fin.suppliers = sorted(
        (m.tenant_id, m.contact_id, c.name if c else m.contact_id) for m, c in sup_rows
    )
    supplier_keys = {(t, c) for t, c, _ in fin.suppliers}
    supplier_names = {(t, c): n for t, c, n in fin.suppliers}
    opt_ids = [o for _, o in mine_options]
    sup_ids = [c for _, c in supplier_keys]
    if not opt_ids and not sup_ids:
        return fin
    sources = (
        ("bill", Invoice, Invoice.invoice_id, Invoice.invoice_number, Invoice.currency_rate,
         "invoice", and_(Invoice.type == BILL, Invoice.status.in_(POSTED))),
        ("receipt", Receipt, Receipt.receipt_id, Receipt.receipt_number, literal(None),
         "receipt", receipt_is_posted()),
    )  # fmt: skip
    # posted documents only, the rule profitability uses (profitability/query.py)
    for label, model, id_col, number_col, rate_col, kind, posted in sources:
        line_match = or_(
            DocumentLine.tracking_option_id_1.in_(opt_ids or [""]),
            DocumentLine.tracking_option_id_2.in_(opt_ids or [""]),
            model.contact_id.in_(sup_ids or [""]),
        )
        q = (
            select(DocumentLine, model.contact_id, number_col, model.date, rate_col,
                   model.line_amount_types)
            .join(
                model,
                and_(
                    model.tenant_id == DocumentLine.tenant_id,
                    id_col == DocumentLine.document_id,
                    DocumentLine.document_kind == kind,
                ),
            )
            .where(posted, line_match)
        )  # fmt: skip
        for line, contact_id, number, on, rate, lat in s.exec(q):
            rule = _rule(line, contact_id, client_id, option_owner, option_names, supplier_keys,
                         supplier_names)  # fmt: skip
            if rule is None:
                continue
            ex_tax = line.line_amount - line.tax_amount if lat == "Inclusive" else line.line_amount
            base = to_base(ex_tax, rate)
            fin.costs.append(
                CostRow(
                    line.tenant_id, label, line.document_id, number, on,
                    supplier_names.get((line.tenant_id, contact_id), _contact_name(s, line.tenant_id, contact_id)),
                    line.description, line.account_code, base, rule,
                )
            )  # fmt: skip
            fin.cost_total += base
    fin.costs.sort(key=lambda r: r.date or dt.date.min, reverse=True)
    return fin


def _rule(line, contact_id, client_id, option_owner, option_names, supplier_keys, supplier_names):  # noqa: ANN001, ANN202
    """Why a cost line belongs to this client, or None when it belongs elsewhere."""
    for opt in (line.tracking_option_id_1, line.tracking_option_id_2):
        if opt and (line.tenant_id, opt) in option_owner:
            if option_owner[(line.tenant_id, opt)] != client_id:
                return None
            return f"tracking option {option_names.get((line.tenant_id, opt), opt)}"
    if (line.tenant_id, contact_id) in supplier_keys:
        return f"supplier {supplier_names[(line.tenant_id, contact_id)]}"
    return None


def _contact_name(s, tenant_id: str, contact_id: str) -> str:  # noqa: ANN001
    c = s.get(Contact, (tenant_id, contact_id))
    return c.name if c else contact_id

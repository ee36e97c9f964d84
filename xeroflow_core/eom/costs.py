"""Rebillable costs: bill and expense-receipt lines dated in a month and attributed to a client
(by tracking option first, then by supplier, as profitability attributes them), and which of them a draft line
already claims. A cost line is rebilled when a draft line points at it, so it is billed once."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlmodel import Session, select

from xeroflow_core.eom.billing import month_end
from xeroflow_core.ledger import POSTED as COST_STATUSES
from xeroflow_core.ledger import receipt_is_posted
from xeroflow_core.models import (
    ClientSupplier,
    ClientTrackingOption,
    DocumentLine,
    Invoice,
    Receipt,
)
from xeroflow_core.models.eom import EomDraftLine
from xeroflow_core.money import ZERO, to_base


@dataclass(frozen=True)
class Cost:
    tenant_id: str
    line_item_id: str
    description: str
    ex_tax_base: Decimal
    document: str


def attributed_costs(s: Session, month: date) -> dict[int, list[Cost]]:
    """Bill and receipt lines dated in the month, attributed to a client: tracking option first,
    then supplier, as profitability does. Amounts are ex-tax, in base currency."""
    by_option = {
        (r.tenant_id, r.tracking_option_id): r.client_id
        for r in s.exec(select(ClientTrackingOption))
    }
    by_supplier = {(r.tenant_id, r.contact_id): r.client_id for r in s.exec(select(ClientSupplier))}
    if not by_option and not by_supplier:
        return {}
    end = month_end(month)
    out: dict[int, list[Cost]] = defaultdict(list)
    bills = s.exec(
        select(DocumentLine, Invoice)
        .join(Invoice, (Invoice.tenant_id == DocumentLine.tenant_id) & (Invoice.invoice_id == DocumentLine.document_id))
        .where(
            DocumentLine.document_kind == "invoice", Invoice.type == "ACCPAY",
            Invoice.status.in_(COST_STATUSES), Invoice.date >= month, Invoice.date <= end,  # type: ignore[attr-defined]
        )
    ).all()  # fmt: skip
    receipts = s.exec(
        select(DocumentLine, Receipt)
        .join(Receipt, (Receipt.tenant_id == DocumentLine.tenant_id) & (Receipt.receipt_id == DocumentLine.document_id))
        .where(
            DocumentLine.document_kind == "receipt", receipt_is_posted(),
            Receipt.date >= month, Receipt.date <= end,
        )
    ).all()  # fmt: skip
    docs = [(ln, d, d.invoice_number or d.reference, d.currency_rate) for ln, d in bills]
    docs += [(ln, d, f"receipt {d.receipt_number}", Decimal(1)) for ln, d in receipts]
    for line, doc, label, rate in docs:
        client_id = by_option.get((line.tenant_id, line.tracking_option_id_1 or ""))
        if client_id is None:
            client_id = by_option.get((line.tenant_id, line.tracking_option_id_2 or ""))
        if client_id is None:
            client_id = by_supplier.get((line.tenant_id, doc.contact_id))
        if client_id is None:
            continue
        ex_tax = line.line_amount - (
            line.tax_amount if doc.line_amount_types == "Inclusive" else ZERO
        )
        out[client_id].append(
            Cost(line.tenant_id, line.line_item_id, line.description or label, to_base(ex_tax, rate), label)
        )  # fmt: skip
    return out


def claims(s: Session) -> dict[tuple[str, str], int]:
    """Every rebilled cost line -> the draft whose line bills it (read once per generation)."""
    q = select(EomDraftLine.tenant_id, EomDraftLine.source_line_id, EomDraftLine.draft_id).where(
        EomDraftLine.source_line_id.is_not(None)  # type: ignore[union-attr]
    )
    return {(t, x): d for t, x, d in s.exec(q)}

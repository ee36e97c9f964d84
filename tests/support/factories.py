"""Small builders of synced rows for tests that need data without running a sync."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import Engine

from xeroflow_core.db import session_scope
from xeroflow_core.models import Contact, CreditNote, DocumentLine, Invoice, Organisation

TENANT = "11111111-1111-1111-1111-111111111111"
_seq = itertools.count(1)


def new_id() -> str:
    return str(uuid.uuid4())


def organisation(engine: Engine, tenant_id: str = TENANT, currency: str = "NZD") -> str:
    with session_scope(engine) as s:
        s.merge(
            Organisation(tenant_id=tenant_id, name=f"Org {tenant_id[:4]}", base_currency=currency)
        )
    return tenant_id


def contact(engine: Engine, name: str, tenant_id: str = TENANT, **fields: object) -> str:
    cid = str(fields.pop("contact_id", new_id()))
    with session_scope(engine) as s:
        s.add(Contact(tenant_id=tenant_id, contact_id=cid, name=name, **fields))
    return cid


def invoice(
    engine: Engine,
    contact_id: str,
    lines: list[tuple[str, str] | tuple[str, str, str | None]],
    *,
    tenant_id: str = TENANT,
    type: str = "ACCREC",  # noqa: A002 - Xero's field name
    status: str = "AUTHORISED",
    on: date = date(2026, 10, 15),
    rate: str = "1",
    currency: str = "NZD",
    tax_rate: str = "15",
    kind: str = "invoice",
) -> str:
    """An invoice, bill or credit note; lines are (account code, ex-tax amount[, option id])."""
    doc_id = new_id()
    pct = Decimal(tax_rate) / 100
    line_rows, sub, tax = [], Decimal(0), Decimal(0)
    for pos, line in enumerate(lines):
        code, amount = line[0], Decimal(line[1])
        option = line[2] if len(line) > 2 else None
        t = (amount * pct).quantize(Decimal("0.01"))
        sub, tax = sub + amount, tax + t
        line_rows.append(
            DocumentLine(
                tenant_id=tenant_id, line_item_id=new_id(), document_kind=kind,
                document_id=doc_id, position=pos, description=f"line {pos}",
                quantity=Decimal(1), unit_amount=amount, account_code=code,
                tax_amount=t, line_amount=amount, tracking_option_id_1=option,
            )
        )  # fmt: skip
    common = dict(
        tenant_id=tenant_id, type=type, contact_id=contact_id, date=on, status=status,
        sub_total=sub, total_tax=tax, total=sub + tax, currency_code=currency,
        currency_rate=Decimal(rate), updated_utc=datetime.now(UTC),
    )  # fmt: skip
    with session_scope(engine) as s:
        if kind == "credit_note":
            s.add(CreditNote(credit_note_id=doc_id, **common))
        else:
            s.add(
                Invoice(
                    invoice_id=doc_id, invoice_number=f"INV-{next(_seq):05d}",
                    amount_due=sub + tax, due_date=on, **common,
                )
            )  # fmt: skip
        s.add_all(line_rows)
    return doc_id

"""Builders for profitability tests: accounts, clients and mappings, and documents of every
kind (invoice, bill, credit note, expense-claim receipt) with exact line amounts and tax."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import Engine

from tests.support.factories import TENANT, contact, organisation
from xeroflow_core.db import session_scope
from xeroflow_core.models import (
    Account,
    Client,
    ClientContactLink,
    ClientSupplier,
    ClientTrackingOption,
    CreditNote,
    DocumentLine,
    ExpenseClaim,
    Invoice,
    Receipt,
    TrackingCategory,
    TrackingOption,
)

__all__ = ["TENANT", "contact", "organisation"]

ACCOUNTS = [
    ("200", "Sales", "REVENUE"),
    ("260", "Other Revenue", "OTHERINCOME"),
    ("310", "Cost of Goods Sold", "DIRECTCOSTS"),
    ("320", "Subcontractors", "DIRECTCOSTS"),
    ("429", "General Expenses", "OVERHEADS"),
]


def new_id() -> str:
    return str(uuid.uuid4())


def accounts(engine: Engine, tenant_id: str = TENANT) -> None:
    with session_scope(engine) as s:
        for code, name, typ in ACCOUNTS:
            s.add(Account(tenant_id=tenant_id, account_id=new_id(), code=code, name=name, type=typ))


def client(engine: Engine, name: str) -> int:
    with session_scope(engine) as s:
        c = Client(name=name)
        s.add(c)
        s.flush()
        return int(c.id)


def link(engine: Engine, client_id: int, contact_id: str, tenant_id: str = TENANT) -> None:
    with session_scope(engine) as s:
        s.add(ClientContactLink(tenant_id=tenant_id, contact_id=contact_id, client_id=client_id))


def option(engine: Engine, name: str, client_id: int | None, tenant_id: str = TENANT) -> str:
    oid = new_id()
    with session_scope(engine) as s:
        cat = s.get(TrackingCategory, (tenant_id, "cat-client"))
        if cat is None:
            s.add(
                TrackingCategory(
                    tenant_id=tenant_id, tracking_category_id="cat-client", name="Client"
                )
            )
        s.add(
            TrackingOption(
                tenant_id=tenant_id,
                tracking_option_id=oid,
                tracking_category_id="cat-client",
                name=name,
            )
        )
        if client_id is not None:
            s.add(
                ClientTrackingOption(
                    tenant_id=tenant_id, tracking_option_id=oid, client_id=client_id
                )
            )
    return oid


def supplier(engine: Engine, client_id: int, contact_id: str, tenant_id: str = TENANT) -> None:
    with session_scope(engine) as s:
        s.add(ClientSupplier(tenant_id=tenant_id, contact_id=contact_id, client_id=client_id))


def doc(
    engine: Engine,
    type_: str,
    contact_id: str,
    lines: list[tuple],
    *,
    status: str = "AUTHORISED",
    on: date = date(2026, 10, 15),
    lat: str = "Exclusive",
    rate: str = "1",
    currency: str = "NZD",
    tenant_id: str = TENANT,
    number: str = "",
) -> str:
    """A document; lines are (account code, line amount, tax amount[, option 1[, option 2]])."""
    did = new_id()
    kind = "credit_note" if type_.endswith("CREDIT") else "invoice"
    rows, sub, tax = [], Decimal(0), Decimal(0)
    for pos, ln in enumerate(lines):
        code, amount, t = ln[0], Decimal(ln[1]), Decimal(ln[2])
        o1 = ln[3] if len(ln) > 3 else None
        o2 = ln[4] if len(ln) > 4 else None
        sub, tax = sub + amount, tax + t
        rows.append(
            DocumentLine(
                tenant_id=tenant_id, line_item_id=new_id(), document_kind=kind,
                document_id=did, position=pos, description=f"{type_} line {pos}",
                unit_amount=amount, account_code=code, tax_amount=t, line_amount=amount,
                tracking_option_id_1=o1, tracking_option_id_2=o2,
            )
        )  # fmt: skip
    if lat == "Inclusive":
        sub_total, total = sub - tax, sub
    else:
        sub_total, total = sub, sub + tax
    common = dict(
        tenant_id=tenant_id, type=type_, contact_id=contact_id, date=on, status=status,
        line_amount_types=lat, sub_total=sub_total, total_tax=tax, total=total,
        currency_code=currency, currency_rate=Decimal(rate), updated_utc=datetime.now(UTC),
    )  # fmt: skip
    with session_scope(engine) as s:
        if kind == "credit_note":
            s.add(CreditNote(credit_note_id=did, credit_note_number=number or did[:8], **common))
        else:
            s.add(Invoice(invoice_id=did, invoice_number=number or did[:8], **common))
        s.add_all(rows)
    return did


def receipt(
    engine: Engine,
    contact_id: str,
    lines: list[tuple],
    *,
    claim_status: str = "AUTHORISED",
    status: str = "AUTHORISED",
    on: date = date(2026, 10, 15),
    lat: str = "Inclusive",
    tenant_id: str = TENANT,
) -> str:
    """An expense claim with one receipt; lines as in `doc`."""
    claim, rid = new_id(), new_id()
    rows, sub, tax = [], Decimal(0), Decimal(0)
    for pos, ln in enumerate(lines):
        code, amount, t = ln[0], Decimal(ln[1]), Decimal(ln[2])
        o1 = ln[3] if len(ln) > 3 else None
        sub, tax = sub + amount, tax + t
        rows.append(
            DocumentLine(
                tenant_id=tenant_id, line_item_id=new_id(), document_kind="receipt",
                document_id=rid, position=pos, unit_amount=amount, account_code=code,
                tax_amount=t, line_amount=amount, tracking_option_id_1=o1,
            )
        )  # fmt: skip
    with session_scope(engine) as s:
        s.add(
            ExpenseClaim(
                tenant_id=tenant_id, expense_claim_id=claim, status=claim_status,
                total=sub, reporting_date=on, updated_utc=datetime.now(UTC),
            )
        )  # fmt: skip
        s.add(
            Receipt(
                tenant_id=tenant_id, receipt_id=rid, expense_claim_id=claim,
                receipt_number=f"R-{rid[:4]}", contact_id=contact_id, date=on, status=status,
                line_amount_types=lat, sub_total=sub - tax if lat == "Inclusive" else sub,
                total_tax=tax, total=sub if lat == "Inclusive" else sub + tax,
                updated_utc=datetime.now(UTC),
            )
        )  # fmt: skip
        s.add_all(rows)
    return rid

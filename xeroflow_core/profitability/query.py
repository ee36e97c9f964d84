"""The SQL behind the figures: every counted document line, with the rule that attributes it.
What counts (statuses, cost accounts, the sign of credit notes) is ledger.py's.

Five sources (sales invoices, sales credit notes, bills, purchase credit notes, expense-claim
receipts) each give, per line: its signed ex-tax amount in the document's currency, the
document's CurrencyRate, the client it belongs to and why. `facts()` groups each source in SQL
by (organisation, category, client, month, account) and unions the groups; foreign-currency
lines stay one group each, because Xero converts (and rounds to the cent) line by line.
`lines()` returns the same rows ungrouped, for drill-down.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pandas as pd
from sqlalchemy import (
    Engine,
    and_,
    case,
    func,
    literal,
    null,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement, Select
from sqlalchemy.sql.elements import BindParameter, Null

from xeroflow_core.ledger import (
    BILL,
    CREDIT_NOTE_SIGN,
    INVOICE_SIGN,
    POSTED,
    PURCHASE_CREDIT_NOTE,
    RECEIPT_POSTED,
    SALES_CREDIT_NOTE,
    SALES_INVOICE,
    on_cost_account,
)
from xeroflow_core.models import (
    ClientContactLink,
    ClientSupplier,
    ClientTrackingOption,
    CreditNote,
    DocumentLine,
    ExpenseClaim,
    Invoice,
    Organisation,
    Receipt,
)
from xeroflow_core.models.types import Money, Rate
from xeroflow_core.money import to_base  # the one conversion (money.py); query.to_base

ONE = Decimal(1)

# the rule that put a line where it is (shown beside every line on the page)
RULE_CONTACT = "linked contact"
RULE_TRACKING = "tracking option"
RULE_SUPPLIER = "supplier mapped"
RULE_UNMATCHED = "unmatched revenue"
RULE_UNATTRIBUTED = "unattributed"


@dataclass
class Source:
    """One kind of document line: its named column expressions and how to reach them."""

    cols: dict[str, ColumnElement]
    apply: Callable[[Select], Select]  # adds the FROM, joins and WHERE to a select


def _net(line_amount_types: ColumnElement, sign: int) -> ColumnElement:
    """A line's signed ex-tax amount: LineAmount, or LineAmount - TaxAmount on Inclusive
    documents; negative for credit notes."""
    net = case(
        (line_amount_types == "Inclusive", DocumentLine.line_amount - DocumentLine.tax_amount),
        else_=DocumentLine.line_amount,
    )
    return type_coerce(net if sign > 0 else -net, Money())


def _month(col: ColumnElement, dialect: str) -> ColumnElement:
    if dialect == "postgresql":
        return func.to_char(col, "YYYY-MM")
    return func.substr(col, 1, 7)


def _where(model, start: date, end: date, tenants: tuple[str, ...]) -> list:  # noqa: ANN001
    # the tenant condition lets the (tenant, type, date) index drive the join
    return [model.tenant_id.in_(list(tenants)), model.date >= start, model.date <= end]


def _doc_cols(model, kind: str, sign: int, id_col, number) -> dict[str, ColumnElement]:  # noqa: ANN001
    return {
        "tenant_id": model.tenant_id,
        "doc_kind": literal(kind),
        "doc_type": model.type if model is not Receipt else literal("RECEIPT"),
        "document_id": id_col,
        "number": number,
        "date": model.date,
        "contact_id": model.contact_id,
        "line_item_id": DocumentLine.line_item_id,
        "description": DocumentLine.description,
        "account_code": DocumentLine.account_code,
        "net": _net(model.line_amount_types, sign),
        "currency_code": model.currency_code if model is not Receipt else literal(""),
        "currency_rate": model.currency_rate if model is not Receipt else literal(ONE, Rate()),
    }


def _line_join(model, kind: str, id_col):  # noqa: ANN001, ANN202
    return DocumentLine, and_(
        DocumentLine.tenant_id == model.tenant_id,
        DocumentLine.document_kind == kind,
        DocumentLine.document_id == id_col,
    )


def _sales(model, doc_type: str, sign: int, start, end, tenants, attribute: bool) -> Source:  # noqa: ANN001
    """Sales invoices (+) or sales credit notes (-): attributed by the linked contact."""
    is_inv = model is Invoice
    kind = "invoice" if is_inv else "credit_note"
    id_col = model.invoice_id if is_inv else model.credit_note_id
    number = model.invoice_number if is_inv else model.credit_note_number
    cols = _doc_cols(model, kind, sign, id_col, number)
    link = aliased(ClientContactLink)
    cols["category"] = literal("revenue")
    if attribute:
        cols["client_id"] = link.client_id
        cols["rule"] = case((link.client_id.is_(None), RULE_UNMATCHED), else_=RULE_CONTACT)
        cols["rule_key"] = case((link.client_id.is_(None), null()), else_=model.contact_id)
    else:
        cols["client_id"] = null()

    def apply(q: Select) -> Select:
        q = q.select_from(model).join(*_line_join(model, kind, id_col))
        if attribute:
            q = q.outerjoin(
                link, and_(link.tenant_id == model.tenant_id, link.contact_id == model.contact_id)
            )
        return q.where(
            model.type == doc_type, model.status.in_(POSTED), *_where(model, start, end, tenants)
        )

    return Source(cols, apply)


def _attribute(cols: dict, model, q_joins: list) -> None:  # noqa: ANN001
    """Rule 1: a tracking option mapped to a client (option 1, then option 2); rule 2: the
    supplier mapped to a client; else unattributed."""
    t1, t2, sup = (
        aliased(ClientTrackingOption),
        aliased(ClientTrackingOption),
        aliased(ClientSupplier),
    )
    line = DocumentLine
    q_joins += [
        (t1, and_(t1.tenant_id == model.tenant_id, t1.tracking_option_id == line.tracking_option_id_1)),  # noqa: E501
        (t2, and_(t2.tenant_id == model.tenant_id, t2.tracking_option_id == line.tracking_option_id_2)),  # noqa: E501
        (sup, and_(sup.tenant_id == model.tenant_id, sup.contact_id == model.contact_id)),
    ]  # fmt: skip
    cols["client_id"] = func.coalesce(t1.client_id, t2.client_id, sup.client_id)
    cols["rule"] = case(
        (t1.client_id.is_not(None), RULE_TRACKING),
        (t2.client_id.is_not(None), RULE_TRACKING),
        (sup.client_id.is_not(None), RULE_SUPPLIER),
        else_=RULE_UNATTRIBUTED,
    )
    cols["rule_key"] = case(
        (t1.client_id.is_not(None), line.tracking_option_id_1),
        (t2.client_id.is_not(None), line.tracking_option_id_2),
        (sup.client_id.is_not(None), model.contact_id),
        else_=null(),
    )


def _costs(model, doc_type: str, sign: int, start, end, tenants, attribute: bool) -> Source:  # noqa: ANN001
    """Bill lines (+) or purchase credit-note lines (-) on direct-cost accounts."""
    is_inv = model is Invoice
    kind = "invoice" if is_inv else "credit_note"
    id_col = model.invoice_id if is_inv else model.credit_note_id
    number = model.invoice_number if is_inv else model.credit_note_number
    cols = _doc_cols(model, kind, sign, id_col, number)
    cols["category"] = literal("cost")
    outer: list = []
    if attribute:
        _attribute(cols, model, outer)
    else:
        cols["client_id"] = null()

    def apply(q: Select) -> Select:
        q = q.select_from(model).join(*_line_join(model, kind, id_col))
        for target, on in outer:
            q = q.outerjoin(target, on)
        return q.where(
            model.type == doc_type,
            model.status.in_(POSTED),
            on_cost_account(),
            *_where(model, start, end, tenants),
        )

    return Source(cols, apply)


def _receipts(start, end, tenants, attribute: bool) -> Source:  # noqa: ANN001
    """Expense-claim receipt lines on direct-cost accounts: AUTHORISED receipts of claims
    that are AUTHORISED or PAID (a submitted claim has not reached the ledger)."""
    cols = _doc_cols(Receipt, "receipt", 1, Receipt.receipt_id, Receipt.receipt_number)
    cols["category"] = literal("cost")
    outer: list = []
    if attribute:
        _attribute(cols, Receipt, outer)
    else:
        cols["client_id"] = null()

    def apply(q: Select) -> Select:
        q = (
            q.select_from(Receipt)
            .join(
                ExpenseClaim,
                and_(
                    ExpenseClaim.tenant_id == Receipt.tenant_id,
                    ExpenseClaim.expense_claim_id == Receipt.expense_claim_id,
                ),
            )
            .join(*_line_join(Receipt, "receipt", Receipt.receipt_id))
        )
        for target, on in outer:
            q = q.outerjoin(target, on)
        return q.where(
            ExpenseClaim.status.in_(POSTED),
            Receipt.status.in_(RECEIPT_POSTED),
            on_cost_account(),
            *_where(Receipt, start, end, tenants),
        )

    return Source(cols, apply)


def sources(start: date, end: date, tenants: tuple[str, ...], attribute: bool = True) -> list:
    """Every kind of line that counts for [start, end] (dates inclusive)."""
    a = (start, end, tenants, attribute)
    return [
        _sales(Invoice, SALES_INVOICE, INVOICE_SIGN, *a),
        _sales(CreditNote, SALES_CREDIT_NOTE, CREDIT_NOTE_SIGN, *a),
        _costs(Invoice, BILL, INVOICE_SIGN, *a),
        _costs(CreditNote, PURCHASE_CREDIT_NOTE, CREDIT_NOTE_SIGN, *a),
        _receipts(*a),
    ]


def all_tenants(engine: Engine) -> tuple[str, ...]:
    with engine.connect() as conn:
        return tuple(conn.execute(select(Organisation.tenant_id)).scalars())


FACT_COLUMNS = ["tenant_id", "category", "client_id", "month", "account_code", "amount"]


def facts(
    engine: Engine,
    start: date,
    end: date,
    tenants: Iterable[str] | None = None,
    *,
    attribute: bool = True,
) -> pd.DataFrame:
    """Signed base-currency amounts grouped by (tenant, category, client, month, account), summed
    exactly in SQL: revenue and costs positive, credit notes negative. `attribute=False` skips
    the client mappings (organisation totals only, client_id empty)."""
    tenants = tuple(tenants) if tenants is not None else all_tenants(engine)
    if not tenants:
        return _typed(pd.DataFrame(columns=FACT_COLUMNS))
    parts = []
    for src in sources(start, end, tenants, attribute):
        c = src.cols
        foreign_line = case((c["currency_rate"] == ONE, null()), else_=c["line_item_id"])
        keys = [
            c["tenant_id"].label("tenant_id"),
            c["category"].label("category"),
            c["client_id"].label("client_id"),
            _month(c["date"], engine.dialect.name).label("month"),
            c["account_code"].label("account_code"),
            c["currency_rate"].label("currency_rate"),
            foreign_line.label("foreign_line"),
        ]
        total = type_coerce(func.sum(c["net"]), Money()).label("net")
        # PostgreSQL refuses constants in GROUP BY: group by the keys that are columns
        grouped = [k for k in keys if not isinstance(k.element, (BindParameter, Null))]
        parts.append(src.apply(select(*keys, total)).group_by(*grouped))
    with engine.connect() as conn:
        rows = conn.execute(union_all(*parts)).all()
    # foreign lines were kept apart only to be rounded one by one; merge them back
    merged: dict[tuple, Decimal] = {}
    for t, cat, cid, mon, acct, rate, _f, net in rows:
        key = (t, cat, cid, mon, acct)
        merged[key] = merged.get(key, Decimal(0)) + to_base(net, rate)
    return _typed(pd.DataFrame([(*k, v) for k, v in merged.items()], columns=FACT_COLUMNS))


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    df["client_id"] = df["client_id"].astype("Int64")
    return df


LINE_COLUMNS = [
    "tenant_id",
    "category",
    "doc_kind",
    "doc_type",
    "document_id",
    "number",
    "date",
    "contact_id",
    "line_item_id",
    "description",
    "account_code",
    "currency_code",
    "currency_rate",
    "net",
    "amount",
    "client_id",
    "rule",
    "rule_key",
]


def lines(
    engine: Engine,
    start: date,
    end: date,
    tenants: Iterable[str] | None = None,
    *,
    client_id: int | None = None,
    rule: str | None = None,
    account_code: str | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """The document lines behind a figure (a client's, or the unattributed/unmatched rows when
    `rule` says so), newest first, each with its base amount and attribution rule."""
    tenants = tuple(tenants) if tenants is not None else all_tenants(engine)
    if not tenants:
        return _typed(pd.DataFrame(columns=LINE_COLUMNS))
    names = [n for n in LINE_COLUMNS if n != "amount"]
    parts = [
        src.apply(select(*[src.cols[n].label(n) for n in names]))
        for src in sources(start, end, tenants)
    ]
    u = union_all(*parts).subquery("counted")
    q = select(u).order_by(u.c.date.desc(), u.c.number, u.c.line_item_id)
    if client_id is not None:
        q = q.where(u.c.client_id == client_id)
    if rule is not None:
        q = q.where(u.c.rule == rule)
    if account_code is not None:
        q = q.where(u.c.account_code == account_code)
    if limit:
        q = q.limit(limit)
    with engine.connect() as conn:
        rows = conn.execute(q).mappings().all()
    data = [dict(r, amount=to_base(r["net"], r["currency_rate"])) for r in rows]
    return _typed(pd.DataFrame(data, columns=LINE_COLUMNS))

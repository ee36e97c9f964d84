"""The SQL behind the figures: every counted document line, with the rule that attributes it.

One UNION ALL of five sources (sales invoices, sales credit notes, bills, purchase credit notes,
expense-claim receipts) gives, per line: its ex-tax amount in the document's currency, the
document's CurrencyRate, the client it belongs to and why. `facts()` groups that in SQL by
(organisation, category, client, rule, month, account); foreign-currency lines stay one group
each, because Xero converts (and rounds to the cent) line by line. `lines()` returns the same
rows ungrouped for drill-down.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd
from sqlalchemy import Engine, and_, case, func, literal, null, select, type_coerce, union_all
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement, Select

from xeroflow_core.models import (
    Account,
    ClientContactLink,
    ClientSupplier,
    ClientTrackingOption,
    CreditNote,
    DocumentLine,
    ExpenseClaim,
    Invoice,
    Receipt,
)
from xeroflow_core.models.types import Money, Rate
from xeroflow_core.money import round_money

POSTED = ("AUTHORISED", "PAID")
COST_ACCOUNT_TYPES = ("DIRECTCOSTS",)
ONE = Decimal(1)

# the rule that put a line where it is (shown beside every line on the page)
RULE_CONTACT = "linked contact"
RULE_TRACKING = "tracking option"
RULE_SUPPLIER = "supplier mapped"
RULE_UNMATCHED = "unmatched revenue"
RULE_UNATTRIBUTED = "unattributed"


def _net(line_amount_types: ColumnElement) -> ColumnElement:
    """A line's ex-tax amount: LineAmount, or LineAmount - TaxAmount on Inclusive documents."""
    return type_coerce(
        case(
            (
                line_amount_types == "Inclusive",
                DocumentLine.line_amount - DocumentLine.tax_amount,
            ),
            else_=DocumentLine.line_amount,
        ),
        Money(),
    )


def _month(col: ColumnElement, dialect: str) -> ColumnElement:
    if dialect == "postgresql":
        return func.to_char(col, "YYYY-MM")
    return func.substr(col, 1, 7)


def _common(doc_date: ColumnElement, tenant_col: ColumnElement, start: date, end: date, tenants):
    cond = [doc_date >= start, doc_date <= end]
    if tenants is not None:
        cond.append(tenant_col.in_(list(tenants)))
    return cond


def _sales(model, kind: str, doc_type: str, sign: int, start, end, tenants) -> Select:
    """Sales invoices (+) or sales credit notes (-): attributed by the linked contact."""
    id_col = model.invoice_id if model is Invoice else model.credit_note_id
    number = model.invoice_number if model is Invoice else model.credit_note_number
    link = ClientContactLink
    return (
        select(
            model.tenant_id.label("tenant_id"),
            literal("revenue").label("category"),
            literal(sign).label("sign"),
            literal(kind).label("doc_kind"),
            model.type.label("doc_type"),
            id_col.label("document_id"),
            number.label("number"),
            model.date.label("date"),
            model.contact_id.label("contact_id"),
            DocumentLine.line_item_id.label("line_item_id"),
            DocumentLine.description.label("description"),
            DocumentLine.account_code.label("account_code"),
            _net(model.line_amount_types).label("net"),
            model.currency_code.label("currency_code"),
            model.currency_rate.label("currency_rate"),
            link.client_id.label("client_id"),
            case((link.client_id.is_(None), RULE_UNMATCHED), else_=RULE_CONTACT).label("rule"),
            case((link.client_id.is_(None), null()), else_=model.contact_id).label("rule_key"),
        )
        .join(
            DocumentLine,
            and_(
                DocumentLine.tenant_id == model.tenant_id,
                DocumentLine.document_kind == kind,
                DocumentLine.document_id == id_col,
            ),
        )
        .outerjoin(
            link, and_(link.tenant_id == model.tenant_id, link.contact_id == model.contact_id)
        )
        .where(
            model.type == doc_type,
            model.status.in_(POSTED),
            *_common(model.date, model.tenant_id, start, end, tenants),
        )
    )


def _attribution(tenant_col, contact_col):
    """Rule 1: a tracking option mapped to a client (option 1, then 2); rule 2: the supplier
    mapped to a client; else unattributed. Returns (joins, client_id, rule, rule_key)."""
    t1, t2, sup = (
        aliased(ClientTrackingOption),
        aliased(ClientTrackingOption),
        aliased(ClientSupplier),
    )
    joins = [
        (
            t1,
            and_(
                t1.tenant_id == tenant_col,
                t1.tracking_option_id == DocumentLine.tracking_option_id_1,
            ),
        ),
        (
            t2,
            and_(
                t2.tenant_id == tenant_col,
                t2.tracking_option_id == DocumentLine.tracking_option_id_2,
            ),
        ),
        (sup, and_(sup.tenant_id == tenant_col, sup.contact_id == contact_col)),
    ]
    client_id = func.coalesce(t1.client_id, t2.client_id, sup.client_id)
    rule = case(
        (t1.client_id.is_not(None), RULE_TRACKING),
        (t2.client_id.is_not(None), RULE_TRACKING),
        (sup.client_id.is_not(None), RULE_SUPPLIER),
        else_=RULE_UNATTRIBUTED,
    )
    rule_key = case(
        (t1.client_id.is_not(None), DocumentLine.tracking_option_id_1),
        (t2.client_id.is_not(None), DocumentLine.tracking_option_id_2),
        (sup.client_id.is_not(None), contact_col),
        else_=null(),
    )
    return joins, client_id, rule, rule_key


def _costs(model, kind: str, doc_type: str, sign: int, start, end, tenants) -> Select:
    """Bill lines (+) or purchase credit-note lines (-) on direct-cost accounts."""
    id_col = model.invoice_id if model is Invoice else model.credit_note_id
    number = model.invoice_number if model is Invoice else model.credit_note_number
    joins, client_id, rule, rule_key = _attribution(model.tenant_id, model.contact_id)
    q = (
        select(
            model.tenant_id.label("tenant_id"),
            literal("cost").label("category"),
            literal(sign).label("sign"),
            literal(kind).label("doc_kind"),
            model.type.label("doc_type"),
            id_col.label("document_id"),
            number.label("number"),
            model.date.label("date"),
            model.contact_id.label("contact_id"),
            DocumentLine.line_item_id.label("line_item_id"),
            DocumentLine.description.label("description"),
            DocumentLine.account_code.label("account_code"),
            _net(model.line_amount_types).label("net"),
            model.currency_code.label("currency_code"),
            model.currency_rate.label("currency_rate"),
            client_id.label("client_id"),
            rule.label("rule"),
            rule_key.label("rule_key"),
        )
        .join(
            DocumentLine,
            and_(
                DocumentLine.tenant_id == model.tenant_id,
                DocumentLine.document_kind == kind,
                DocumentLine.document_id == id_col,
            ),
        )
        .join(
            Account,
            and_(
                Account.tenant_id == model.tenant_id,
                Account.code == DocumentLine.account_code,
                Account.type.in_(COST_ACCOUNT_TYPES),
            ),
        )
    )
    for target, on in joins:
        q = q.outerjoin(target, on)
    return q.where(
        model.type == doc_type,
        model.status.in_(POSTED),
        *_common(model.date, model.tenant_id, start, end, tenants),
    )


def _receipts(start, end, tenants) -> Select:
    """Expense-claim receipt lines on direct-cost accounts: AUTHORISED receipts of claims
    that are AUTHORISED or PAID (a submitted claim has not reached the ledger)."""
    joins, client_id, rule, rule_key = _attribution(Receipt.tenant_id, Receipt.contact_id)
    q = (
        select(
            Receipt.tenant_id.label("tenant_id"),
            literal("cost").label("category"),
            literal(1).label("sign"),
            literal("receipt").label("doc_kind"),
            literal("RECEIPT").label("doc_type"),
            Receipt.receipt_id.label("document_id"),
            Receipt.receipt_number.label("number"),
            Receipt.date.label("date"),
            Receipt.contact_id.label("contact_id"),
            DocumentLine.line_item_id.label("line_item_id"),
            DocumentLine.description.label("description"),
            DocumentLine.account_code.label("account_code"),
            _net(Receipt.line_amount_types).label("net"),
            literal("").label("currency_code"),
            literal(ONE, Rate()).label("currency_rate"),
            client_id.label("client_id"),
            rule.label("rule"),
            rule_key.label("rule_key"),
        )
        .join(
            ExpenseClaim,
            and_(
                ExpenseClaim.tenant_id == Receipt.tenant_id,
                ExpenseClaim.expense_claim_id == Receipt.expense_claim_id,
            ),
        )
        .join(
            DocumentLine,
            and_(
                DocumentLine.tenant_id == Receipt.tenant_id,
                DocumentLine.document_kind == "receipt",
                DocumentLine.document_id == Receipt.receipt_id,
            ),
        )
        .join(
            Account,
            and_(
                Account.tenant_id == Receipt.tenant_id,
                Account.code == DocumentLine.account_code,
                Account.type.in_(COST_ACCOUNT_TYPES),
            ),
        )
    )
    for target, on in joins:
        q = q.outerjoin(target, on)
    return q.where(
        ExpenseClaim.status.in_(POSTED),
        Receipt.status == "AUTHORISED",
        *_common(Receipt.date, Receipt.tenant_id, start, end, tenants),
    )


def counted_lines(start: date, end: date, tenants=None):  # noqa: ANN201 - a SQL subquery
    """Every line that counts for [start, end], as one subquery."""
    return union_all(
        _sales(Invoice, "invoice", "ACCREC", 1, start, end, tenants),
        _sales(CreditNote, "credit_note", "ACCRECCREDIT", -1, start, end, tenants),
        _costs(Invoice, "invoice", "ACCPAY", 1, start, end, tenants),
        _costs(CreditNote, "credit_note", "ACCPAYCREDIT", -1, start, end, tenants),
        _receipts(start, end, tenants),
    ).subquery("counted")


def _dsum(values: pd.Series) -> Decimal:
    """An exact Decimal sum (pandas would otherwise be free to go through floats)."""
    return sum(values, Decimal(0))


def _to_base(net: Decimal, rate: Decimal | None) -> Decimal:
    """Xero converts each foreign line to base currency and rounds it to the cent."""
    if rate is None or rate == ONE:
        return net
    return round_money(net / rate)


FACT_COLUMNS = [
    "tenant_id",
    "category",
    "client_id",
    "rule",
    "rule_key",
    "month",
    "account_code",
    "amount",
]


def facts(engine: Engine, start: date, end: date, tenants=None) -> pd.DataFrame:
    """Signed base-currency amounts grouped by (tenant, category, client, rule, rule key, month,
    account), summed exactly in SQL. Costs are positive, credit notes negative."""
    c = counted_lines(start, end, tenants)
    month = _month(c.c.date, engine.dialect.name)
    foreign_line = case((c.c.currency_rate == ONE, null()), else_=c.c.line_item_id)
    keys = [
        c.c.tenant_id,
        c.c.category,
        c.c.client_id,
        c.c.rule,
        c.c.rule_key,
        month.label("month"),
        c.c.account_code,
        c.c.sign,
        c.c.currency_rate,
        foreign_line.label("foreign_line"),
    ]
    q = select(*keys, type_coerce(func.sum(c.c.net), Money()).label("net")).group_by(
        *keys[:5], month, c.c.account_code, c.c.sign, c.c.currency_rate, foreign_line
    )
    with engine.connect() as conn:
        rows = conn.execute(q).all()
    out = [
        (t, cat, cid, rule, key, mon, acct, sign * _to_base(net, rate))
        for t, cat, cid, rule, key, mon, acct, sign, rate, _f, net in rows
    ]
    df = pd.DataFrame(out, columns=FACT_COLUMNS)
    df["client_id"] = df["client_id"].astype("Int64")
    if df.empty:
        return df
    # foreign lines were kept apart only to be rounded one by one; merge them back
    keys = FACT_COLUMNS[:-1]
    return df.groupby(keys, dropna=False, as_index=False, sort=False)["amount"].agg(_dsum)


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
    tenants=None,
    *,
    client_id: int | None = None,
    rule: str | None = None,
    account_code: str | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """The document lines behind a figure (a client's, or the unattributed/unmatched rows when
    `rule` says so), newest first, with their base amount and attribution rule."""
    c = counted_lines(start, end, tenants)
    q = select(c).order_by(c.c.date.desc(), c.c.number, c.c.line_item_id)
    if client_id is not None:
        q = q.where(c.c.client_id == client_id)
    if rule is not None:
        q = q.where(c.c.rule == rule)
    if account_code is not None:
        q = q.where(c.c.account_code == account_code)
    if limit:
        q = q.limit(limit)
    with engine.connect() as conn:
        rows = conn.execute(q).mappings().all()
    data = []
    for r in rows:
        d = dict(r)
        d["amount"] = d["sign"] * _to_base(d["net"], d["currency_rate"])
        d["net"] = d["sign"] * d["net"]
        data.append(d)
    df = pd.DataFrame(data, columns=LINE_COLUMNS)
    df["client_id"] = df["client_id"].astype("Int64")
    return df

"""Does our client P&L tie to Xero's own? Account by account, for the revenue and direct-cost
accounts, our totals (all clients + unmatched revenue + unattributed costs) against Xero's
Profit and Loss report for the same organisation and period.

A row ties when the two agree to the cent. Where they differ, the documents that explain it are
listed: purchase documents coded to a revenue account (Xero nets them, we do not count them as
revenue), and documents changed after the report was fetched. What remains unexplained lives in
entries XeroFlow does not sync (manual journals, bank transactions), and the panel says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import pandas as pd
from sqlalchemy import Engine, and_, literal, select, union_all

from xeroflow_core import ledger
from xeroflow_core.models import Account, Contact, CreditNote, DocumentLine, Invoice, Receipt
from xeroflow_core.money import round_money
from xeroflow_core.profitability import query
from xeroflow_core.profitability.periods import Period

REVENUE_TYPES = ("REVENUE", "SALES", "OTHERINCOME")
COST_TYPES = ledger.COST_ACCOUNT_TYPES
ZERO = Decimal(0)
ROW_COLUMNS = ["code", "account", "type", "ours", "xero", "difference", "ties"]


@dataclass
class Reconciliation:
    tenant_id: str
    period: Period
    fetched_at: datetime | None
    rows: pd.DataFrame
    our_revenue: Decimal
    our_costs: Decimal
    xero_revenue: Decimal | None
    xero_costs: Decimal | None
    explanations: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def has_report(self) -> bool:
        return self.fetched_at is not None

    @property
    def ties(self) -> bool:
        """Every account agrees to the cent (and there is a report to agree with)."""
        return self.has_report and bool(self.rows["ties"].all()) if len(self.rows) else False


def _accounts(engine: Engine, tenant_id: str) -> pd.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(
            select(Account.account_id, Account.code, Account.name, Account.type).where(
                Account.tenant_id == tenant_id
            )
        ).all()
    return pd.DataFrame(rows, columns=["account_id", "code", "account", "type"])


def our_by_account(facts: pd.DataFrame, tenant_id: str) -> dict[str, dict[str, Decimal]]:
    """{account code: {"revenue": .., "cost": ..}} of one organisation's counted lines."""
    out: dict[str, dict[str, Decimal]] = {}
    f = facts[facts["tenant_id"] == tenant_id]
    for code, cat, amount in zip(f["account_code"], f["category"], f["amount"], strict=True):
        d = out.setdefault(code, {"revenue": ZERO, "cost": ZERO})
        d[cat] += amount
    return out


def reconcile(
    engine: Engine,
    tenant_id: str,
    period: Period,
    facts: pd.DataFrame,
    report_lines: list | None,
    fetched_at: datetime | None,
) -> Reconciliation:
    """Compare our per-account figures (from `facts`, attributed or not: the sums are the same)
    with Xero's report lines (`reports.parse_report`), cent by cent."""
    accounts = _accounts(engine, tenant_id)
    by_code = {r.code: r for r in accounts.itertuples() if r.code}
    by_id = {r.account_id: r for r in accounts.itertuples()}
    ours = our_by_account(facts, tenant_id)
    xero: dict[str, Decimal] = {}
    notes: list[str] = []
    for line in report_lines or []:
        acc = by_id.get(line.account_id)
        if acc is None:
            notes.append(
                f"Xero's report has an account XeroFlow has not synced yet ({line.label}); "
                "a sync of Accounts brings it in."
            )
            continue
        if acc.type in REVENUE_TYPES or acc.type in COST_TYPES:
            xero[acc.code] = xero.get(acc.code, ZERO) + line.value
    rows = []
    for code in sorted(set(ours) | set(xero)):
        acc = by_code.get(code)
        typ = acc.type if acc is not None else "?"
        mine = ours.get(code, {"revenue": ZERO, "cost": ZERO})
        # on a cost-of-sales account Xero nets any sale coded there
        value = mine["cost"] - mine["revenue"] if typ in COST_TYPES else mine["revenue"]
        theirs = xero.get(code, ZERO) if report_lines is not None else None
        if typ not in REVENUE_TYPES and typ not in COST_TYPES:
            notes.append(
                f"Sales lines coded to {code} ({typ}) count as revenue here; Xero reports that "
                "account outside income and cost of sales."
            )
            theirs = None
        diff = None if theirs is None else round_money(value) - theirs
        rows.append(
            {
                "code": code,
                "account": acc.account if acc is not None else code,
                "type": typ,
                "ours": value,
                "xero": theirs,
                "difference": diff,
                "ties": diff is not None and diff == 0,
            }
        )
    table = pd.DataFrame(rows, columns=ROW_COLUMNS)
    f = facts[facts["tenant_id"] == tenant_id]
    our_rev = sum(
        (a for a, c in zip(f["amount"], f["category"], strict=True) if c == "revenue"), ZERO
    )
    our_cost = sum(
        (a for a, c in zip(f["amount"], f["category"], strict=True) if c == "cost"), ZERO
    )
    has = report_lines is not None
    x_rev = sum((v for c, v in xero.items() if accounts_type(by_code, c) in REVENUE_TYPES), ZERO)
    x_cost = sum((v for c, v in xero.items() if accounts_type(by_code, c) in COST_TYPES), ZERO)
    off = [r["code"] for r in rows if r["xero"] is not None and not r["ties"]]
    explanations = explain(engine, tenant_id, period, off, fetched_at) if has and off else _empty()
    if has and off and explanations.empty:
        notes.append(
            "No synced document explains the difference: it sits in entries XeroFlow does not "
            "sync (manual journals, spend/receive money, payroll), or in changes made in Xero "
            "since the last sync."
        )
    return Reconciliation(
        tenant_id=tenant_id,
        period=period,
        fetched_at=fetched_at,
        rows=table,
        our_revenue=our_rev,
        our_costs=our_cost,
        xero_revenue=x_rev if has else None,
        xero_costs=x_cost if has else None,
        explanations=explanations,
        notes=list(dict.fromkeys(notes)),
    )


def accounts_type(by_code: dict, code: str) -> str:
    acc = by_code.get(code)
    return acc.type if acc is not None else "?"


EXPLAIN_COLUMNS = ["code", "number", "type", "date", "status", "contact", "amount", "reason"]


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=EXPLAIN_COLUMNS)


def _docs_on(codes: list[str], tenant_id: str, start: date, end: date):  # noqa: ANN202
    parts = []
    for model, kind, id_col, number in (
        (Invoice, "invoice", Invoice.invoice_id, Invoice.invoice_number),
        (CreditNote, "credit_note", CreditNote.credit_note_id, CreditNote.credit_note_number),
        (Receipt, "receipt", Receipt.receipt_id, Receipt.receipt_number),
    ):
        doc_type = model.type if model is not Receipt else literal("RECEIPT")
        rate = model.currency_rate if model is not Receipt else literal(query.ONE, query.Rate())
        parts.append(
            select(
                DocumentLine.account_code.label("code"),
                number.label("number"),
                doc_type.label("type"),
                model.date.label("date"),
                model.status.label("status"),
                model.contact_id.label("contact_id"),
                model.updated_utc.label("updated_utc"),
                model.line_amount_types.label("lat"),
                DocumentLine.line_amount.label("line_amount"),
                DocumentLine.tax_amount.label("tax_amount"),
                rate.label("rate"),
            )
            .join(
                DocumentLine,
                and_(
                    DocumentLine.tenant_id == model.tenant_id,
                    DocumentLine.document_kind == kind,
                    DocumentLine.document_id == id_col,
                ),
            )
            .where(
                model.tenant_id == tenant_id,
                model.date >= start,
                model.date <= end,
                DocumentLine.account_code.in_(codes),
            )
        )
    return union_all(*parts)


PURCHASE_TYPES = ("ACCPAY", "ACCPAYCREDIT", "RECEIPT")


def explain(
    engine: Engine,
    tenant_id: str,
    period: Period,
    codes: list[str],
    fetched_at: datetime | None,
    limit: int = 200,
) -> pd.DataFrame:
    """The documents on the differing accounts that explain a difference, each with why."""
    accounts = {r.code: r.type for r in _accounts(engine, tenant_id).itertuples()}
    with engine.connect() as conn:
        rows = conn.execute(_docs_on(codes, tenant_id, period.start, period.end)).mappings().all()
        names = dict(
            conn.execute(
                select(Contact.contact_id, Contact.name).where(
                    Contact.tenant_id == tenant_id,
                    Contact.contact_id.in_({r["contact_id"] for r in rows}),
                )
            ).all()
        )
    out = []
    for r in rows:
        net = r["line_amount"] - (r["tax_amount"] if r["lat"] == "Inclusive" else ZERO)
        amount = query.to_base(net, r["rate"])
        reason = None
        updated = r["updated_utc"]
        if fetched_at is not None and updated is not None and _aware(updated) > _aware(fetched_at):
            reason = "changed in Xero after the report was fetched"
        elif (
            ledger.is_posted(r["status"])
            and r["type"] in PURCHASE_TYPES
            and accounts.get(r["code"]) in REVENUE_TYPES
        ):
            reason = "a purchase coded to a revenue account: Xero nets it, XeroFlow does not"
        if reason:
            out.append(
                {
                    "code": r["code"],
                    "number": r["number"],
                    "type": r["type"],
                    "date": r["date"],
                    "status": r["status"],
                    "contact": names.get(r["contact_id"], r["contact_id"]),
                    "amount": amount,
                    "reason": reason,
                }
            )
        if len(out) >= limit:
            break
    return pd.DataFrame(out, columns=EXPLAIN_COLUMNS)


def _aware(when: datetime) -> datetime:
    from datetime import UTC

    return when if when.tzinfo else when.replace(tzinfo=UTC)

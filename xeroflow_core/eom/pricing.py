"""Pricing a draft the way Xero does, and refusing locally what Xero would refuse.

Line amount = quantity x unit amount at 2 places; tax per line rounded to 2 places, then summed
(money.py). Account codes and tax types are checked against the synced ledger. Also the draft's
deterministic Idempotency-Key, which changes only when its content does (or the installation).
"""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal

from sqlmodel import Session, select

from xeroflow_core.eom.billing import LineSpec
from xeroflow_core.ledger import REVENUE_ACCOUNT_TYPES
from xeroflow_core.models import Account, Installation, Organisation, TaxRate, utcnow
from xeroflow_core.models.eom import EomDraft, EomDraftLine
from xeroflow_core.money import ZERO, document_totals, line_amount, line_tax


def idempotency_key(
    installation_id: str, tenant_id: str, client_id: int, month: date, revision: int
) -> str:
    """Deterministic per (installation, organisation, client, month, content revision), at most
    128 chars. The installation is in the hash only: another database's client 1 is another
    client, and must never replay (or be refused) under our key."""
    raw = f"{installation_id}|{tenant_id}|{client_id}|{month:%Y-%m}|{revision}".encode()
    return (
        f"xeroflow-eom-{month:%Y%m}-{client_id}-r{revision}-{hashlib.sha256(raw).hexdigest()[:24]}"
    )


def existing_lines(s: Session, draft_id: int | None) -> list[EomDraftLine]:
    if draft_id is None:
        return []
    return list(
        s.exec(
            select(EomDraftLine)
            .where(EomDraftLine.draft_id == draft_id)
            .order_by(EomDraftLine.position)
        )
    )


class Ledger:
    """The synced accounts and tax rates of each organisation, read once per generation."""

    def __init__(self, session: Session) -> None:
        self.s = session
        self._accounts: dict[str, dict[str, Account]] = {}
        self._taxes: dict[str, dict[str, TaxRate]] = {}

    def account(self, tenant: str, code: str) -> Account | None:
        if not tenant or not code:
            return None
        if tenant not in self._accounts:
            rows = self.s.exec(select(Account).where(Account.tenant_id == tenant)).all()
            # an active account wins over an archived one with the same code
            self._accounts[tenant] = {
                a.code: a for a in sorted(rows, key=lambda a: a.status == "ACTIVE")
            }
        return self._accounts[tenant].get(code)

    def tax(self, tenant: str, tax_type: str) -> TaxRate | None:
        if not tenant or not tax_type:
            return None
        if tenant not in self._taxes:
            rows = self.s.exec(select(TaxRate).where(TaxRate.tenant_id == tenant)).all()
            self._taxes[tenant] = {t.tax_type: t for t in rows}
        return self._taxes[tenant].get(tax_type)

    def rate(self, tenant: str, tax_type: str) -> Decimal:
        tax = self.tax(tenant, tax_type)
        return tax.effective_rate if tax is not None else ZERO


def priced_lines(
    ledger: Ledger, tenant: str, specs: list[LineSpec], kept: list[EomDraftLine], lat: str,
    rounding: str, problems: list[str],
) -> list[EomDraftLine]:  # fmt: skip
    """Validate account codes and tax types against the synced ledger; price each line the way
    Xero does (line amount 2 places, tax per line rounded, then summed)."""
    out: list[EomDraftLine] = []
    rows = [
        EomDraftLine(
            draft_id=0, source=sp.source, billing_item_id=sp.billing_item_id, tenant_id=sp.tenant_id,
            source_line_id=sp.source_line_id, description=sp.description, quantity=sp.quantity,
            unit_amount=sp.unit_amount, account_code=sp.account_code, tax_type=sp.tax_type,
        )
        for sp in specs
    ] + kept  # fmt: skip
    for ln in rows:
        _price_line(ledger, tenant, ln, lat, rounding, problems)
        out.append(ln)
    return out


def _price_line(
    ledger: Ledger, tenant: str, ln: EomDraftLine, lat: str, rounding: str, problems: list[str]
) -> None:
    """Check one line against the ledger and price it as Xero does (amount 2 places, then the
    line's tax rounded): the one rule for generation and for a person's edit."""
    check_line(ledger, tenant, ln, problems)
    ln.line_amount = line_amount(ln.quantity, ln.unit_amount, rounding)
    ln.tax_amount = line_tax(ln.line_amount, ledger.rate(tenant, ln.tax_type), lat, rounding)


def check_line(ledger: Ledger, tenant: str, ln: EomDraftLine, problems: list[str]) -> None:
    """Refuse locally what Xero would refuse: unknown, archived or non-revenue account; unknown
    tax type or one that cannot be used on sales. Fills the tax type from the account if empty."""
    label = f"line '{ln.description[:40]}'"
    account = ledger.account(tenant, ln.account_code)
    if not ln.account_code:
        problems.append(f"{label}: no account code")
    elif account is None:
        problems.append(f"{label}: account {ln.account_code} does not exist in the organisation")
    elif account.status != "ACTIVE":
        problems.append(f"{label}: account {ln.account_code} is {account.status.lower()}")
    elif account.type not in REVENUE_ACCOUNT_TYPES:
        problems.append(
            f"{label}: account {ln.account_code} is not a revenue account ({account.type})"
        )
    if not ln.tax_type and account is not None:
        ln.tax_type = account.tax_type
    if not ln.tax_type:
        problems.append(f"{label}: no tax type")
        return
    tax = ledger.tax(tenant, ln.tax_type)
    if tax is None:
        problems.append(f"{label}: tax type {ln.tax_type} is unknown in the organisation")
    elif tax.status != "ACTIVE" or not tax.can_apply_to_revenue:
        problems.append(f"{label}: tax type {ln.tax_type} cannot be used on sales")


REBILL_CURRENCY = "rebilled costs"


def currency_problems(rebill_lines: int, base_currency: str, currency: str) -> list[str]:
    """Rebilled costs are in the organisation's base currency and XeroFlow does not convert
    them: on an invoice in another currency they would be wrong, so approval is blocked."""
    if not rebill_lines or not currency or not base_currency or currency == base_currency:
        return []
    return [
        f"{REBILL_CURRENCY}: {rebill_lines} line(s) are in {base_currency} but the invoice is in "
        f"{currency} and XeroFlow does not convert them; remove the rebill lines (and turn "
        f"rebilling off in Billing) or invoice a {base_currency} contact"
    ]


def reprice(s: Session, draft: EomDraft, rounding: str = "half_up") -> None:
    """Recompute a draft's lines, totals and problems after a person's edit (review.py)."""

    lines = existing_lines(s, draft.id)
    ledger = Ledger(s)
    problems = [
        p for p in draft.problems if not p.startswith(("line ", "zero-value", REBILL_CURRENCY))
    ]
    kept = list(problems)
    org = s.get(Organisation, draft.tenant_id) if draft.tenant_id else None
    if org is not None:
        rebills = sum(1 for ln in lines if ln.source == "rebill")
        problems += currency_problems(rebills, org.base_currency, draft.currency_code)
    for ln in lines:
        _price_line(ledger, draft.tenant_id, ln, draft.line_amount_types, rounding, problems)
        s.add(ln)
    totals = document_totals(
        ((ln.line_amount, ln.tax_amount) for ln in lines), draft.line_amount_types
    )
    if not lines or totals.total == 0:
        problems.append("zero-value invoice: nothing to bill this month")
    draft.sub_total, draft.total_tax, draft.total = totals.sub_total, totals.total_tax, totals.total
    if not draft.contact_id and kept:  # contact unknown: only the root cause, no cascade
        problems = kept
    draft.problems = dedupe(problems)
    draft.revision += 1
    inst = s.get(Installation, 1)  # written by installation.current() before any draft exists
    draft.idempotency_key = idempotency_key(
        inst.installation_id if inst else "", draft.tenant_id, draft.client_id, draft.month,
        draft.revision,
    )  # fmt: skip
    draft.updated_at = utcnow()
    s.add(draft)


def dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))

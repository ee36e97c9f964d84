"""generate(month): one draft per client per month from its billing data, idempotently.

Running it again updates drafts not yet pushed and never creates a second invoice for a client
and month: the draft is unique per (client, month), a pushed or pushing draft is never touched,
and a synced Xero invoice carrying the draft's reference is adopted instead of invoiced again.
Problems (no contact, archived contact, bad account or tax type, zero value) are reported per
client on the draft, never raised.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import Engine
from sqlmodel import Session, select

from xeroflow_core import audit
from xeroflow_core.db import session_scope
from xeroflow_core.eom.billing import (
    REVENUE_ACCOUNT_TYPES,
    BillingRuleError,
    LineSpec,
    due_date,
    fee_line,
    month_end,
    parse_month,
    rebill_amount,
    render,
)
from xeroflow_core.eom.billing_data import LinkedContact, linked_contacts
from xeroflow_core.models import (
    Account,
    Client,
    ClientSupplier,
    ClientTrackingOption,
    Contact,
    DocumentLine,
    Invoice,
    Organisation,
    Receipt,
    TaxRate,
    utcnow,
)
from xeroflow_core.models.eom import BillingItem, BillingProfile, EomDraft, EomDraftLine
from xeroflow_core.money import ZERO, document_totals, line_amount, line_tax, to_base
from xeroflow_core.users import Actor, require

FROZEN_STATES = ("pushing", "pushed", "excluded")
COST_STATUSES = ("AUTHORISED", "PAID")
RECEIPT_STATUSES = ("SUBMITTED", "AUTHORISED")


@dataclass
class ClientOutcome:
    client_id: int
    client_name: str
    outcome: str  # created, updated, unchanged, skipped (pushed/excluded), adopted
    draft_id: int | None = None
    problems: list[str] = field(default_factory=list)


@dataclass
class GenerateResult:
    month: date
    clients: list[ClientOutcome] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for c in self.clients if c.outcome == outcome)

    @property
    def with_problems(self) -> list[ClientOutcome]:
        return [c for c in self.clients if c.problems]

    def summary(self) -> str:
        parts = [f"{self.count(o)} {o}" for o in ("created", "updated", "unchanged", "adopted")]
        parts.append(f"{self.count('skipped')} already pushed or excluded")
        return (
            f"{self.month:%Y-%m}: "
            + ", ".join(parts)
            + f"; {len(self.with_problems)} with problems"
        )


def idempotency_key(tenant_id: str, client_id: int, month: date, revision: int) -> str:
    """Deterministic per (organisation, client, month, content revision), at most 128 chars."""
    raw = f"{tenant_id}|{client_id}|{month:%Y-%m}|{revision}".encode()
    return (
        f"xeroflow-eom-{month:%Y%m}-{client_id}-r{revision}-{hashlib.sha256(raw).hexdigest()[:24]}"
    )


def generate(
    engine: Engine,
    actor: Actor,
    month: str | date,
    tenant_id: str | None = None,
    rounding: str = "half_up",
) -> GenerateResult:
    """Build or refresh the drafts of `month` (all organisations, or one)."""
    require(actor, "push_eom")
    first = parse_month(month)
    result = GenerateResult(first)
    with session_scope(engine) as s:
        clients = s.exec(select(Client).where(Client.status == "active").order_by(Client.name))
        profiles = {p.client_id: p for p in s.exec(select(BillingProfile))}
        items: dict[int, list[BillingItem]] = defaultdict(list)
        for it in s.exec(select(BillingItem).where(BillingItem.active)):
            items[it.client_id].append(it)
        costs = _attributed_costs(s, first)
        for client in list(clients):
            outcome = _client_draft(
                s, client, profiles.get(client.id), items.get(client.id, []),
                costs.get(client.id, []), first, tenant_id, rounding,
            )  # fmt: skip
            if outcome is not None:
                result.clients.append(outcome)
        audit.record(
            s, actor, "eom.generate", f"{first:%Y-%m}", tenant=tenant_id or "all",
            summary=result.summary(),
        )  # fmt: skip
    return result


@dataclass(frozen=True)
class _Cost:
    tenant_id: str
    line_item_id: str
    description: str
    ex_tax_base: Decimal
    document: str


def _attributed_costs(s: Session, month: date) -> dict[int, list[_Cost]]:
    """Bill and receipt lines dated in the month, attributed to a client: tracking option first,
    then supplier (DESIGN §6). Amounts are ex-tax, in base currency."""
    by_option = {
        (r.tenant_id, r.tracking_option_id): r.client_id
        for r in s.exec(select(ClientTrackingOption))
    }
    by_supplier = {(r.tenant_id, r.contact_id): r.client_id for r in s.exec(select(ClientSupplier))}
    if not by_option and not by_supplier:
        return {}
    end = month_end(month)
    out: dict[int, list[_Cost]] = defaultdict(list)
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
            DocumentLine.document_kind == "receipt", Receipt.status.in_(RECEIPT_STATUSES),  # type: ignore[attr-defined]
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
            _Cost(line.tenant_id, line.line_item_id, line.description or label, to_base(ex_tax, rate), label)
        )  # fmt: skip
    return out


def _pick_contact(
    s: Session, client_id: int, profile: BillingProfile
) -> tuple[LinkedContact | None, str | None]:
    links = linked_contacts(s, client_id)
    if profile.contact_id:
        chosen = next(
            (c for c in links if c.contact_id == profile.contact_id and (not profile.tenant_id or c.tenant_id == profile.tenant_id)),
            None,
        )  # fmt: skip
        if chosen is None:
            return None, "the invoice contact chosen in Billing is no longer linked to the client"
        return chosen, None
    active = [c for c in links if c.status == "ACTIVE"]
    if len(active) == 1:
        return active[0], None
    if not links:
        return None, "no Xero contact is linked to the client"
    if not active:
        return links[0], None  # archived: reported as its own problem below
    return None, "several Xero contacts are linked: choose the invoice contact in Billing"


def _client_draft(
    s: Session,
    client: Client,
    profile: BillingProfile | None,
    items: list[BillingItem],
    costs: list[_Cost],
    month: date,
    tenant_filter: str | None,
    rounding: str,
) -> ClientOutcome | None:
    profile = profile or BillingProfile(client_id=client.id)
    costs = costs if profile.rebill_enabled else []
    existing = s.exec(  # locked on PostgreSQL: a push claiming it waits for this generation
        select(EomDraft)
        .where(EomDraft.client_id == client.id, EomDraft.month == month)
        .with_for_update()
    ).first()
    if not items and not costs and existing is None:
        return None  # no billing data: nothing to invoice
    problems: list[str] = []
    warnings: list[str] = []
    contact, why = _pick_contact(s, client.id, profile)
    if why:
        problems.append(why)
    tenant = contact.tenant_id if contact else (profile.tenant_id or "")
    if tenant_filter and tenant != tenant_filter:
        return None
    if existing is not None and existing.state in FROZEN_STATES:
        return ClientOutcome(client.id, client.name, "skipped", existing.id)
    contact_row = s.get(Contact, (tenant, contact.contact_id)) if contact else None
    if contact_row is not None and contact_row.status != "ACTIVE":
        merged = (
            f" (merged into {contact_row.merged_to_contact_id})"
            if contact_row.merged_to_contact_id
            else ""
        )
        problems.append(
            f"the contact {contact_row.name} is {contact_row.status.lower()} in Xero{merged}"
        )
    org = s.get(Organisation, tenant) if tenant else None
    currency = (contact_row.default_currency if contact_row else "") or (
        org.base_currency if org else ""
    )
    try:
        reference = render(profile.reference_pattern, client.name, month, client_id=str(client.id))
    except BillingRuleError as exc:
        problems.append(f"reference pattern: {exc}")
        reference = render("XF-{client_id}-{YYYY-MM}", client.name, month, client_id=str(client.id))
    clash = s.exec(
        select(EomDraft).where(EomDraft.tenant_id == tenant, EomDraft.reference == reference, EomDraft.client_id != client.id)
    ).first()  # fmt: skip
    if clash is not None:
        warnings.append(f"reference {reference} is used by another client; client id appended")
        reference = f"{reference}-{client.id}"
    # already in Xero with our reference (pushed before our record of it was lost, or by hand)
    synced = s.exec(
        select(Invoice).where(Invoice.tenant_id == tenant, Invoice.type == "ACCREC", Invoice.reference == reference)
    ).first() if tenant else None  # fmt: skip
    ours = {c.contact_id for c in linked_contacts(s, client.id) if c.tenant_id == tenant}
    if synced is not None and synced.contact_id not in ours:
        problems.append(
            f"Xero already has invoice {synced.invoice_number} with reference {reference} for "
            "another contact: change the reference pattern in Billing"
        )
        synced = None
    if synced is not None:
        draft = existing or EomDraft(
            client_id=client.id, month=month, tenant_id=tenant, invoice_date=synced.date or month_end(month),
            reference=reference,
        )  # fmt: skip
        draft.state, draft.xero_invoice_id = "pushed", synced.invoice_id
        draft.xero_invoice_number, draft.xero_status = synced.invoice_number, synced.status
        draft.sub_total, draft.total_tax, draft.total = (
            synced.sub_total,
            synced.total_tax,
            synced.total,
        )
        draft.contact_id, draft.currency_code = synced.contact_id, synced.currency_code
        draft.warnings = [
            f"already in Xero as {synced.invoice_number} ({synced.status}); not invoiced again"
        ]
        draft.updated_at = utcnow()
        s.add(draft)
        s.flush()
        return ClientOutcome(client.id, client.name, "adopted", draft.id)

    # lines a person edited or added are kept; they replace what their fee or cost would give
    kept = [
        ln
        for ln in (existing_lines(s, existing.id) if existing else [])
        if ln.edited or ln.source == "manual"
    ]
    kept_items = {ln.billing_item_id for ln in kept if ln.billing_item_id is not None}
    kept_costs = {ln.source_line_id for ln in kept if ln.source_line_id is not None}
    specs: list[LineSpec] = []
    for it in items:
        try:
            spec = fee_line(
                item_id=it.id, kind=it.kind, description=it.description, quantity=it.quantity,
                unit_amount=it.unit_amount, account_code=it.account_code, tax_type=it.tax_type,
                frequency=it.frequency, anchor_month=it.anchor_month, start=it.start_date,
                end=it.end_date, one_off_month=it.one_off_month, month=month,
                client_name=client.name, prorate_partial=profile.prorate, rounding=rounding,
            )  # fmt: skip
        except BillingRuleError as exc:
            problems.append(f"fee {it.id}: {exc}")
            continue
        if spec is not None and it.id not in kept_items:
            specs.append(spec)
    claimed = _claimed_elsewhere(s, existing.id if existing else None)
    for cost in costs:
        if cost.tenant_id != tenant or (cost.tenant_id, cost.line_item_id) in claimed:
            continue
        if cost.line_item_id in kept_costs:
            continue
        if not profile.rebill_account_code:
            problems.append("rebillable costs found but no rebill account is set in Billing")
            break
        try:
            text = render(
                profile.rebill_description, client.name, month, description=cost.description
            )
        except BillingRuleError as exc:
            problems.append(f"rebill description: {exc}")
            text = f"Rebillable: {cost.description}"
        amount = rebill_amount(cost.ex_tax_base, profile.rebill_markup_percent, rounding)
        specs.append(
            LineSpec("rebill", text, Decimal(1), amount, profile.rebill_account_code,
                     profile.rebill_tax_type, None, cost.tenant_id, cost.line_item_id)
        )  # fmt: skip
    if costs and org and currency and currency != org.base_currency:
        warnings.append(f"rebilled costs are in {org.base_currency}; the invoice is in {currency}")

    lines = _priced_lines(s, tenant, specs, kept, profile.line_amount_types, rounding, problems)
    totals = document_totals(
        ((ln.line_amount, ln.tax_amount) for ln in lines), profile.line_amount_types
    )
    if not lines or totals.total == 0:
        problems.append("zero-value invoice: nothing to bill this month")

    inv_date = month_end(month)
    draft = existing or EomDraft(
        client_id=client.id, month=month, invoice_date=inv_date, reference=reference
    )
    before = _fingerprint(draft, existing_lines(s, draft.id) if existing else [])
    draft.tenant_id, draft.contact_id = tenant, contact.contact_id if contact else ""
    draft.invoice_date, draft.reference, draft.currency_code = inv_date, reference, currency
    draft.due_date = due_date(inv_date, profile.terms_type, profile.terms_value)
    draft.line_amount_types = profile.line_amount_types
    draft.sub_total, draft.total_tax, draft.total = totals.sub_total, totals.total_tax, totals.total
    draft.problems, draft.warnings = _dedupe(problems), _dedupe(warnings)
    draft.updated_at = utcnow()
    s.add(draft)
    s.flush()
    if existing is not None:
        for ln in existing_lines(s, draft.id):
            if not (ln.edited or ln.source == "manual"):
                s.delete(ln)
        s.flush()
    for pos, ln in enumerate(lines):
        ln.draft_id, ln.position = draft.id, pos
        s.add(ln)
    s.flush()
    after = _fingerprint(draft, lines)
    if existing is None:
        outcome = "created"
    elif before == after:
        outcome = "unchanged"
    else:
        outcome = "updated"
        draft.revision += 1
        if draft.state in ("approved", "failed"):
            draft.state, draft.error = "generated", ""
            draft.warnings = [*draft.warnings, "changed since it was approved: approve it again"]
    draft.idempotency_key = idempotency_key(draft.tenant_id, client.id, month, draft.revision)
    s.add(draft)
    return ClientOutcome(client.id, client.name, outcome, draft.id, list(draft.problems))


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


def _claimed_elsewhere(s: Session, draft_id: int | None) -> set[tuple[str, str]]:
    q = select(EomDraftLine.tenant_id, EomDraftLine.source_line_id).where(
        EomDraftLine.source_line_id.is_not(None)
    )  # type: ignore[union-attr]
    if draft_id is not None:
        q = q.where(EomDraftLine.draft_id != draft_id)
    return {(t, x) for t, x in s.exec(q)}


def _priced_lines(
    s: Session, tenant: str, specs: list[LineSpec], kept: list[EomDraftLine], lat: str,
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
        check_line(s, tenant, ln, problems)
        rate = _tax_rate(s, tenant, ln.tax_type)
        ln.line_amount = line_amount(ln.quantity, ln.unit_amount, rounding)
        ln.tax_amount = line_tax(ln.line_amount, rate, lat, rounding)
        out.append(ln)
    return out


def check_line(s: Session, tenant: str, ln: EomDraftLine, problems: list[str]) -> None:
    """Refuse locally what Xero would refuse: unknown, archived or non-revenue account; unknown
    tax type or one that cannot be used on sales. Fills the tax type from the account if empty."""
    label = f"line '{ln.description[:40]}'"
    account = s.exec(select(Account).where(Account.tenant_id == tenant, Account.code == ln.account_code)).first() if tenant else None  # fmt: skip
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
    tax = s.get(TaxRate, (tenant, ln.tax_type)) if tenant else None
    if tax is None:
        problems.append(f"{label}: tax type {ln.tax_type} is unknown in the organisation")
    elif tax.status != "ACTIVE" or not tax.can_apply_to_revenue:
        problems.append(f"{label}: tax type {ln.tax_type} cannot be used on sales")


def _tax_rate(s: Session, tenant: str, tax_type: str) -> Decimal:
    tax = s.get(TaxRate, (tenant, tax_type)) if tenant and tax_type else None
    return tax.effective_rate if tax is not None else ZERO


def reprice(s: Session, draft: EomDraft, rounding: str = "half_up") -> None:
    """Recompute a draft's lines, totals and problems after a person's edit (review.py)."""
    lines = existing_lines(s, draft.id)
    problems = [p for p in draft.problems if not p.startswith(("line ", "zero-value"))]
    for ln in lines:
        check_line(s, draft.tenant_id, ln, problems)
        ln.line_amount = line_amount(ln.quantity, ln.unit_amount, rounding)
        ln.tax_amount = line_tax(
            ln.line_amount,
            _tax_rate(s, draft.tenant_id, ln.tax_type),
            draft.line_amount_types,
            rounding,
        )
        s.add(ln)
    totals = document_totals(
        ((ln.line_amount, ln.tax_amount) for ln in lines), draft.line_amount_types
    )
    if not lines or totals.total == 0:
        problems.append("zero-value invoice: nothing to bill this month")
    draft.sub_total, draft.total_tax, draft.total = totals.sub_total, totals.total_tax, totals.total
    draft.problems = _dedupe(problems)
    draft.revision += 1
    draft.idempotency_key = idempotency_key(
        draft.tenant_id, draft.client_id, draft.month, draft.revision
    )
    draft.updated_at = utcnow()
    s.add(draft)


def _fingerprint(draft: EomDraft, lines: list[EomDraftLine]) -> tuple:
    return (
        draft.contact_id, draft.reference, draft.currency_code, draft.due_date, draft.line_amount_types,
        draft.sub_total, draft.total_tax, draft.total,
        tuple((ln.description, ln.quantity, ln.unit_amount, ln.account_code, ln.tax_type, ln.source_line_id,
               ln.line_amount, ln.tax_amount) for ln in lines),
        tuple(draft.problems or ()),
    )  # fmt: skip


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))

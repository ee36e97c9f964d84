"""generate(month): one draft per client per month from its billing data, idempotently.

Running it again updates drafts not yet pushed and never creates a second invoice for a client
and month: the draft is unique per (client, month), a pushed or pushing draft is never touched
(a draft is held before it is written, claims.hold: one a push claimed meanwhile is skipped),
and a synced Xero invoice carrying the draft's reference is adopted instead of invoiced again.
Problems (no contact, archived contact, bad account or tax type, zero value) are reported per
client on the draft, never raised.
"""

from __future__ import annotations

from collections import defaultdict
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select

from xeroflow_core import audit, installation
from xeroflow_core.actor import Actor
from xeroflow_core.db import session_scope
from xeroflow_core.eom.billing import (
    BillingRuleError,
    LineSpec,
    check_line_amount,
    due_date,
    fee_line,
    month_end,
    parse_month,
    rebill_amount,
    render,
)
from xeroflow_core.eom.billing_data import likely_tenant, linked_contacts, new_profile, pick_contact
from xeroflow_core.eom.claims import hold
from xeroflow_core.eom.costs import Cost, attributed_costs, claims
from xeroflow_core.eom.known import Known, adopt_lookup
from xeroflow_core.eom.pricing import (
    Ledger,
    currency_problems,
    dedupe,
    idempotency_key,
    priced_lines,
)
from xeroflow_core.models import (
    Client,
    Contact,
    Organisation,
    utcnow,
)
from xeroflow_core.models.eom import BillingItem, BillingProfile, EomDraft, EomDraftLine
from xeroflow_core.money import document_totals
from xeroflow_core.users import require

FROZEN_STATES = ("pushing", "pushed", "excluded")


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
        parts.append(f"{self.count('skipped')} already pushed, being pushed or excluded")
        return (
            f"{self.month:%Y-%m}: "
            + ", ".join(parts)
            + f"; {len(self.with_problems)} with problems"
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
    install_id = installation.current(engine).installation_id
    with session_scope(engine) as s:
        clients = s.exec(select(Client).where(Client.status == "active").order_by(Client.name))
        profiles = {p.client_id: p for p in s.exec(select(BillingProfile))}
        items: dict[int, list[BillingItem]] = defaultdict(list)
        for it in s.exec(select(BillingItem).where(BillingItem.active)):
            items[it.client_id].append(it)
        costs = attributed_costs(s, first)
        ledger, claimed = Ledger(s), claims(s)
        known = Known.read(s, first)
        for client in list(clients):
            try:
                with _undo_alone(s):
                    outcome = _client_draft(
                        s, ledger, claimed, client, profiles.get(client.id),
                        items.get(client.id, []), costs.get(client.id, []), first, tenant_id,
                        rounding, install_id, known,
                    )  # fmt: skip
            except (ArithmeticError, ValueError, SQLAlchemyError) as exc:
                outcome = _failed_draft(s, client, first, exc, known)
            if outcome is not None:
                result.clients.append(outcome)
        audit.record(
            s, actor, "eom.generate", f"{first:%Y-%m}", tenant=tenant_id or "all",
            summary=result.summary(),
        )  # fmt: skip
    return result


def _undo_alone(s: Session) -> AbstractContextManager:
    """A savepoint, so one client's failure is undone alone, on PostgreSQL. Not on SQLite: a
    savepoint there opens the transaction at the client's first read, and a push committed
    between that read and the draft's first write would then make the write fail ("database is
    locked") instead of finding the draft pushed and skipping it. Amounts are bounded before
    anything is written, so a client that fails on SQLite fails before its writes."""
    return s.begin_nested() if s.get_bind().dialect.name != "sqlite" else nullcontext()


def _failed_draft(
    s: Session, client: Client, month: date, exc: Exception, known: Known
) -> ClientOutcome:
    """A client whose data could not become a draft (an amount beyond what can be computed or
    stored, a rule that does not hold): its draft, created empty if need be, carries the reason
    as a problem that blocks approval, and the month goes on for the other clients."""
    reason = (
        f"this client's billing data could not be invoiced ({type(exc).__name__}: "
        f"{str(exc)[:200]}): check its fees and billing settings"
    )
    draft = s.exec(
        select(EomDraft).where(EomDraft.client_id == client.id, EomDraft.month == month)
    ).first()
    outcome = "updated"
    if draft is None:
        outcome = "created"
        ref = render("XF-{client_id}-{YYYY-MM}", client.name, month, client_id=str(client.id))
        draft = EomDraft(
            client_id=client.id, month=month, invoice_date=month_end(month), reference=ref
        )
    elif draft.state in FROZEN_STATES or draft.uncertain or not hold(s, draft):
        return ClientOutcome(client.id, client.name, "skipped", draft.id, [reason])
    draft.problems = dedupe([*(draft.problems or []), reason])
    if draft.state in ("approved", "failed"):
        draft.state = "generated"
    draft.updated_at = utcnow()
    s.add(draft)
    s.flush()
    known.use_reference(draft)
    known.drafts[int(client.id or 0)] = draft
    return ClientOutcome(client.id, client.name, outcome, draft.id, [reason])


def _client_draft(
    s: Session,
    ledger: Ledger,
    claimed: dict[tuple[str, str], int],
    client: Client,
    profile: BillingProfile | None,
    items: list[BillingItem],
    costs: list[Cost],
    month: date,
    tenant_filter: str | None,
    rounding: str,
    install_id: str,
    known: Known,
) -> ClientOutcome | None:
    profile = profile or new_profile(int(client.id or 0))
    costs = costs if profile.rebill_enabled else []
    existing = known.drafts.get(int(client.id or 0))
    if not items and not costs and existing is None:
        return None  # no billing data: nothing to invoice
    problems: list[str] = []
    warnings: list[str] = []
    links = linked_contacts(s, client.id)
    contact, why = pick_contact(links, profile)
    if why:
        problems.append(why)
    tenant = contact.tenant_id if contact else likely_tenant(links, profile)
    if tenant_filter and tenant != tenant_filter:
        return None
    if existing is not None and (existing.state in FROZEN_STATES or existing.uncertain):
        # uncertain: an earlier push may have reached Xero; the next push looks it up first
        return ClientOutcome(client.id, client.name, "skipped", existing.id)
    if existing is not None and not hold(s, existing):
        return ClientOutcome(client.id, client.name, "skipped", existing.id)  # a push came first
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
    if contact is None:  # the candidates' currency, when they agree
        options = {c.currency or (org.base_currency if org else "") for c in links
                   if c.tenant_id == tenant and c.status == "ACTIVE"}  # fmt: skip
        currency = options.pop() if len(options) == 1 else ""
    try:
        reference = render(profile.reference_pattern, client.name, month, client_id=str(client.id))
    except BillingRuleError as exc:
        problems.append(f"reference pattern: {exc}")
        reference = render("XF-{client_id}-{YYYY-MM}", client.name, month, client_id=str(client.id))
    if known.reference_clash(tenant, reference, int(client.id or 0)):
        warnings.append(f"reference {reference} is used by another client; client id appended")
        reference = f"{reference}-{client.id}"
    # already in Xero with our reference (pushed before our record of it was lost, or by hand)
    synced = s.exec(adopt_lookup(tenant, reference)).first() if tenant else None
    ours = {c.contact_id for c in links if c.tenant_id == tenant}
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
        known.use_reference(draft)
        return ClientOutcome(client.id, client.name, "adopted", draft.id)

    # lines a person edited or added are kept; they replace what their fee or cost would give
    old_lines = list(known.lines.get(int(existing.id or 0), [])) if existing else []
    before = _fingerprint(existing, old_lines) if existing else None
    kept = [ln for ln in old_lines if ln.edited or ln.source == "manual"]
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
    for cost in costs:
        owner = claimed.get((cost.tenant_id, cost.line_item_id))
        if cost.tenant_id != tenant or (owner is not None and owner != (existing and existing.id)):
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
        try:
            check_line_amount(Decimal(1), amount, f"rebilled cost '{cost.description[:40]}'")
        except BillingRuleError as exc:
            problems.append(str(exc))
            continue
        specs.append(
            LineSpec("rebill", text, Decimal(1), amount, profile.rebill_account_code,
                     profile.rebill_tax_type, None, cost.tenant_id, cost.line_item_id)
        )  # fmt: skip
    rebills = sum(1 for sp in specs if sp.source == "rebill")
    rebills += sum(1 for ln in kept if ln.source == "rebill")
    if org:
        problems += currency_problems(rebills, org.base_currency, currency)

    lines = priced_lines(ledger, tenant, specs, kept, profile.line_amount_types, rounding, problems)
    totals = document_totals(
        ((ln.line_amount, ln.tax_amount) for ln in lines), profile.line_amount_types
    )
    if not lines or totals.total == 0:
        problems.append("zero-value invoice: nothing to bill this month")

    inv_date = month_end(month)
    draft = existing or EomDraft(
        client_id=client.id, month=month, invoice_date=inv_date, reference=reference
    )
    draft.tenant_id, draft.contact_id = tenant, contact.contact_id if contact else ""
    draft.invoice_date, draft.reference, draft.currency_code = inv_date, reference, currency
    draft.due_date = due_date(inv_date, profile.terms_type, profile.terms_value)
    draft.line_amount_types = profile.line_amount_types
    draft.sub_total, draft.total_tax, draft.total = totals.sub_total, totals.total_tax, totals.total
    if why:  # contact (hence organisation) unknown: only the root cause, no cascade
        problems = [why]
    draft.problems, draft.warnings = dedupe(problems), dedupe(warnings)
    draft.updated_at = utcnow()
    # the outcome and the push key are known before anything is written: one write of the
    # draft, and its lines go out with the next flush (in one batch with other clients' lines)
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
    draft.idempotency_key = idempotency_key(
        install_id, draft.tenant_id, client.id, month, draft.revision
    )
    s.add(draft)
    s.flush()
    known.use_reference(draft)
    if existing is not None:
        for ln in old_lines:
            if not (ln.edited or ln.source == "manual"):
                s.delete(ln)
        s.flush()
    for pos, ln in enumerate(lines):
        ln.draft_id, ln.position = draft.id, pos
        s.add(ln)
        if ln.source_line_id:
            claimed[(ln.tenant_id or "", ln.source_line_id)] = int(draft.id or 0)
    return ClientOutcome(client.id, client.name, outcome, draft.id, list(draft.problems))


def _fingerprint(draft: EomDraft, lines: list[EomDraftLine]) -> tuple:
    return (
        draft.contact_id, draft.reference, draft.currency_code, draft.due_date, draft.line_amount_types,
        draft.sub_total, draft.total_tax, draft.total,
        tuple((ln.description, ln.quantity, ln.unit_amount, ln.account_code, ln.tax_type, ln.source_line_id,
               ln.line_amount, ln.tax_amount) for ln in lines),
        tuple(draft.problems or ()),
    )  # fmt: skip

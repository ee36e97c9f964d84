"""Reading and editing a client's billing data (profile and items), checked and audited.

Staff and admins edit it (permission "edit_clients"); every change is audited in the same
transaction. Choices offered to a person come from the synced ledger: active revenue accounts,
tax rates that apply to revenue, the client's linked contacts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Engine
from sqlmodel import Session, select

from xeroflow_core import audit
from xeroflow_core.actor import Actor
from xeroflow_core.db import session_scope
from xeroflow_core.eom.billing import (
    FREQUENCIES,
    KINDS,
    LINE_AMOUNT_TYPES,
    TERMS_TYPES,
    BillingRuleError,
    check_line_amount,
    markup,
    parse_month,
    quantity,
    render,
    to_amount,
    unit_amount,
)
from xeroflow_core.ledger import REVENUE_ACCOUNT_TYPES
from xeroflow_core.models import Account, Client, ClientContactLink, Contact, TaxRate, utcnow
from xeroflow_core.models.eom import BillingItem, BillingProfile
from xeroflow_core.users import require

PROFILE_FIELDS = (
    "tenant_id", "contact_id", "line_amount_types", "terms_type", "terms_value",
    "reference_pattern", "prorate", "rebill_enabled", "rebill_markup_percent",
    "rebill_account_code", "rebill_tax_type", "rebill_description",
)  # fmt: skip
ITEM_FIELDS = (
    "kind", "description", "quantity", "unit_amount", "account_code", "tax_type", "frequency",
    "anchor_month", "start_date", "end_date", "one_off_month", "active",
)  # fmt: skip


@dataclass(frozen=True)
class LinkedContact:
    tenant_id: str
    contact_id: str
    name: str
    status: str
    currency: str


def linked_contacts(session: Session, client_id: int) -> list[LinkedContact]:
    """The client's linked Xero contacts (any organisation), archived ones included. Columns,
    not rows: EOM generation asks once per client, and entities cost more than the query."""
    rows = session.exec(
        select(
            ClientContactLink.tenant_id,
            ClientContactLink.contact_id,
            Contact.name,
            Contact.status,
            Contact.default_currency,
        )
        .join(
            Contact,
            (Contact.tenant_id == ClientContactLink.tenant_id)
            & (Contact.contact_id == ClientContactLink.contact_id),
            isouter=True,
        )
        .where(ClientContactLink.client_id == client_id)
    ).all()
    out = [
        LinkedContact(tenant, contact_id, name if name is not None else contact_id,
                      status if status is not None else "UNKNOWN", currency or "")
        for tenant, contact_id, name, status, currency in rows
    ]  # fmt: skip
    return sorted(out, key=lambda c: (c.status != "ACTIVE", c.name))


def pick_contact(
    links: list[LinkedContact], profile: BillingProfile
) -> tuple[LinkedContact | None, str | None]:
    """The contact to invoice, or None and why not (the Billing tab shows the same answer)."""
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
        return links[0], None  # archived: generation reports it as a problem of its own
    return None, "several Xero contacts are linked: choose the invoice contact in Billing"


def likely_tenant(links: list[LinkedContact], profile: BillingProfile) -> str:
    """The organisation when the contact is not known yet: the one chosen in Billing, else the
    one every linked contact belongs to (so lines are priced and checked there), else none."""
    if profile.tenant_id:
        return profile.tenant_id
    tenants = {c.tenant_id for c in links if c.status == "ACTIVE"} or {c.tenant_id for c in links}
    return tenants.pop() if len(tenants) == 1 else ""


def revenue_accounts(engine: Engine, tenant_id: str | None = None) -> list[Account]:
    """Active revenue accounts with a code: the only ones a billing item may use."""
    with session_scope(engine) as s:
        q = select(Account).where(
            Account.status == "ACTIVE",
            Account.type.in_(REVENUE_ACCOUNT_TYPES),  # type: ignore[attr-defined]
            Account.code != "",
        )
        if tenant_id:
            q = q.where(Account.tenant_id == tenant_id)
        return list(s.exec(q.order_by(Account.code)))


def revenue_tax_rates(engine: Engine, tenant_id: str | None = None) -> list[TaxRate]:
    """Active tax rates that may be used on sales."""
    with session_scope(engine) as s:
        q = select(TaxRate).where(TaxRate.status == "ACTIVE", TaxRate.can_apply_to_revenue)
        if tenant_id:
            q = q.where(TaxRate.tenant_id == tenant_id)
        return list(s.exec(q.order_by(TaxRate.name)))


def new_profile(client_id: int) -> BillingProfile:
    """The defaults of a client without saved billing settings: rebilling is off until a person
    turns it on with a rebill account (rows saved before keep their setting)."""
    return BillingProfile(client_id=client_id, rebill_enabled=False)


def get_profile(engine: Engine, client_id: int) -> BillingProfile:
    """The client's billing profile (defaults when none was saved yet)."""
    with session_scope(engine) as s:
        return s.get(BillingProfile, client_id) or new_profile(client_id)


def list_items(engine: Engine, client_id: int) -> list[BillingItem]:
    with session_scope(engine) as s:
        return list(
            s.exec(select(BillingItem).where(BillingItem.client_id == client_id).order_by("id"))
        )


def _check_profile(values: dict) -> dict:
    clean = {k: v for k, v in values.items() if k in PROFILE_FIELDS}
    unknown = set(values) - set(PROFILE_FIELDS)
    if unknown:
        raise BillingRuleError(f"unknown billing setting(s): {', '.join(sorted(unknown))}")
    if clean.get("line_amount_types", "Exclusive") not in LINE_AMOUNT_TYPES:
        raise BillingRuleError(f"line amount type must be one of {', '.join(LINE_AMOUNT_TYPES)}")
    terms = clean.get("terms_type", "") or ""
    if terms not in TERMS_TYPES:
        raise BillingRuleError("payment terms: days_after, day_of_following_month or empty")
    if terms:
        value = clean.get("terms_value")
        if value is None or int(value) < 0:
            raise BillingRuleError("payment terms need a number of days (or a day of the month)")
        if terms == "day_of_following_month" and not 1 <= int(value) <= 31:
            raise BillingRuleError("the day of the following month is between 1 and 31")
        clean["terms_value"] = int(value)
    if "reference_pattern" in clean:
        pattern = (clean["reference_pattern"] or "").strip()
        if not pattern:
            raise BillingRuleError("the reference pattern cannot be empty")
        render(pattern, "Client", date(2026, 1, 1))  # raises on an unknown placeholder
        if "{YYYY-MM}" not in pattern and not ("{year}" in pattern and "{MM}" in pattern):
            raise BillingRuleError(
                "the reference pattern must contain {YYYY-MM} so each month's reference is unique"
            )
        clean["reference_pattern"] = pattern
    if "rebill_markup_percent" in clean:
        clean["rebill_markup_percent"] = markup(clean["rebill_markup_percent"] or 0)
    if "rebill_description" in clean:
        render(clean["rebill_description"], "Client", date(2026, 1, 1), description="x")
    return clean


def save_profile(engine: Engine, actor: Actor, client_id: int, **values: object) -> BillingProfile:
    """Create or update the client's billing profile; refuses bad values with a clear message."""
    require(actor, "edit_clients")
    clean = _check_profile(values)
    with session_scope(engine) as s:
        if s.get(Client, client_id) is None:
            raise BillingRuleError(f"client {client_id} does not exist")
        profile = s.get(BillingProfile, client_id) or new_profile(client_id)
        for k, v in clean.items():
            setattr(profile, k, v)
        if clean.get("rebill_enabled") and not profile.rebill_account_code:
            raise BillingRuleError(
                "choose the rebill account to rebill attributed costs (or turn rebilling off)"
            )
        profile.updated_by, profile.updated_at = actor.username, utcnow()
        s.add(profile)
        audit.record(s, actor, "eom.billing_profile", f"client:{client_id}", **clean)
        s.flush()
        return profile


def _check_item(values: dict, partial: bool = False) -> dict:
    unknown = set(values) - set(ITEM_FIELDS)
    if unknown:
        raise BillingRuleError(f"unknown billing item field(s): {', '.join(sorted(unknown))}")
    clean = dict(values)
    if (not partial or "kind" in clean) and clean.get("kind", "retainer") not in KINDS:
        raise BillingRuleError(f"kind must be one of {', '.join(KINDS)}")
    if "frequency" in clean and clean["frequency"] not in FREQUENCIES:
        raise BillingRuleError(f"frequency must be one of {', '.join(FREQUENCIES)}")
    if "anchor_month" in clean and not 1 <= int(clean["anchor_month"]) <= 12:
        raise BillingRuleError("the month of a quarterly or yearly fee is 1-12")
    if "quantity" in clean:
        clean["quantity"] = quantity(clean["quantity"])
    if "unit_amount" in clean:  # an edit without its description is checked on the whole item
        label = (
            str(clean.get("description") or "") if "description" in clean or not partial else None
        )
        clean["unit_amount"] = unit_amount(clean["unit_amount"], label)
    if "quantity" in clean and "unit_amount" in clean:
        check_line_amount(clean["quantity"], clean["unit_amount"], "the fee")
    if "description" in clean:
        render(clean["description"] or "x", "Client", date(2026, 1, 1))
    if clean.get("one_off_month") is not None:
        clean["one_off_month"] = parse_month(clean["one_off_month"])
    if not partial and clean.get("kind") == "one_off" and clean.get("one_off_month") is None:
        raise BillingRuleError("a one-off item needs the month it is billed in")
    start, end = clean.get("start_date"), clean.get("end_date")
    if start and end and end < start:
        raise BillingRuleError("the end date is before the start date")
    if not partial and not clean.get("account_code"):
        raise BillingRuleError("choose a revenue account for the item")
    return clean


def _check_ledger(s: Session, client_id: int, account_code: str, tax_type: str) -> None:
    """Refuse an account that is not an active revenue account, or a tax type that cannot be
    used on sales, in the client's organisations (when their ledger has been synced)."""
    tenants = {c.tenant_id for c in linked_contacts(s, client_id)}
    profile = s.get(BillingProfile, client_id)
    if profile and profile.tenant_id:
        tenants = {profile.tenant_id}
    if not tenants:
        return
    accounts = s.exec(select(Account).where(Account.tenant_id.in_(tenants))).all()  # type: ignore[attr-defined]
    if account_code and accounts:
        ok = [a for a in accounts if a.code == account_code and a.status == "ACTIVE"
              and a.type in REVENUE_ACCOUNT_TYPES]  # fmt: skip
        if not ok:
            raise BillingRuleError(f"account {account_code} is not an active revenue account")
    taxes = s.exec(select(TaxRate).where(TaxRate.tenant_id.in_(tenants))).all()  # type: ignore[attr-defined]
    if tax_type and taxes:
        ok_tax = [t for t in taxes if t.tax_type == tax_type and t.status == "ACTIVE"
                  and t.can_apply_to_revenue]  # fmt: skip
        if not ok_tax:
            raise BillingRuleError(f"tax type {tax_type} cannot be used on sales")


def add_item(engine: Engine, actor: Actor, client_id: int, **values: object) -> BillingItem:
    """Add a fee to a client's billing data."""
    require(actor, "edit_clients")
    clean = _check_item(values)
    with session_scope(engine) as s:
        if s.get(Client, client_id) is None:
            raise BillingRuleError(f"client {client_id} does not exist")
        _check_ledger(
            s, client_id, str(clean.get("account_code") or ""), str(clean.get("tax_type") or "")
        )
        item = BillingItem(client_id=client_id, created_by=actor.username, **clean)
        s.add(item)
        s.flush()
        audit.record(s, actor, "eom.billing_item_add", f"client:{client_id}", item=item.id, **clean)
        return item


def update_item(engine: Engine, actor: Actor, item_id: int, **values: object) -> BillingItem:
    require(actor, "edit_clients")
    clean = _check_item(values, partial=True)
    with session_scope(engine) as s:
        item = s.get(BillingItem, item_id)
        if item is None:
            raise BillingRuleError(f"billing item {item_id} does not exist")
        for k, v in clean.items():
            setattr(item, k, v)
        if "account_code" in clean or "tax_type" in clean:
            _check_ledger(s, item.client_id, item.account_code, item.tax_type)
        if item.end_date and item.start_date and item.end_date < item.start_date:
            raise BillingRuleError("the end date is before the start date")
        unit_amount(item.unit_amount, item.description)
        check_line_amount(item.quantity, item.unit_amount, "the fee")
        s.add(item)
        audit.record(
            s, actor, "eom.billing_item_edit", f"client:{item.client_id}", item=item_id, **clean
        )
        return item


def delete_item(engine: Engine, actor: Actor, item_id: int) -> None:
    require(actor, "edit_clients")
    with session_scope(engine) as s:
        item = s.get(BillingItem, item_id)
        if item is None:
            return
        s.delete(item)
        audit.record(s, actor, "eom.billing_item_delete", f"client:{item.client_id}", item=item_id)


def as_decimal(value: object) -> Decimal:
    """For the UI: widgets hand back floats or strings; go through str, never binary float."""
    return to_amount(value)

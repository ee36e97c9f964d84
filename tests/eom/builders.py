"""Builders for EOM tests: a small ledger (accounts, tax rates, contacts) and clients with
billing data, written straight to the database (no sync needed)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Engine

from tests.support.factories import TENANT, contact, new_id, organisation
from xeroflow_core.actor import Actor
from xeroflow_core.db import session_scope
from xeroflow_core.eom import billing_data
from xeroflow_core.models import Account, Client, ClientContactLink, TaxRate

ADMIN = Actor("admin", "admin")
STAFF = Actor("staff", "staff")
PARTNER = Actor("partner", "partner")


def ledger(engine: Engine, tenant_id: str = TENANT) -> str:
    """An organisation with revenue, expense and archived accounts and NZ-style tax rates."""
    organisation(engine, tenant_id)
    with session_scope(engine) as s:
        for code, name, typ, status, tax in (
            ("200", "Sales", "REVENUE", "ACTIVE", "OUTPUT2"),
            ("210", "Project Fees", "REVENUE", "ACTIVE", "OUTPUT2"),
            ("260", "Other Revenue", "OTHERINCOME", "ACTIVE", "OUTPUT2"),
            ("299", "Old Sales", "REVENUE", "ARCHIVED", "OUTPUT2"),
            ("400", "Advertising", "EXPENSE", "ACTIVE", "INPUT2"),
        ):
            s.add(Account(tenant_id=tenant_id, account_id=new_id(), code=code, name=name,
                          type=typ, status=status, tax_type=tax))  # fmt: skip
        for tax_type, name, rate, revenue, expenses in (
            ("OUTPUT2", "GST on Income", "15", True, False),
            ("INPUT2", "GST on Expenses", "15", False, True),
            ("NONE", "No GST", "0", True, True),
            ("ODD", "Odd rate", "12.5", True, True),
        ):
            s.add(TaxRate(tenant_id=tenant_id, tax_type=tax_type, name=name,
                          effective_rate=Decimal(rate), can_apply_to_revenue=revenue,
                          can_apply_to_expenses=expenses))  # fmt: skip
    return tenant_id


def client(
    engine: Engine,
    name: str,
    *,
    tenant_id: str = TENANT,
    contact_status: str = "ACTIVE",
    contact_id: str | None = None,
    link: bool = True,
    **profile: object,
) -> tuple[int, str]:
    """A client linked to one customer contact, with a billing profile; (client id, contact id)."""
    cid = contact_id or contact(engine, name, tenant_id, status=contact_status,
                                is_customer=True, default_currency="NZD")  # fmt: skip
    with session_scope(engine) as s:
        c = Client(name=name)
        s.add(c)
        s.flush()
        client_id = c.id
        if link:
            s.add(ClientContactLink(tenant_id=tenant_id, contact_id=cid, client_id=client_id))
    if profile.get("rebill_account_code"):  # rebilling is off by default for new profiles
        profile.setdefault("rebill_enabled", True)
    billing_data.save_profile(engine, ADMIN, client_id, **profile)
    return client_id, cid


def fee(engine: Engine, client_id: int, amount: str, **fields: object) -> int:
    fields.setdefault("description", "Retainer - {month} {year}")
    fields.setdefault("account_code", "200")
    fields.setdefault("tax_type", "OUTPUT2")
    return billing_data.add_item(engine, ADMIN, client_id, unit_amount=amount, **fields).id


OCT = date(2026, 10, 1)


def stale_fee(engine: Engine, client_id: int, amount: str, **fields: object) -> int:
    """A fee whose account or tax type went bad in Xero after it was entered (written directly,
    since the billing editor refuses such values today)."""
    from xeroflow_core.models.eom import BillingItem

    fields.setdefault("description", "Retainer - {month} {year}")
    fields.setdefault("account_code", "200")
    fields.setdefault("tax_type", "OUTPUT2")
    with session_scope(engine) as s:
        item = BillingItem(client_id=client_id, unit_amount=Decimal(amount), **fields)
        s.add(item)
        s.flush()
        return int(item.id or 0)

"""Copy what the EOM engine reads (organisation, accounts, tax rates, customers) from a sandbox
organisation into the test database, and set up clients with a retainer each."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Engine

from tests.eom.builders import ADMIN, client, fee
from xero_sandbox.state import Sandbox
from xeroflow_core.db import session_scope
from xeroflow_core.models import Account, Contact, Organisation, TaxRate


def copy_ledger(engine: Engine, sb: Sandbox, tenant_id: str) -> list[str]:
    """Returns the ids of active customer contacts, in a stable order."""
    org = sb.orgs[tenant_id]
    with session_scope(engine) as s:
        s.merge(Organisation(tenant_id=tenant_id, name=org.name, base_currency=org.base_currency,
                             short_code=org.short_code))  # fmt: skip
        for a in org.accounts.values():
            s.merge(Account(tenant_id=tenant_id, account_id=a.id, code=a.code, name=a.name,
                            type=a.type, status=a.status, tax_type=a.tax_type))  # fmt: skip
        for t in org.tax_rates.values():
            s.merge(TaxRate(tenant_id=tenant_id, tax_type=t.tax_type, name=t.name,
                            effective_rate=Decimal(t.rate), status=t.status,
                            can_apply_to_revenue=t.revenue, can_apply_to_expenses=t.expenses))  # fmt: skip
        customers = []
        for c in sorted(org.contacts.items.values(), key=lambda c: c.name):
            s.merge(Contact(tenant_id=tenant_id, contact_id=c.id, name=c.name, status=c.status,
                            default_currency=c.default_currency or org.base_currency))  # fmt: skip
            if (
                c.status == "ACTIVE"
                and c.is_customer
                and c.default_currency in ("", org.base_currency)
            ):
                customers.append(c.id)
    return customers


def billed_clients(
    engine: Engine, sb: Sandbox, tenant_id: str, amounts: list[str], tax: str = "OUTPUT2"
) -> list[int]:
    """One client per amount, each linked to its own sandbox customer, with a retainer."""
    customers = copy_ledger(engine, sb, tenant_id)
    ids = []
    for n, amount in enumerate(amounts):
        cid, _ = client(engine, f"Client {n + 1}", tenant_id=tenant_id, contact_id=customers[n],
                        terms_type="days_after", terms_value=14)  # fmt: skip
        fee(engine, cid, amount, tax_type=tax, description="Retainer - {month} {year}")
        ids.append(cid)
    return ids


def in_xero(sb: Sandbox, tenant_id: str, reference: str) -> list:
    """The sandbox's invoices carrying this reference: exactly one is the goal."""
    return [d for d in sb.orgs[tenant_id].invoices.items.values() if d.reference == reference]


def puts(sb: Sandbox) -> int:
    return sum(1 for e in list(sb.access_log) if e["method"] == "PUT")


__all__ = ["ADMIN", "billed_clients", "copy_ledger", "in_xero", "puts"]

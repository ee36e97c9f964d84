"""The two-way loop without a browser: a synced sandbox database, generate, push, a person
approves the invoice in Xero, the next sync shows it AUTHORISED in the EOM list; and the CLI."""

from __future__ import annotations

from sqlmodel import delete, select

from tests.eom.builders import ADMIN, OCT, client, fee
from tests.support.sync import synced_sandbox_db
from xero_sandbox.testing import control
from xeroflow_core.db import session_scope
from xeroflow_core.eom import review
from xeroflow_core.eom.engine import generate
from xeroflow_core.eom.push import push_month
from xeroflow_core.models import Contact
from xeroflow_core.models.eom import EomDraft, EomDraftLine
from xeroflow_core.sync.engine import sync_tenant

AGENCY = "Demo Agency Ltd"


def customer(engine, tenant: str) -> str:
    with session_scope(engine) as s:
        rows = s.exec(
            select(Contact).where(Contact.tenant_id == tenant, Contact.status == "ACTIVE",
                                  Contact.is_customer, Contact.default_currency.in_(("", "NZD")))
            .order_by(Contact.name)
        ).all()  # fmt: skip
    return rows[0].contact_id


def test_status_flows_back_and_xero_copy_is_never_invoiced_twice(
    engine, sandbox_app, sandbox
) -> None:
    url = sandbox_app[0]
    synced = synced_sandbox_db(engine, url)
    tenant = synced.tenants[AGENCY]
    acme, _ = client(engine, "Acme Loop", tenant_id=tenant, contact_id=customer(engine, tenant))
    fee(engine, acme, "1800.00")
    result = generate(engine, ADMIN, OCT)
    assert result.count("created") == 1 and not result.with_problems, result.clients
    (d,) = review.list_drafts(engine, ADMIN, OCT)
    review.approve(engine, ADMIN, [d.id])
    assert push_month(engine, synced.settings, ADMIN, OCT).pushed == [d.reference]

    inv = next(
        x for x in sandbox.orgs[tenant].invoices.items.values() if x.reference == d.reference
    )
    control(url, f"/_sandbox/orgs/{tenant}/invoices/{inv.id}/approve", {})
    assert sync_tenant(engine, synced.settings, tenant, full=False).status == "ok"
    (after,) = review.list_drafts(engine, ADMIN, OCT)
    assert after.xero_status == "AUTHORISED" and after.xero_invoice_number == inv.number

    # our record of the push is lost: generation finds the synced invoice by its reference
    with session_scope(engine) as s:
        s.exec(delete(EomDraftLine))
        s.exec(delete(EomDraft))
    assert generate(engine, ADMIN, OCT).count("adopted") == 1
    (adopted,) = review.list_drafts(engine, ADMIN, OCT)
    assert adopted.state == "pushed" and adopted.xero_invoice_id == inv.id
    assert push_month(engine, synced.settings, ADMIN, OCT).pushed == []
    assert (
        sum(1 for x in sandbox.orgs[tenant].invoices.items.values() if x.reference == d.reference)
        == 1
    )


def test_cli_generate_list_push(sqlite_engine, sandbox_app, sandbox, monkeypatch, capsys) -> None:
    from xeroflow_core.eom import cli as eom_cli
    from xeroflow_core.settings import get_settings

    url = sandbox_app[0]
    synced = synced_sandbox_db(sqlite_engine, url)
    tenant = synced.tenants[AGENCY]
    acme, _ = client(
        sqlite_engine, "Acme Cli", tenant_id=tenant, contact_id=customer(sqlite_engine, tenant)
    )
    fee(sqlite_engine, acme, "100.00")
    lonely, _ = client(sqlite_engine, "No Contact", link=False)
    fee(sqlite_engine, lonely, "100.00")
    monkeypatch.setenv("DATABASE_URL", sqlite_engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("XEROFLOW_SANDBOX_URL", url)
    get_settings.cache_clear()
    try:
        assert eom_cli.main(["generate", "--month", "2026-10", "--org", AGENCY.lower()]) == 0
        assert "1 created" in capsys.readouterr().out
        assert eom_cli.main(["generate", "--month", "2026-10"]) == 0
        out = capsys.readouterr().out
        assert "No Contact: no Xero contact is linked" in out
        assert eom_cli.main(["push", "--month", "2026-10", "--approve"]) == 0
        assert "1 in Xero" in capsys.readouterr().out
        assert eom_cli.main(["list", "--month", "2026-10"]) == 0
        out = capsys.readouterr().out
        assert "XF-ACME-CLI-2026-10" in out and "DRAFT" in out and "problem:" in out
        assert eom_cli.main(["generate", "--month", "2026-13"]) == 2
        assert "YYYY-MM" in capsys.readouterr().err
    finally:
        get_settings.cache_clear()

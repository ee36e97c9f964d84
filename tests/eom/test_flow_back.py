"""The two-way loop without a browser: a synced sandbox database, generate, push, a person
approves the invoice in Xero, the next sync shows it AUTHORISED (and PAID once paid) in the EOM
list; the page's "Sync statuses from Xero" messages; and the CLI."""

from __future__ import annotations

import streamlit as st
from sqlmodel import delete, select
from streamlit.testing.v1 import AppTest

from tests.eom.builders import ADMIN, OCT, client, fee, ledger
from tests.support.sync import synced_sandbox_db
from xero_sandbox.testing import control
from xeroflow_core import work
from xeroflow_core.db import make_engine, migrate, session_scope
from xeroflow_core.eom import review
from xeroflow_core.eom.engine import generate
from xeroflow_core.eom.push import push_month
from xeroflow_core.models import Contact
from xeroflow_core.models.eom import EomDraft, EomDraftLine
from xeroflow_core.settings import get_settings
from xeroflow_core.signin import sign_in
from xeroflow_core.sync.engine import sync_tenant
from xeroflow_core.sync.jobs import request_sync
from xeroflow_core.users import DEMO_PASSWORD, ensure_demo_users
from xeroflow_core.worker import process_pending

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


def test_payment_in_the_second_of_the_last_sync_flows_back_as_paid(
    engine, sandbox_app, sandbox
) -> None:
    """The demo walk's steps 8-9 on a frozen sandbox clock: approve, sync, pay in the same
    second (the cursor's second, where If-Modified-Since is tightest), then the EOM page's
    "Sync statuses from Xero" path (request_sync, then the worker's poll) must store PAID."""
    url = sandbox_app[0]
    synced = synced_sandbox_db(engine, url)
    tenant = synced.tenants[AGENCY]
    acme, _ = client(engine, "Acme Paid", tenant_id=tenant, contact_id=customer(engine, tenant))
    fee(engine, acme, "1500.00")
    generate(engine, ADMIN, OCT)
    (d,) = review.list_drafts(engine, ADMIN, OCT)
    review.approve(engine, ADMIN, [d.id])
    assert push_month(engine, synced.settings, ADMIN, OCT).pushed == [d.reference]
    inv = next(
        x for x in sandbox.orgs[tenant].invoices.items.values() if x.reference == d.reference
    )

    def sync_as_the_page_does() -> None:
        rid = request_sync(engine, ADMIN, tenant, full=False)
        assert process_pending(engine, synced.settings) >= 1
        req = work.get_request(engine, rid)
        assert req is not None and req.status == "done", req
        assert req.result[tenant]["status"] == "ok", req.result

    control(url, "/_sandbox/clock", {"freeze": True})
    try:
        control(url, f"/_sandbox/orgs/{tenant}/invoices/{inv.id}/approve", {})
        sync_as_the_page_does()
        (after,) = review.list_drafts(engine, ADMIN, OCT)
        assert after.xero_status == "AUTHORISED"
        control(url, f"/_sandbox/orgs/{tenant}/invoices/{inv.id}/pay", {})
        assert inv.status == "PAID"
        sync_as_the_page_does()
    finally:
        control(url, "/_sandbox/clock", {"freeze": False})
    (paid,) = review.list_drafts(engine, ADMIN, OCT)
    assert paid.xero_status == "PAID"


def test_the_page_says_synced_only_once_the_sync_it_asked_for_has_run(
    tmp_path, monkeypatch
) -> None:
    """EOM Review's "Sync statuses from Xero", clicked a second time: until the worker has run
    the new request, the page must not still show the first sync's "Statuses synced from
    Xero." (a person, and the demo walk, would read the old statuses as the new ones)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'page.db'}")
    migrate(engine)
    ledger(engine)
    acme, _ = client(engine, "Acme")
    fee(engine, acme, "100.00")
    generate(engine, ADMIN, OCT)
    ensure_demo_users(engine)
    signed_in = sign_in(engine, get_settings(), "admin", DEMO_PASSWORD)
    assert signed_in.token, signed_in.message
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    st.cache_resource.clear()

    def worker_runs(rid: int) -> None:
        assert work.claim(engine, rid, "test-worker")
        work.finish(engine, rid, result={}, worker="test-worker")

    def said(at: AppTest) -> list[str]:
        return [m.value.replace("\\", "") for m in [*at.success, *at.info]]

    try:
        at = AppTest.from_file("../../app_pages/eom_review.py", default_timeout=60)
        at.session_state["signin_token"] = signed_in.token
        at.session_state["eom_month"] = "2026-10"
        at.run()
        assert not at.exception, at.exception
        for _ in range(2):
            at.button(key="eom_sync").click().run()
            assert not at.exception, at.exception
            (rid,) = at.session_state["eom_syncs"]
            assert work.get_request(engine, rid).status == "pending"
            assert "Syncing statuses from Xero…" in said(at)
            assert "Statuses synced from Xero." not in said(at)
            worker_runs(rid)
            at.run()
            assert "Statuses synced from Xero." in said(at)
    finally:
        get_settings.cache_clear()
        st.cache_resource.clear()

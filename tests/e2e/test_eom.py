"""In a real browser, the whole EOM loop: an admin generates October 2026's invoices, reviews one
(adds a one-off line), pushes them (the worker sends them to the sandbox over HTTP), a person
approves one in Xero (the sandbox's test controls), the admin syncs, and sees it AUTHORISED.
Partners see the drafts read-only."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from tests.e2e.harness import ROOT, StreamlitServer, signed_in, wait_ready
from tests.eom.builders import ADMIN, client, fee
from tests.support.sync import sandbox_settings, synced_sandbox_db
from xero_sandbox.server import serve_in_thread
from xero_sandbox.testing import control, sandbox_config
from xeroflow_core.db import make_engine, migrate, session_scope
from xeroflow_core.models import Contact

pytestmark = pytest.mark.e2e
AGENCY = "Demo Agency Ltd"


class Loop:
    def __init__(self, server: StreamlitServer, sandbox_url: str, sandbox, tenant: str) -> None:
        self.server, self.url, self.sandbox, self.tenant = server, sandbox_url, sandbox, tenant

    def invoice(self, reference: str):
        found = [
            d
            for d in self.sandbox.orgs[self.tenant].invoices.items.values()
            if d.reference == reference
        ]
        assert len(found) == 1, f"{reference} is in Xero {len(found)} times"
        return found[0]


@pytest.fixture(scope="module")
def loop(tmp_path_factory) -> Iterator[Loop]:
    """Sandbox over HTTP, a synced database with two billed clients, Streamlit and a worker."""
    tmp = tmp_path_factory.mktemp("eom")
    with ExitStack() as stack:
        url = stack.enter_context(serve_in_thread(sandbox_config(seed=7)))
        sandbox = serve_in_thread.last_app.state.sandbox  # type: ignore[attr-defined]
        srv = StreamlitServer(tmp, env={"XEROFLOW_SANDBOX_URL": url, "XEROFLOW_LOG_LEVEL": "INFO"})
        engine = make_engine(f"sqlite:///{srv.db_path}")
        migrate(engine)
        tenant = synced_sandbox_db(engine, url, settings=sandbox_settings(url)).tenants[AGENCY]
        with session_scope(engine) as s:
            customers = s.exec(
                select(Contact.contact_id).where(
                    Contact.tenant_id == tenant, Contact.status == "ACTIVE", Contact.is_customer,
                    Contact.default_currency.in_(("", "NZD")),  # type: ignore[attr-defined]
                ).order_by(Contact.name)
            ).all()  # fmt: skip
        for n, (name, amount) in enumerate((("Acme Loop", "2500.00"), ("Beta Loop", "1200.00"))):
            cid, _ = client(engine, name, tenant_id=tenant, contact_id=customers[n],
                            terms_type="days_after", terms_value=14)  # fmt: skip
            fee(engine, cid, amount)
        engine.dispose()
        srv.start()
        stack.callback(srv.stop)
        log = (tmp / "worker.log").open("w")
        worker = subprocess.Popen(
            [sys.executable, "-m", "xeroflow_core", "worker", "--poll-seconds", "1"],
            cwd=ROOT, env=srv.env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip

        def stop_worker() -> None:
            worker.terminate()
            try:
                worker.wait(10)
            except subprocess.TimeoutExpired:
                worker.kill()

        stack.callback(stop_worker)
        yield Loop(srv, url, sandbox, tenant)


def open_month(page: Page, loop: Loop, user: str) -> None:
    signed_in(page, loop.server, user)
    page.goto(f"{loop.server.url}/eom-review")
    wait_ready(page)
    box = page.get_by_label("Month (YYYY-MM)")
    box.fill("2026-10")
    box.press("Enter")
    wait_ready(page)


def pick(page: Page, label: str, text: str, scope=None) -> None:  # noqa: ANN001
    box = (scope or page).get_by_label(label, exact=True)
    box.click()
    page.keyboard.type(text)
    page.get_by_role("option", name=re.compile(re.escape(text))).first.click()
    wait_ready(page)


def test_admin_generates_reviews_pushes_and_sees_xero_approval(page: Page, loop: Loop) -> None:
    open_month(page, loop, "admin")
    page.get_by_role("button", name="Generate").click()
    wait_ready(page)
    expect(page.get_by_text("Generated 2026-10: 2 created")).to_be_visible()
    table = page.get_by_test_id("stDataFrame").first
    expect(table).to_contain_text("XF-ACME-LOOP-2026-10")
    expect(table).to_contain_text("2,875.00")

    # review one: its lines, then a one-off line that changes the totals
    pick(page, "Draft", "Beta Loop")
    expect(page.get_by_text("Total NZD 1,380.00")).to_be_visible()
    page.get_by_label("Description").fill("Strategy workshop")
    page.get_by_label("Unit amount").fill("300.00")
    page.get_by_role("button", name="Add line").click()
    wait_ready(page)
    expect(page.get_by_text("Line added.")).to_be_visible()
    expect(page.get_by_text("Total NZD 1,725.00")).to_be_visible()

    # push: the page queues a request, the worker sends both invoices to Xero as drafts
    chosen = page.get_by_test_id("stMultiSelect")
    expect(chosen).to_contain_text("XF-ACME-LOOP-2026-10")
    expect(chosen).to_contain_text("XF-BETA-LOOP-2026-10")
    page.get_by_role("button", name="Push to Xero").click()
    wait_ready(page)
    expect(page.get_by_text(re.compile(r"Push #\d+ queued"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"Push #\d+ finished: 2 in Xero"))).to_be_visible(
        timeout=30_000
    )
    wait_ready(page)
    acme = loop.invoice("XF-ACME-LOOP-2026-10")
    beta = loop.invoice("XF-BETA-LOOP-2026-10")
    assert (acme.status, beta.status) == ("DRAFT", "DRAFT")
    assert beta.total == beta.total.__class__("1725.00")
    table = page.get_by_test_id("stDataFrame").first
    expect(table).to_contain_text(acme.number)
    expect(table).to_contain_text("DRAFT")

    # a person approves Acme's invoice in Xero; the admin syncs and sees it AUTHORISED
    control(loop.url, f"/_sandbox/orgs/{loop.tenant}/invoices/{acme.id}/approve", {})
    page.get_by_role("button", name="Sync statuses from Xero").click()
    expect(page.get_by_text("Statuses synced from Xero.")).to_be_visible(timeout=30_000)
    wait_ready(page)
    expect(page.get_by_test_id("stDataFrame").first).to_contain_text("AUTHORISED")
    pick(page, "Draft", "Acme Loop")
    expect(page.get_by_text("state pushed")).to_be_visible()
    # pushing again sends nothing: each invoice is in Xero exactly once
    loop.invoice("XF-ACME-LOOP-2026-10")
    loop.invoice("XF-BETA-LOOP-2026-10")


def test_partner_reviews_read_only(page: Page, loop: Loop) -> None:
    open_month(page, loop, "partner")
    expect(page.get_by_text("Partners review the drafts")).to_be_visible()
    expect(page.get_by_role("button", name="Generate")).to_have_count(0)
    expect(page.get_by_role("button", name="Push to Xero")).to_have_count(0)
    expect(page.get_by_role("button", name="Add line")).to_have_count(0)


def test_staff_edit_billing_data_on_the_clients_page(page: Page, loop: Loop) -> None:
    signed_in(page, loop.server, "staff")
    page.goto(f"{loop.server.url}/clients?client=2")
    wait_ready(page)
    page.get_by_role("tab", name="Billing").click()
    wait_ready(page)
    panel = page.get_by_role("tabpanel", name="Billing")
    expect(panel.get_by_test_id("stDataFrame")).to_contain_text("Retainer - {month} {year}")
    panel.get_by_label("Markup %").fill("12.5")
    panel.get_by_role("button", name="Save billing settings").click()
    wait_ready(page)
    expect(page.get_by_text("Billing settings saved.").first).to_be_visible()
    page.get_by_role("tab", name="Billing").click()
    wait_ready(page)
    panel = page.get_by_role("tabpanel", name="Billing")
    pick(page, "Kind", "recurring", panel)
    pick(page, "Frequency", "quarterly", panel)
    panel.get_by_label("Description").fill("Quarterly review {quarter}")
    panel.get_by_label("Unit amount").fill("450.12345")
    panel.get_by_role("button", name="Add fee").click()
    wait_ready(page)
    expect(page.get_by_text("unit amount has more than 4 decimal places")).to_be_visible()
    panel.get_by_label("Unit amount").fill("450.1234")
    panel.get_by_role("button", name="Add fee").click()
    wait_ready(page)
    expect(page.get_by_text("Fee added.").first).to_be_visible()
    page.get_by_role("tab", name="Billing").click()
    expect(
        page.get_by_role("tabpanel", name="Billing").get_by_test_id("stDataFrame")
    ).to_contain_text("Quarterly review {quarter}")


def test_a_draft_fixed_after_generating_can_be_pushed_at_once(page: Page, loop: Loop) -> None:
    """Tester findings 1, 2 and 4: a client with two linked contacts is flagged in Billing and
    has one problem (no cascade); once the contact is chosen and the month generated again, its
    draft is in "Drafts to approve and push" straight away (the selection was stale)."""
    from xeroflow_core.eom import billing_data
    from xeroflow_core.models import ClientContactLink

    engine = make_engine(f"sqlite:///{loop.server.db_path}")
    with session_scope(engine) as s:
        used = set(s.exec(select(ClientContactLink.contact_id)).all())
        spare = s.exec(
            select(Contact.contact_id).where(
                Contact.tenant_id == loop.tenant, Contact.status == "ACTIVE", Contact.is_customer,
                Contact.default_currency.in_(("", "NZD")),  # type: ignore[attr-defined]
            ).order_by(Contact.name)
        ).all()  # fmt: skip
    first, second = [c for c in spare if c not in used][:2]
    cedar, _ = client(engine, "Cedar Loop", tenant_id=loop.tenant, contact_id=first)
    with session_scope(engine) as s:
        s.add(ClientContactLink(tenant_id=loop.tenant, contact_id=second, client_id=cedar))
    fee(engine, cedar, "500.00")

    signed_in(page, loop.server, "staff")
    page.goto(f"{loop.server.url}/clients?client={cedar}")
    wait_ready(page)
    page.get_by_role("tab", name="Billing").click()
    wait_ready(page)
    panel = page.get_by_role("tabpanel", name="Billing")
    expect(panel.get_by_text("Several Xero contacts are linked")).to_be_visible()
    expect(panel.get_by_text("Choose the contact to invoice").first).to_be_visible()
    expect(panel.get_by_text("The only linked contact")).to_have_count(0)
    page.context.clear_cookies()  # a new person at the same browser: the admin
    page = page.context.new_page()
    open_month(page, loop, "admin")
    page.get_by_role("button", name="Generate").click()
    wait_ready(page)
    expect(page.get_by_text("Several Xero contacts are linked").first).to_be_visible()
    expect(page.get_by_text("does not exist in the organisation")).to_have_count(0)
    expect(page.get_by_text("is unknown in the organisation")).to_have_count(0)
    chosen = page.get_by_test_id("stMultiSelect")
    expect(chosen).not_to_contain_text("XF-CEDAR-LOOP-2026-10")

    billing_data.save_profile(engine, ADMIN, cedar, tenant_id=loop.tenant, contact_id=second)
    engine.dispose()
    page.get_by_role("button", name="Generate").click()
    wait_ready(page)
    expect(page.get_by_text("Several Xero contacts are linked")).to_have_count(0)
    expect(page.get_by_test_id("stMultiSelect")).to_contain_text("XF-CEDAR-LOOP-2026-10")

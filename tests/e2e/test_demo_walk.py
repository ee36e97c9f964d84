"""The README's demo walkthrough in a real browser, from an empty database: connect Xero on the
sandbox's consent page, the worker's first sync, a client created from the Unmatched Queue, its
profitability, its billing data, EOM generate, review and push, then the bookkeeper in Xero (the
sandbox console, opened through "Open in Xero") approves it, XeroFlow sees AUTHORISED, the
bookkeeper records the payment, XeroFlow sees PAID."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from tests.e2e.harness import ROOT, StreamlitServer, signed_in, wait_ready
from xero_sandbox.server import serve_in_thread
from xero_sandbox.testing import KEY, sandbox_config
from xeroflow_core.db import make_engine, session_scope
from xeroflow_core.models import Client
from xeroflow_core.sync.status import last_successful_sync

pytestmark = pytest.mark.e2e
AGENCY = "Demo Agency Ltd"


@dataclass
class Demo:
    server: StreamlitServer
    sandbox_url: str
    sandbox: object
    tenant: str
    customer: str  # a retainer customer with invoices, waiting in the queue


def _until(cond: Callable[[], bool], what: str, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Iterator[Demo]:
    """As `make run` has it: the sandbox (controls and console on, behind a key), Streamlit on
    an empty database, and the worker."""
    tmp = tmp_path_factory.mktemp("walk")
    with ExitStack() as stack:
        url = stack.enter_context(serve_in_thread(sandbox_config(seed=7)))
        sb = serve_in_thread.last_app.state.sandbox  # type: ignore[attr-defined]
        tenant = next(t for t, o in sb.orgs.items() if o.name == AGENCY)
        org = sb.orgs[tenant]
        retainers = {
            d.contact_id for d in org.invoices.items.values() if d.reference.startswith("RET-")
        }
        customer = sorted(
            c.name for c in org.contacts.items.values()
            if c.id in retainers and c.status == "ACTIVE" and c.default_currency in ("", "NZD")
        )[0]  # fmt: skip
        srv = StreamlitServer(tmp, env={"XEROFLOW_SANDBOX_URL": url}).start()
        stack.callback(srv.stop)
        log = (tmp / "worker.log").open("w")
        worker = subprocess.Popen(
            [sys.executable, "-m", "xeroflow_core", "worker", "--poll-seconds", "1"],
            cwd=ROOT, env=srv.env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        stack.callback(worker.wait, 10)
        stack.callback(worker.terminate)
        yield Demo(srv, url, sb, tenant, customer)


def _open(page: Page, demo: Demo, path: str) -> None:
    page.goto(f"{demo.server.url}/{path}")
    wait_ready(page)


def _pick(page: Page, label: str, text: str) -> None:
    box = page.get_by_label(label, exact=True)
    box.click()
    page.keyboard.type(text)
    page.get_by_role("option", name=re.compile(re.escape(text))).first.click()
    page.locator("h1").first.click()  # close the list, which covers what is below
    wait_ready(page)


def _sync_statuses(page: Page, expected: str) -> None:
    page.get_by_role("button", name="Sync statuses from Xero").click()
    expect(page.get_by_text("Statuses synced from Xero.")).to_be_visible(timeout=60_000)
    wait_ready(page)
    expect(page.get_by_test_id("stDataFrame").first).to_contain_text(expected)


def test_the_readme_walk_from_connect_to_paid(page: Page, demo: Demo) -> None:
    engine = make_engine(f"sqlite:///{demo.server.db_path}")

    # 1. connect: the admin allows access to the agency on Xero's (the sandbox's) consent page
    signed_in(page, demo.server, "admin")
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Connect").click()
    wait_ready(page)
    page.get_by_role("link", name="Connect Xero").click()
    page.wait_for_url(re.compile(re.escape(demo.sandbox_url) + "/identity/connect/authorize.*"))
    page.get_by_label(re.compile("Demo Studio Pty")).uncheck()
    page.get_by_role("button", name="Allow access").click()
    page.wait_for_url(re.compile(re.escape(demo.server.url) + "/connect.*"))
    wait_ready(page)
    expect(page.get_by_text("Xero connection: Connected")).to_be_visible(timeout=20_000)

    # 2. the worker's first sync
    _until(lambda: last_successful_sync(engine, demo.tenant) is not None, "the first sync")

    # 3. a client from the Unmatched Queue
    _open(page, demo, "unmatched")
    _pick(page, "Contacts to resolve", demo.customer)
    page.get_by_role("button", name="Create client").click()
    wait_ready(page)
    expect(page.get_by_text(f"Created {demo.customer} and linked contact.")).to_be_visible()
    with session_scope(engine) as s:
        client_id = s.exec(select(Client.id).where(Client.name == demo.customer)).one()

    # 4. its profitability
    _open(page, demo, "profitability")
    expect(page.get_by_role("heading", name="All clients")).to_be_visible()
    expect(page.get_by_test_id("stDataFrame").first).to_contain_text(demo.customer)

    # 5. its billing data: a monthly retainer
    _open(page, demo, f"clients?client={client_id}")
    page.get_by_role("tab", name="Billing").click()
    wait_ready(page)
    panel = page.get_by_role("tabpanel", name="Billing")
    panel.get_by_label("Unit amount").fill("1500.00")
    panel.get_by_role("button", name="Add fee").click()
    wait_ready(page)
    expect(page.get_by_text("Fee added.").first).to_be_visible()

    # 6. generate, review and push last month's invoice
    _open(page, demo, "eom-review")
    page.get_by_role("button", name="Generate").click()
    wait_ready(page)
    expect(page.get_by_text(re.compile(r"Generated \d{4}-\d{2}: 1 created"))).to_be_visible()
    expect(page.get_by_text("Total NZD 1,725.00")).to_be_visible()  # 1,500 + 15% GST
    page.get_by_role("button", name="Push to Xero").click()
    wait_ready(page)
    expect(page.get_by_text(re.compile(r"Push #\d+ finished: 1 in Xero"))).to_be_visible(
        timeout=60_000
    )
    wait_ready(page)

    # 7. the bookkeeper: the console link make run printed, then "Open in Xero"
    console = page.context.new_page()
    console.goto(f"{demo.sandbox_url}/_sandbox/console?key={KEY}")
    expect(console.get_by_role("heading", name="Organisations & clock")).to_be_visible()
    console.close()
    with page.context.expect_page() as opened:
        page.get_by_role("link", name=re.compile(r"Open in Xero \(INV-\d+, DRAFT\)")).click()
    xero = opened.value
    xero.wait_for_load_state()
    expect(xero.locator("#status")).to_have_text("DRAFT")
    expect(xero.get_by_text("1,725.00").first).to_be_visible()
    xero.get_by_role("button", name="Approve").click()
    expect(xero.locator("#status")).to_have_text("AUTHORISED")
    expect(xero.get_by_role("status")).to_contain_text("is now AUTHORISED")

    # 8. back in XeroFlow: AUTHORISED
    page.bring_to_front()
    _sync_statuses(page, "AUTHORISED")

    # 9. the bookkeeper records the payment (the whole amount due); XeroFlow sees PAID
    xero.bring_to_front()
    expect(xero.get_by_label("Amount")).to_have_value("1725.00")
    xero.get_by_role("button", name="Record payment").click()
    expect(xero.get_by_role("status")).to_have_text("Payment recorded: paid in full.")
    expect(xero.locator("#status")).to_have_text("PAID")
    page.bring_to_front()
    _sync_statuses(page, "PAID")
    engine.dispose()

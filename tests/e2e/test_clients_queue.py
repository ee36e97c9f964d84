"""In a real browser: staff resolve the Unmatched Queue; partners cannot open it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.harness import StreamlitServer, nav_titles, signed_in, wait_ready
from tests.support import factories as f
from xeroflow_core import clients as m
from xeroflow_core.actor import SYSTEM
from xeroflow_core.db import make_engine, migrate

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[StreamlitServer]:
    """One server for this module, its database seeded before it starts."""
    srv = StreamlitServer(tmp_path_factory.mktemp("clients"))
    engine = make_engine(f"sqlite:///{srv.db_path}")
    migrate(engine)
    f.organisation(engine)
    for name, amount in (
        ("Acme Ltd", "100.00"),
        ("Globex Corporation", "250.00"),
        ("Initech", "75.00"),
    ):
        cid = f.contact(engine, name)
        f.invoice(engine, cid, [("200", amount)], on=date(2026, 10, 1))
        f.invoice(engine, cid, [("200", amount)], on=date(2026, 11, 1))
    m.create_client(engine, SYSTEM, "Acme")
    engine.dispose()
    srv.start()
    yield srv
    srv.stop()


def pick(page: Page, label: str, text: str) -> None:
    """Choose `text` in the Streamlit select or multiselect labelled `label`."""
    wait_ready(page)
    box = page.get_by_label(label, exact=True)
    box.click()
    box.fill(text) if box.is_editable() else page.keyboard.type(text)
    page.get_by_role("option", name=re.compile(re.escape(text))).first.click()
    page.locator("h1").first.click()  # close a multiselect's list, which covers what is below
    wait_ready(page)


def queue_heading(page: Page, n: int) -> None:
    expect(page.get_by_role("heading", name=f"Unmatched Queue ({n})")).to_be_visible()
    wait_ready(page)  # the heading shows early in a rerun: let the run finish
    page.wait_for_timeout(300)
    wait_ready(page)


def test_staff_link_and_create_empty_the_queue(page: Page, server: StreamlitServer) -> None:
    signed_in(page, server, "staff")
    page.goto(f"{server.url}/unmatched")
    wait_ready(page)
    queue_heading(page, 3)

    # 1. link a queued contact to an existing client, picked from the suggestion-free picker
    pick(page, "Contacts to resolve", "Acme Ltd")
    expect(page.get_by_text("same name apart from case")).to_be_visible()  # suggestion + reason
    pick(page, "Client", "Acme")
    page.get_by_role("button", name="Link to client").click()
    wait_ready(page)
    expect(page.get_by_text("Linked contact to Acme.")).to_be_visible()
    queue_heading(page, 2)

    # undo puts it back in the queue; linking again from the suggestion's own button
    page.get_by_role("button", name="Undo").click()
    wait_ready(page)
    queue_heading(page, 3)
    pick(page, "Contacts to resolve", "Acme Ltd")
    page.get_by_role("button", name="Link", exact=True).click()
    wait_ready(page)
    expect(page.get_by_text("Linked Acme Ltd to Acme.")).to_be_visible()
    queue_heading(page, 2)

    # 2. create a client from another queued contact (name prefilled from the contact)
    pick(page, "Contacts to resolve", "Globex Corporation")
    expect(page.get_by_label("New client name")).to_have_value("Globex Corporation")
    page.get_by_role("button", name="Create client").click()
    wait_ready(page)
    expect(page.get_by_text("Created Globex Corporation and linked contact.")).to_be_visible()
    queue_heading(page, 1)

    table = page.get_by_test_id("stDataFrame").first
    expect(table).to_contain_text("Initech")
    expect(table).not_to_contain_text("Acme Ltd")
    expect(table).not_to_contain_text("Globex")

    # both clients now own their invoices
    page.goto(f"{server.url}/clients")
    wait_ready(page)
    clients = page.get_by_test_id("stDataFrame").first
    expect(clients).to_contain_text("Globex Corporation")
    expect(clients).to_contain_text("Acme")


def test_partner_cannot_open_the_queue(page: Page, server: StreamlitServer) -> None:
    signed_in(page, server, "partner")
    assert "Unmatched Queue" not in nav_titles(page)
    page.goto(f"{server.url}/unmatched")
    wait_ready(page)
    page.wait_for_timeout(1000)
    wait_ready(page)
    expect(page.get_by_role("heading", name=re.compile("Unmatched Queue"))).to_have_count(0)
    expect(page.get_by_text("Contacts to resolve")).to_have_count(0)

"""In a real browser: an admin connects Xero through the sandbox's consent page and lands back
on /connect with the organisations connected; partners and staff see the state, no buttons."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.harness import StreamlitServer, signed_in, wait_ready
from xero_sandbox.server import serve_in_thread
from xero_sandbox.testing import sandbox_config

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def sandbox_url() -> Iterator[str]:
    with serve_in_thread(sandbox_config(seed=11)) as url:
        yield url


@pytest.fixture(scope="module")
def server(tmp_path_factory, sandbox_url: str) -> Iterator[StreamlitServer]:
    srv = StreamlitServer(
        tmp_path_factory.mktemp("connect"), env={"XEROFLOW_SANDBOX_URL": sandbox_url}
    ).start()
    yield srv
    srv.stop()


def _open_connect(page: Page, server: StreamlitServer) -> None:
    """Through the menu, as a person does."""
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Connect").click()
    page.wait_for_url(re.compile(re.escape(server.url) + "/connect"))
    wait_ready(page)
    expect(page.get_by_role("heading", name="Connect")).to_be_visible()


def test_staff_sees_the_state_but_no_connect_button(page: Page, server: StreamlitServer) -> None:
    signed_in(page, server, "staff")
    _open_connect(page, server)
    expect(page.get_by_text("Xero connection: Not connected")).to_be_visible()
    expect(page.get_by_text("Only an admin can connect")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Connect Xero|Reconnect Xero"))).to_have_count(
        0
    )
    expect(page.get_by_role("button", name="Disconnect")).to_have_count(0)


def test_admin_connects_through_the_consent_page(
    page: Page, server: StreamlitServer, sandbox_url: str
) -> None:
    signed_in(page, server, "admin")
    _open_connect(page, server)
    expect(page.get_by_text("Xero connection: Not connected")).to_be_visible()
    page.get_by_role("link", name="Connect Xero").click()
    # the sandbox's consent page, in the same tab
    page.wait_for_url(re.compile(re.escape(sandbox_url) + "/identity/connect/authorize.*"))
    expect(page.get_by_text("Demo")).not_to_have_count(0)
    boxes = page.locator("input[name=tenant]")
    assert boxes.count() == 2
    for i in range(boxes.count()):
        boxes.nth(i).check()
    page.get_by_role("button", name="Allow access").click()
    # back on /connect, the query string cleared, both organisations connected and syncing
    page.wait_for_url(re.compile(re.escape(server.url) + "/connect.*"))
    wait_ready(page)
    expect(page.get_by_text("Connected to Xero:")).to_be_visible(timeout=20_000)
    expect(page.get_by_text("The first sync of 2 organisations has started")).to_be_visible()
    expect(page.get_by_text("Xero connection: Connected")).to_be_visible()
    assert "code=" not in page.url and "state=" not in page.url
    expect(page.get_by_test_id("stDataFrame")).to_be_visible()
    expect(page.get_by_role("link", name="Reconnect Xero")).to_be_visible()
    # the choice is already made: both show as chosen; an empty choice asks first
    select = page.get_by_test_id("stMultiSelect")
    for name in _org_names(page):
        expect(select.get_by_text(name)).to_be_visible()
    for _ in range(2):
        select.get_by_role("button", name=re.compile("^Remove")).first.click()
        wait_ready(page)
    page.get_by_role("button", name="Save organisations").click()
    wait_ready(page)
    expect(page.get_by_text("Stop syncing every organisation?")).to_be_visible()
    page.get_by_role("button", name="Keep the current choice").click()
    wait_ready(page)
    expect(page.get_by_text("Stop syncing every organisation?")).to_have_count(0)
    expect(page.get_by_text(re.compile("^Syncing now: .+, .+"))).to_be_visible()


def _org_names(page: Page) -> list[str]:
    text = page.get_by_text(re.compile("^Syncing now: ")).inner_text()
    return text.removeprefix("Syncing now: ").split(". ")[0].split(", ")


def test_partner_sees_the_connection_read_only(page: Page, server: StreamlitServer) -> None:
    """Runs after the admin connected (tests of a module run in file order)."""
    signed_in(page, server, "partner")
    _open_connect(page, server)
    expect(page.get_by_text("Xero connection: Connected")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Connect Xero|Reconnect Xero"))).to_have_count(
        0
    )
    expect(page.get_by_text("Sync these organisations")).to_have_count(0)


def test_admin_cancelling_on_xero_is_told_so(
    page: Page, server: StreamlitServer, sandbox_url: str
) -> None:
    signed_in(page, server, "admin")
    _open_connect(page, server)
    page.get_by_role("link", name="Reconnect Xero").click()
    page.wait_for_url(re.compile(re.escape(sandbox_url) + ".*"))
    page.get_by_role("button", name="Cancel").click()
    page.wait_for_url(re.compile(re.escape(server.url) + "/connect.*"))
    wait_ready(page)
    expect(page.get_by_text("You cancelled on Xero's page")).to_be_visible(timeout=20_000)
    expect(page.get_by_text("Xero connection: Connected")).to_be_visible()


def test_admin_disconnects_one_organisation(page: Page, server: StreamlitServer) -> None:
    signed_in(page, server, "admin")
    _open_connect(page, server)
    page.get_by_text("Disconnect", exact=True).first.click()  # the expander
    button = page.get_by_role("button", name="Disconnect")
    page.get_by_text("Stop syncing. Synced data, clients and links are kept.").click()
    wait_ready(page)
    expect(button).to_be_disabled()  # nothing chosen yet
    page.get_by_text(re.compile("^Only ")).first.click()
    wait_ready(page)
    expect(button).to_be_enabled()
    button.click()
    wait_ready(page)
    expect(page.get_by_text("Disconnected 1 organisation(s); their data is kept.")).to_be_visible()
    expect(page.get_by_text("Xero connection: Connected")).to_be_visible()  # the other one

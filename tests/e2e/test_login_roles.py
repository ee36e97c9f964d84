"""Signing in, the menu per role, logout, and deep links that must show nothing."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.harness import StreamlitServer, nav_titles, sign_in, signed_in, wait_ready

pytestmark = pytest.mark.e2e

EXPECTED_MENU = {
    "admin": {"Sync Status", "Unmatched Queue", "Clients", "Profitability", "EOM Review",
              "Connect", "Audit Log"},
    "partner": {"Sync Status", "Profitability", "EOM Review", "Connect"},
    "staff": {"Sync Status", "Unmatched Queue", "Clients", "Connect"},
}  # fmt: skip
PAGE_TITLES = [
    "Connect", "Sync Status", "Unmatched Queue", "Clients", "Profitability", "EOM Review",
    "Audit Log",
]  # fmt: skip
PAGE_URLS = [
    "connect",
    "sync-status",
    "unmatched",
    "clients",
    "profitability",
    "eom-review",
    "audit",
]


def test_fresh_server_deep_links_show_no_content(tmp_path, page: Page) -> None:
    """On a server nobody has used yet, every page URL shows the sign-in prompt, nothing else."""
    srv = StreamlitServer(tmp_path).start()
    try:
        for path in PAGE_URLS:
            page.goto(f"{srv.url}/{path}")
            wait_ready(page)
            for title in PAGE_TITLES:
                expect(page.get_by_role("heading", name=title)).to_have_count(0)
            body = page.get_by_test_id("stMain").inner_text()
            assert "Sync Status" not in body and "Profitability" not in body, (path, body)
            assert "sign in" in body.lower() or "Username" in body, (path, body)
    finally:
        srv.stop()


@pytest.mark.parametrize("username", ["admin", "partner", "staff"])
def test_each_role_sees_exactly_its_pages(page: Page, server: StreamlitServer, username) -> None:
    signed_in(page, server, username)
    assert set(nav_titles(page)) == EXPECTED_MENU[username]


def test_wrong_password_shows_an_error(page: Page, server: StreamlitServer) -> None:
    sign_in(page, server.url, "staff", "not-the-password")
    expect(page.get_by_text("Username or password is incorrect")).to_be_visible()
    expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)


def test_logout_returns_to_sign_in(page: Page, server: StreamlitServer) -> None:
    signed_in(page, server, "partner")
    page.get_by_role("button", name="Log out").click()
    wait_ready(page)
    expect(page.get_by_role("button", name="Login")).to_be_visible()
    page.reload()
    wait_ready(page)
    page.wait_for_timeout(1500)
    expect(page.get_by_role("button", name="Login")).to_be_visible()


def test_staff_typing_profitability_url_sees_no_profitability(
    page: Page, server: StreamlitServer
) -> None:
    signed_in(page, server, "staff")
    page.goto(f"{server.url}/profitability")
    wait_ready(page)
    page.wait_for_timeout(1000)
    wait_ready(page)
    main = page.get_by_test_id("stMain").inner_text()
    assert "Profitability" not in main.split("\n")[0:3] or "cannot open" in main
    expect(page.get_by_role("heading", name="Profitability")).to_have_count(0)


def test_deep_link_and_reload_keep_the_page(page: Page, server: StreamlitServer) -> None:
    """A signed-in user who reloads, or opens a page's URL in a new load, stays on that page
    (with its query string), instead of landing on the default page."""
    signed_in(page, server, "staff")
    page.goto(f"{server.url}/clients?probe=1")
    wait_ready(page)
    page.wait_for_timeout(1500)  # the login cookie's extra rerun
    wait_ready(page)
    expect(page.get_by_role("heading", name="Clients", exact=True)).to_be_visible()
    assert page.url.endswith("/clients?probe=1")
    page.reload()
    wait_ready(page)
    page.wait_for_timeout(1500)
    wait_ready(page)
    expect(page.get_by_role("heading", name="Clients", exact=True)).to_be_visible()
    assert "/clients" in page.url


def test_arriving_from_another_site_keeps_the_page_and_its_query(
    page: Page, server: StreamlitServer
) -> None:
    """How Xero's callback arrives: a navigation from another site. The login cookie is
    SameSite=strict, so the first run is not signed in; the URL (and its code) must survive
    until the cookie signs the user in, then the page runs with its query string."""
    local = server.url.replace("127.0.0.1", "localhost")  # the host `make run` prints
    sign_in(page, local, "staff")
    target = f"{local}/clients?probe=from-elsewhere"
    page.route(
        "http://elsewhere.test/",
        lambda route: route.fulfill(
            content_type="text/html", body=f'<a id="go" href="{target}">back to XeroFlow</a>'
        ),
    )
    page.goto("http://elsewhere.test/")
    page.click("#go")
    wait_ready(page)
    page.wait_for_timeout(2500)  # the login cookie's extra rerun
    wait_ready(page)
    expect(page.get_by_role("heading", name="Clients", exact=True)).to_be_visible()
    assert page.url.endswith("/clients?probe=from-elsewhere")

"""Signing in, the menu per role, logout, and how every full page load keeps its page.

The server runs with the settings `make run` uses (the default sign-in pause included)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.harness import (
    StreamlitServer,
    heading,
    nav_titles,
    session_cookie,
    sign_in,
    signed_in,
    wait_ready,
)
from xeroflow_core.actor import SYSTEM
from xeroflow_core.clients import create_client
from xeroflow_core.db import make_engine
from xeroflow_core.users import set_disabled

pytestmark = pytest.mark.e2e

EXPECTED_MENU = {
    "admin": {"Home", "Sync Status", "Unmatched Queue", "Clients", "Profitability", "EOM Review",
              "Connect", "Audit Log"},
    "partner": {"Home", "Sync Status", "Profitability", "EOM Review", "Connect"},
    "staff": {"Home", "Sync Status", "Unmatched Queue", "Clients", "Connect"},
}  # fmt: skip
# every page's URL path and the heading it shows
PAGE_HEADINGS = {
    "": "XeroFlow",
    "sync-status": "Sync Status",
    "unmatched": "Unmatched Queue",
    "clients": "Clients",
    "profitability": "Profitability",
    "eom-review": "EOM Review",
    "connect": "Connect",
    "audit": "Audit Log",
}
ROLE_PATHS = {
    "admin": list(PAGE_HEADINGS),
    "partner": ["", "sync-status", "profitability", "eom-review", "connect"],
    "staff": ["", "sync-status", "unmatched", "clients", "connect"],
}


def test_fresh_server_deep_links_show_the_sign_in_form_in_place(tmp_path, page: Page) -> None:
    """On a server nobody has used yet, every page URL shows the sign-in form where the page
    would be, keeps its URL, and names no page anywhere (no menu of raw file names)."""
    srv = StreamlitServer(tmp_path).start()
    try:
        for path in PAGE_HEADINGS:
            page.goto(f"{srv.url}/{path}?probe=1")
            wait_ready(page)
            expect(page.get_by_role("textbox", name="Username")).to_be_visible()
            expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
            expect(page.get_by_test_id("stSidebar")).to_have_count(0)
            for title in PAGE_HEADINGS.values():
                expect(page.get_by_role("heading", name=title, exact=True)).to_have_count(0)
            assert page.url == f"{srv.url}/{path}?probe=1"
    finally:
        srv.stop()


@pytest.mark.parametrize("username", ["admin", "partner", "staff"])
def test_each_role_sees_exactly_its_pages(page: Page, server: StreamlitServer, username) -> None:
    signed_in(page, server, username)
    assert set(nav_titles(page)) == EXPECTED_MENU[username]


def test_text_typed_at_once_is_kept(page: Page, server: StreamlitServer) -> None:
    """What a person types the moment the form appears stays there: no rerun clears it."""
    page.goto(server.url + "/")
    wait_ready(page)
    page.get_by_role("textbox", name="Username").fill("staff")
    page.get_by_role("textbox", name="Password").fill("xeroflow-demo")
    page.wait_for_timeout(2500)  # longer than any rerun a component could cause
    wait_ready(page)
    expect(page.get_by_role("textbox", name="Username")).to_have_value("staff")
    expect(page.get_by_role("textbox", name="Password")).to_have_value("xeroflow-demo")
    page.get_by_role("button", name="Login").click()
    wait_ready(page)
    expect(page.get_by_text("· staff")).to_be_visible()


def test_wrong_password_shows_an_error(page: Page, server: StreamlitServer) -> None:
    sign_in(page, server.url, "staff", "not-the-password")
    expect(page.get_by_text("Username or password is incorrect")).to_be_visible()
    expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)


def test_logout_ends_the_session_on_the_server(
    page: Page, server: StreamlitServer, browser: Browser
) -> None:
    """After logout the page shows the sign-in form, and a copy of the cookie taken before
    logout signs nobody in."""
    signed_in(page, server, "partner")
    copied = session_cookie(page)
    page.get_by_role("button", name="Log out").click()
    wait_ready(page)
    expect(page.get_by_role("button", name="Login")).to_be_visible()
    page.reload()
    wait_ready(page)
    expect(page.get_by_role("button", name="Login")).to_be_visible()
    other = browser.new_context()
    try:
        thief = other.new_page()
        other.add_cookies([copied])
        thief.goto(server.url + "/profitability")
        wait_ready(thief)
        expect(thief.get_by_role("button", name="Login")).to_be_visible()
        expect(thief.get_by_role("heading", name="Profitability")).to_have_count(0)
    finally:
        other.close()


def test_a_disabled_users_cookie_shows_the_sign_in_form(
    page: Page, server: StreamlitServer, browser: Browser
) -> None:
    engine = make_engine(f"sqlite:///{server.db_path}")
    try:
        from xeroflow_core.users import add_user

        add_user(engine, "leaver", "a-long-passphrase-9", "staff")
        signed_in(page, server, "leaver", role="staff", password="a-long-passphrase-9")
        set_disabled(engine, "leaver", True, actor=SYSTEM)
        page.reload()
        wait_ready(page)
        expect(page.get_by_role("button", name="Login")).to_be_visible()
        expect(page.get_by_test_id("stException")).to_have_count(0)
    finally:
        engine.dispose()


def test_staff_typing_profitability_url_sees_no_profitability(
    page: Page, server: StreamlitServer
) -> None:
    signed_in(page, server, "staff")
    page.goto(f"{server.url}/profitability")
    wait_ready(page)
    expect(page.get_by_text("Your role (staff) cannot open Profitability.")).to_be_visible()
    expect(page.get_by_role("heading", name="Profitability")).to_have_count(0)
    expect(page.get_by_role("dialog")).to_have_count(0)  # no "Page not found"
    assert page.url == f"{server.url}/profitability"
    assert "Profitability" not in nav_titles(page)


@pytest.mark.parametrize("username", ["admin", "partner", "staff"])
def test_reload_keeps_every_page(page: Page, server: StreamlitServer, username: str) -> None:
    """Each page of the role, opened by its URL and reloaded, stays that page with its query."""
    signed_in(page, server, username)
    for path in ROLE_PATHS[username]:
        url = f"{server.url}/{path}?probe={path or 'home'}"
        page.goto(url)
        wait_ready(page)
        heading(page, PAGE_HEADINGS[path])
        page.reload()
        wait_ready(page)
        heading(page, PAGE_HEADINGS[path])
        assert page.url == url
        expect(page.get_by_role("dialog")).to_have_count(0)  # no "Page not found"


def test_deep_link_to_a_client_opens_it(page: Page, server: StreamlitServer) -> None:
    engine = make_engine(f"sqlite:///{server.db_path}")
    try:
        client = create_client(engine, SYSTEM, "Deep Link Dental")
    finally:
        engine.dispose()
    signed_in(page, server, "staff")
    url = f"{server.url}/clients?client={client.id}"
    page.goto(url)
    wait_ready(page)
    heading(page, "Deep Link Dental")
    assert page.url == url
    page.reload()
    wait_ready(page)
    heading(page, "Deep Link Dental")


def test_signing_in_on_a_deep_link_opens_that_page(page: Page, server: StreamlitServer) -> None:
    """Signed out, a link to a page shows the form in place; signing in opens that page."""
    url = f"{server.url}/connect?probe=after-sign-in"
    page.goto(url)
    wait_ready(page)
    page.get_by_role("textbox", name="Username").fill("partner")
    page.get_by_role("textbox", name="Password").fill("xeroflow-demo")
    page.get_by_role("button", name="Login").click()
    wait_ready(page)
    heading(page, "Connect")
    assert page.url == url


def test_arriving_from_another_site_keeps_the_page_and_its_query(
    page: Page, server: StreamlitServer
) -> None:
    """How Xero's callback arrives: a navigation from another site, after the session cookie
    was set. The page and its query string are the ones asked for."""
    local = server.url.replace("127.0.0.1", "localhost")  # the host `make run` prints
    sign_in(page, local, "staff")
    expect(page.get_by_text("· staff")).to_be_visible()
    session_cookie(page)
    target = f"{local}/clients?probe=from-elsewhere"
    page.route(
        "http://elsewhere.test/",
        lambda route: route.fulfill(
            content_type="text/html", body=f'<a id="go" href="{target}">back to XeroFlow</a>'
        ),
    )
    page.goto("http://elsewhere.test/")
    page.click("#go")
    page.wait_for_url(re.compile(re.escape(target)))
    wait_ready(page)
    heading(page, "Clients")
    assert page.url == target

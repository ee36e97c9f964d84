"""In a real browser: a client named like markdown is shown as text in
the page title, never a link or a tracking image; odd query-string ids and a huge search show a
message, never an exception box."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.harness import StreamlitServer, signed_in, wait_ready
from tests.support import factories as f
from xeroflow_core import clients as m
from xeroflow_core.actor import SYSTEM
from xeroflow_core.db import make_engine, migrate
from xeroflow_core.text import WORD_JOINER

pytestmark = pytest.mark.e2e

EVIL = "**A** [click to re-login](https://evil.example) ![t](http://127.0.0.1:9/track.png)"


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[StreamlitServer]:
    srv = StreamlitServer(tmp_path_factory.mktemp("hardening"))
    engine = make_engine(f"sqlite:///{srv.db_path}")
    migrate(engine)
    f.organisation(engine)
    cid = f.contact(engine, EVIL)
    f.invoice(engine, cid, [("200", "100.00")], on=date(2026, 10, 1))
    srv.client_id = m.create_client(engine, SYSTEM, EVIL, contacts=[(f.TENANT, cid)]).id
    engine.dispose()
    srv.start()
    yield srv
    srv.stop()


def no_exception(page: Page) -> None:
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_a_markdown_name_is_text_in_the_title(page: Page, server: StreamlitServer) -> None:
    signed_in(page, server, "staff")
    page.goto(f"{server.url}/clients?client={server.client_id}")
    wait_ready(page)
    title = page.locator("h1").first
    expect(title).to_contain_text("click to re-login")
    assert title.inner_text().replace(WORD_JOINER, "").strip() == EVIL  # every character, as text
    main = page.get_by_test_id("stMain")
    expect(main.locator("a[href*='evil.example']")).to_have_count(0)
    expect(main.locator("img[src*='track.png']")).to_have_count(0)
    expect(title.locator("strong")).to_have_count(0)
    no_exception(page)


@pytest.mark.parametrize("raw", ["²", "12345678901234567890", "abc"])
def test_a_bad_client_id_in_the_url_shows_a_message(
    page: Page, server: StreamlitServer, raw: str
) -> None:
    signed_in(page, server, "staff")
    page.goto(f"{server.url}/clients?client={raw}")
    wait_ready(page)
    expect(page.get_by_text("is not a valid client id")).to_be_visible()
    no_exception(page)


def test_a_huge_search_shows_a_message(page: Page, server: StreamlitServer) -> None:
    signed_in(page, server, "staff")
    page.goto(f"{server.url}/clients")
    wait_ready(page)
    box = page.get_by_role("textbox", name="Search")
    box.fill("%" * 50_000)
    box.press("Enter")
    wait_ready(page)
    expect(page.get_by_text("A search is at most 200 characters")).to_be_visible()
    no_exception(page)

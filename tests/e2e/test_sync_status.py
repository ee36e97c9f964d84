"""In a real browser: the Sync Status page shows a finished sync of the demo organisation;
an admin's Resync request is picked up and the page refreshes itself when the worker is done;
a partner sees the same status and no Resync buttons."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.harness import StreamlitServer, signed_in, wait_ready
from tests.support.sync import sandbox_settings, synced_sandbox_db
from xero_sandbox.server import serve_in_thread
from xero_sandbox.testing import sandbox_config
from xeroflow_core.db import make_engine
from xeroflow_core.worker import process_pending

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def sandbox_url() -> Iterator[str]:
    with serve_in_thread(sandbox_config(seed=11, rate_limits=False)) as url:
        yield url


@pytest.fixture(scope="module")
def server(tmp_path_factory, sandbox_url: str) -> Iterator[StreamlitServer]:
    srv = StreamlitServer(
        tmp_path_factory.mktemp("sync"), env={"XEROFLOW_SANDBOX_URL": sandbox_url}
    ).start()
    engine = make_engine(f"sqlite:///{srv.db_path}")
    synced_sandbox_db(engine, sandbox_url)
    engine.dispose()
    yield srv
    srv.stop()


def _open(page: Page, server: StreamlitServer) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Sync Status").click()
    wait_ready(page)
    expect(page.get_by_role("heading", name="Sync Status")).to_be_visible()


def test_admin_sees_finished_sync_and_resyncs(
    page: Page, server: StreamlitServer, sandbox_url: str
) -> None:
    signed_in(page, server, "admin")
    _open(page, server)
    expect(page.get_by_role("heading", name="Demo Agency Ltd")).to_be_visible()
    expect(page.get_by_text("Last successful sync").first).to_be_visible()
    expect(
        page.get_by_test_id("stMetricValue").filter(has_text=re.compile(r" ago$"))
    ).to_have_count(2)
    expect(page.get_by_text("Expense claims unavailable")).to_be_visible()  # the studio refuses
    page.get_by_role("button", name="Resync now").first.click()
    wait_ready(page)
    expect(page.get_by_text("requested (request #")).to_be_visible()
    expect(page.get_by_text("Waiting for the worker")).to_be_visible()
    # The worker (here: in the test process) runs the request; the page refreshes by itself.
    engine = make_engine(f"sqlite:///{server.db_path}")
    assert process_pending(engine, sandbox_settings(sandbox_url)) == 1
    engine.dispose()
    expect(page.get_by_text("Waiting for the worker")).to_have_count(0, timeout=20_000)


def test_partner_sees_status_without_resync_buttons(page: Page, server: StreamlitServer) -> None:
    signed_in(page, server, "partner")
    _open(page, server)
    expect(page.get_by_role("heading", name="Demo Agency Ltd")).to_be_visible()
    expect(page.get_by_text("Daily budget remaining").first).to_be_visible()
    expect(page.get_by_role("button", name="Resync now")).to_have_count(0)
    expect(page.get_by_role("button", name="Full resync")).to_have_count(0)

"""A new user's first steps on `make run` as shipped: its script, sandbox and worker, its
settings, on free ports and a temporary data folder. Sign in as admin, connect Xero through the
menu and the sandbox's consent page, and watch the first sync finish on Sync Status."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.harness import (
    ROOT,
    free_port,
    heading,
    make_run_env,
    session_cookie,
    wait_ready,
)

pytestmark = pytest.mark.e2e


class MakeRun:
    """scripts/run.sh (what `make run` starts) in its own process group."""

    def __init__(self, tmp: Path) -> None:
        self.port, self.sandbox_port = free_port(), free_port()
        self.url = f"http://localhost:{self.port}"  # the address `make run` prints
        self.sandbox_url = f"http://127.0.0.1:{self.sandbox_port}"
        self.log = tmp / "make-run.log"
        self.env = make_run_env(tmp, self.port, self.sandbox_port)
        self.proc: subprocess.Popen | None = None

    def start(self) -> MakeRun:
        self.proc = subprocess.Popen(
            ["bash", "scripts/run.sh"], cwd=ROOT, env=self.env, stdout=self.log.open("w"),
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()[-3000:]
            try:
                if httpx.get(f"{self.url}/_stcore/health", timeout=2).text == "ok":
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise AssertionError("make run's app did not answer: " + self.log.read_text()[-3000:])

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)


@pytest.fixture
def make_run(tmp_path) -> Iterator[MakeRun]:
    run = MakeRun(tmp_path).start()
    yield run
    run.stop()


def test_admin_connects_and_sees_the_first_sync_finish(page: Page, make_run: MakeRun) -> None:
    page.goto(make_run.url)
    wait_ready(page)
    page.get_by_role("textbox", name="Username").fill("admin")
    page.get_by_role("textbox", name="Password").fill("xeroflow-demo")
    page.get_by_role("button", name="Login").click()
    wait_ready(page)
    session_cookie(page)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Connect").click()
    wait_ready(page)
    heading(page, "Connect")
    page.get_by_role("link", name="Connect Xero").click()
    page.wait_for_url(re.compile(re.escape(make_run.sandbox_url) + "/identity/connect/authorize"))
    boxes = page.locator("input[name=tenant]")
    organisations = boxes.count()
    assert organisations == 2  # the demo's two organisations, both ticked
    for i in range(organisations):
        boxes.nth(i).check()
    page.get_by_role("button", name="Allow access").click()
    page.wait_for_url(re.compile(re.escape(make_run.url) + "/connect"))
    wait_ready(page)
    expect(page.get_by_text("Connected to Xero:")).to_be_visible(timeout=30_000)
    heading(page, "Connect")
    assert "code=" not in page.url
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Sync Status").click()
    wait_ready(page)
    heading(page, "Sync Status")
    # each organisation's first sync finishes while the page is open
    finished = page.get_by_test_id("stMetricValue").filter(has_text=re.compile(r" ago$"))
    expect(finished).to_have_count(organisations, timeout=240_000)
    expect(page.get_by_test_id("stException")).to_have_count(0)

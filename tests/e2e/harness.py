"""Browser-test harness: a real `streamlit run` on a free loopback port, driven by Debian's chromium.

`StreamlitServer` starts app.py with its own SQLite database (and, when given, the sandbox URL).
Tests use `signed_in(page, server, "staff")` to log in as a demo user.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
DEMO_PASSWORD = "xeroflow-demo"
COOKIE_NAME = "xeroflow_auth"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StreamlitServer:
    """`streamlit run app.py` in a subprocess, its output in a file (no pipe to fill up)."""

    def __init__(self, tmp: Path, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db_path = tmp / "e2e.db"
        self.log_path = tmp / "streamlit.log"
        self.env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{self.db_path}",
            "XERO_REDIRECT_URI": f"{self.url}/connect",
            **(env or {}),
        }
        self.proc: subprocess.Popen | None = None

    def start(self) -> StreamlitServer:
        # migrate and create demo users up front, as `make run` does
        subprocess.run(
            [sys.executable, "-m", "xeroflow_core", "setup"],
            cwd=ROOT, env=self.env, check=True, capture_output=True,
        )  # fmt: skip
        log = self.log_path.open("w")
        self.proc = subprocess.Popen(
            [
                sys.executable, "-m", "streamlit", "run", "app.py",
                "--server.headless=true", "--server.address=127.0.0.1",
                f"--server.port={self.port}", "--browser.gatherUsageStats=false",
                "--server.fileWatcherType=none", "--server.runOnSave=false",
            ],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited: {self.log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/_stcore/health", timeout=2).text == "ok":
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError("streamlit did not become healthy in 60 s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def make_run_env(tmp: Path, port: int, sandbox_port: int) -> dict[str, str]:
    """The environment `make run` gets on a fresh machine (no XEROFLOW_ or XERO_ settings),
    pointed at a temporary database and run folder and at free ports."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("XEROFLOW_", "XERO_"))},
        "DATABASE_URL": f"sqlite:///{tmp / 'run.db'}",
        "XEROFLOW_RUN_DIR": str(tmp),
        "PORT": str(port),
        "SANDBOX_PORT": str(sandbox_port),
        "BIN": str(ROOT / ".venv" / "bin"),
    }


def wait_ready(page: Page) -> None:
    """Wait until the app is connected, the script has finished, and nothing is loading."""
    page.locator("[data-testid='stApp'][data-test-connection-state='CONNECTED']").wait_for()
    page.locator("[data-testid='stApp'][data-test-script-state='notRunning']").wait_for()
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0)


def sign_in(page: Page, base_url: str, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(base_url + "/")
    wait_ready(page)
    page.get_by_role("textbox", name="Username").fill(username)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Login").click()
    wait_ready(page)


def signed_in(
    page: Page,
    server: StreamlitServer,
    username: str,
    *,
    role: str | None = None,
    password: str = DEMO_PASSWORD,
) -> Page:
    """Sign in through the form and wait until the browser holds the session cookie."""
    sign_in(page, server.url, username, password)
    expect(page.get_by_text(f"· {role or username_role(username)}")).to_be_visible()
    session_cookie(page)
    return page


def session_cookie(page: Page, seconds: float = 20) -> dict:
    """The browser's XeroFlow session cookie, once the page has written it."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for cookie in page.context.cookies():
            if cookie["name"] == COOKIE_NAME:
                return cookie
        page.wait_for_timeout(100)
    raise AssertionError("the session cookie was not set")


def heading(page: Page, title: str) -> None:
    """The page's title is `title` (a count in brackets may follow it)."""
    name = re.compile("^" + re.escape(title) + r"( \(\d+\))?$")
    expect(page.get_by_role("heading", name=name).first).to_be_visible()


def username_role(username: str) -> str:
    return {"admin": "admin", "partner": "partner", "staff": "staff"}[username]


def nav_titles(page: Page) -> list[str]:
    nav = page.get_by_test_id("stSidebarNav")
    # each link reads "<icon name>\n\n<title>": the title is the last line
    return [t.strip().splitlines()[-1] for t in nav.get_by_role("link").all_inner_texts()]

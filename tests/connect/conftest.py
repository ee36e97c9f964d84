"""A sandbox over real HTTP per test module, and Settings pointing at it."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from xero_sandbox.server import serve_in_thread
from xero_sandbox.state import Sandbox
from xero_sandbox.testing import sandbox_config
from xeroflow_core.settings import Settings, load_settings


@pytest.fixture(scope="module")
def sandbox_app() -> Iterator[tuple[str, Sandbox]]:
    with serve_in_thread(sandbox_config(seed=7)) as url:
        yield url, serve_in_thread.last_app.state.sandbox  # type: ignore[attr-defined]


@pytest.fixture
def sandbox_url(sandbox_app) -> str:
    return sandbox_app[0]


@pytest.fixture
def sandbox(sandbox_app) -> Sandbox:
    return sandbox_app[1]


@pytest.fixture
def settings(sandbox_url: str) -> Settings:
    return dataclasses.replace(
        load_settings(),
        xero_login_url=sandbox_url,
        xero_identity_url=sandbox_url,
        xero_api_url=sandbox_url,
        xero_redirect_uri="http://localhost:8501/connect",
    )


def token_calls(sandbox: Sandbox) -> int:
    """Requests that reached the sandbox's token endpoint so far."""
    return sum(1 for e in list(sandbox.access_log) if e["path"] == "/connect/token")

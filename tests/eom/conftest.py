"""EOM push tests: one sandbox over real HTTP per module, reset before each test, and a test
database connected to it the way an admin would (consent over HTTP)."""

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
def sandbox(sandbox_app) -> Sandbox:
    sb = sandbox_app[1]
    sb.reset()
    sb.access_log.clear()
    return sb


@pytest.fixture
def settings(sandbox_app, sandbox) -> Settings:
    url = sandbox_app[0]
    return dataclasses.replace(
        load_settings(),
        xero_login_url=url,
        xero_identity_url=url,
        xero_api_url=url,
        sandbox_url=url,
        xero_redirect_uri="http://localhost:8501/connect",
    )

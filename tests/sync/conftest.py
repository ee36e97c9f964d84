"""A sandbox over real HTTP per test module, faults and limits cleared before each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from xero_sandbox.server import serve_in_thread
from xero_sandbox.state import Sandbox
from xero_sandbox.testing import sandbox_config
from xeroflow_core.xero.client import reset_governors


@pytest.fixture(scope="module")
def sandbox_app() -> Iterator[tuple[str, Sandbox]]:
    with serve_in_thread(sandbox_config(seed=11)) as url:
        yield url, serve_in_thread.last_app.state.sandbox  # type: ignore[attr-defined]


@pytest.fixture
def sandbox(sandbox_app) -> Sandbox:
    sb = sandbox_app[1]
    sb.faults.clear()
    sb.limits.clear()
    reset_governors()
    sb.config.rate_limits = True
    for org in sb.orgs.values():
        if org.name == "Demo Agency Ltd":
            org.classic_expenses = "enabled"
    yield sb
    sb.faults.clear()


@pytest.fixture
def sandbox_url(sandbox_app, sandbox) -> str:
    return sandbox_app[0]


def tenant_named(sb: Sandbox, name: str) -> str:
    return next(t for t, o in sb.orgs.items() if o.name == name)


def api_calls(sb: Sandbox, tenant: str | None = None) -> int:
    """Accounting API requests that reached the sandbox (for one tenant, or all)."""
    return sum(
        1
        for e in list(sb.access_log)
        if e["path"].startswith("/api.xro/") and (tenant is None or e["tenant"] == tenant)
    )

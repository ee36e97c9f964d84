"""Fixtures for the sandbox tests: an in-process app, a sync httpx client, and a connect helper
that walks the consent page and code exchange like a browser plus an app would."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from xero_sandbox.app import SandboxConfig, create_app
from xero_sandbox.server import sandbox_transport
from xero_sandbox.testing import HEADERS as CONTROL_HEADERS
from xero_sandbox.testing import sandbox_config

REDIRECT = "http://localhost:8501/callback"
BROAD = "openid profile email offline_access accounting.transactions accounting.settings accounting.contacts accounting.reports.read"
GRANULAR = "openid profile email offline_access accounting.settings.read accounting.contacts accounting.invoices accounting.reports.profitandloss.read accounting.classicexpenses.read"
AS_OF = date(2026, 11, 26)


@dataclass
class Connected:
    access_token: str
    refresh_token: str
    token: dict[str, Any]
    tenants: dict[str, str]  # name -> tenant id

    @property
    def agency(self) -> str:
        return self.tenants["Demo Agency Ltd"]

    @property
    def studio(self) -> str:
        return self.tenants["Demo Studio Pty"]

    def headers(self, tenant: str | None = None) -> dict[str, str]:
        h = {"Authorization": f"Bearer {self.access_token}", "Accept": "application/json"}
        if tenant:
            h["xero-tenant-id"] = tenant
        return h


def authorize_code(
    client: httpx.Client,
    scope: str = BROAD,
    tenants: list[str] | None = None,
    challenge: str | None = None,
    state: str = "st",
) -> str:
    params = {
        "response_type": "code",
        "client_id": "xeroflow-demo",
        "redirect_uri": REDIRECT,
        "scope": scope,
        "state": state,
    }
    if challenge:
        params.update(code_challenge=challenge, code_challenge_method="S256")
    page = client.get("/identity/connect/authorize", params=params)
    assert page.status_code == 200, page.text
    form = {
        k: v
        for k, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text)
    }
    import html

    form = {k: html.unescape(v) for k, v in form.items()}
    ticked = re.findall(r'name="tenant" value="([^"]+)" checked', page.text)
    data: dict[str, Any] = dict(
        form, tenant=tenants if tenants is not None else ticked, action="allow"
    )
    resp = client.post("/identity/connect/authorize", data=data, follow_redirects=False)
    assert resp.status_code == 302, resp.text
    q = parse_qs(urlparse(resp.headers["location"]).query)
    assert q["state"] == [state]
    return q["code"][0]


def connect(
    client: httpx.Client, scope: str = BROAD, tenants: list[str] | None = None
) -> Connected:
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    code = authorize_code(client, scope, tenants, challenge)
    tok = client.post(
        "/connect/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
        auth=("xeroflow-demo", "xeroflow-demo-secret"),
    )
    assert tok.status_code == 200, tok.text
    body = tok.json()
    conns = client.get(
        "/connections", headers={"Authorization": f"Bearer {body['access_token']}"}
    ).json()
    return Connected(
        body["access_token"],
        body.get("refresh_token", ""),
        body,
        {c["tenantName"]: c["tenantId"] for c in conns},
    )


def make_client(config: SandboxConfig | None = None) -> tuple[Any, httpx.Client]:
    app = create_app(config or sandbox_config(as_of=AS_OF, frozen_clock=True, size="demo"))
    return app, httpx.Client(
        transport=sandbox_transport(app), base_url="http://sandbox.test", headers=CONTROL_HEADERS
    )


@pytest.fixture(scope="module")
def shared() -> Iterator[tuple[Any, httpx.Client, Connected]]:
    """One demo sandbox per module, rate limits off, for read-only tests."""
    app, client = make_client(sandbox_config(as_of=AS_OF, frozen_clock=True, rate_limits=False))
    with client:
        yield app, client, connect(client)


@pytest.fixture()
def fresh() -> Iterator[tuple[Any, httpx.Client, Connected]]:
    """A new small sandbox per test (rate limits on), for tests that change state."""
    app, client = make_client(sandbox_config(as_of=AS_OF, frozen_clock=True, size="small"))
    with client:
        yield app, client, connect(client)

"""A real OAuth client (authlib's httpx OAuth2Client) over real HTTP against serve_in_thread:
code flow with PKCE S256, refresh, and reuse of a rotated refresh token inside and outside the
30-minute grace period."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import httpx
import jwt
import pytest
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import OAuth2Client

from xero_sandbox.server import serve_in_thread
from xero_sandbox.testing import control, sandbox_config

from .conftest import BROAD, GRANULAR

REDIRECT = "http://localhost:8501/oauth/callback"


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve_in_thread(sandbox_config(size="small", frozen_clock=True)) as url:
        yield url


def _consent(url: str) -> str:
    """What the browser does: open the consent page, keep the ticked orgs, press Allow access."""
    with httpx.Client() as browser:
        page = browser.get(url)
        assert page.status_code == 200 and "Allow access" in page.text
        form = {
            k: html.unescape(v)
            for k, v in re.findall(
                r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text
            )
        }
        form["tenant"] = re.findall(r'name="tenant" value="([^"]+)" checked', page.text)
        form["action"] = "allow"
        done = browser.post(str(page.url.copy_with(query=None)), data=form, follow_redirects=False)
        assert done.status_code == 302
        return done.headers["location"]


def _flow(base_url: str, scope: str) -> tuple[OAuth2Client, dict]:
    client = OAuth2Client(
        "xeroflow-demo",
        "xeroflow-demo-secret",
        scope=scope,
        redirect_uri=REDIRECT,
        code_challenge_method="S256",
    )
    verifier = generate_token(48)
    url, state = client.create_authorization_url(
        f"{base_url}/identity/connect/authorize", code_verifier=verifier
    )
    callback = _consent(url)
    assert f"state={state}" in callback
    token = client.fetch_token(
        f"{base_url}/connect/token", authorization_response=callback, code_verifier=verifier
    )
    return client, token


@pytest.mark.parametrize("scope", [BROAD, GRANULAR], ids=["broad", "granular"])
def test_code_flow_pkce_and_api_call(base_url, scope):
    client, token = _flow(base_url, scope)
    assert token["expires_in"] == 1800 and token["refresh_token"]
    jwk = jwt.PyJWKClient(
        f"{base_url}/.well-known/openid-configuration/jwks"
    ).get_signing_key_from_jwt(token["id_token"])
    claims = jwt.decode(
        token["id_token"],
        jwk.key,
        algorithms=["RS256"],
        audience="xeroflow-demo",
        issuer="https://identity.xero.com",
    )
    assert claims["xero_userid"]
    conns = client.get(f"{base_url}/connections").json()
    tenant = next(c["tenantId"] for c in conns if c["tenantName"] == "Demo Agency Ltd")
    r = client.get(
        f"{base_url}/api.xro/2.0/Invoices",
        params={"page": 1},
        headers={"xero-tenant-id": tenant, "Accept": "application/json"},
    )
    assert r.status_code == 200 and r.json()["Invoices"]
    client.close()


def test_refresh_rotation_grace_period_over_http(base_url):
    client, token = _flow(base_url, BROAD)
    old_rt = token["refresh_token"]
    new = client.refresh_token(f"{base_url}/connect/token", refresh_token=old_rt)
    assert new["refresh_token"] != old_rt and new["access_token"] != token["access_token"]
    # The response was "lost": reuse the rotated-away token inside the grace period.
    control(base_url, "/_sandbox/clock", {"advance_seconds": 25 * 60})
    again = client.refresh_token(f"{base_url}/connect/token", refresh_token=old_rt)
    assert again["access_token"]
    # Outside the grace period: invalid_grant.
    control(base_url, "/_sandbox/clock", {"advance_seconds": 6 * 60})
    with pytest.raises(OAuthError) as err:
        client.refresh_token(f"{base_url}/connect/token", refresh_token=old_rt)
    assert err.value.error == "invalid_grant"
    latest = client.refresh_token(f"{base_url}/connect/token", refresh_token=again["refresh_token"])
    assert latest["refresh_token"]
    client.close()

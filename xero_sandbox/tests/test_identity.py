"""Identity service: consent page, code exchange with PKCE, refresh rotation and its grace
period, 60-day expiry, revocation, connections, and the contract's error shapes."""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import parse_qs, urlparse

import jwt

from xero_sandbox.testing import sandbox_config

from .conftest import AS_OF, BROAD, REDIRECT, authorize_code, connect, make_client

BASIC = ("xeroflow-demo", "xeroflow-demo-secret")


def _refresh(client, rt, auth=BASIC, **extra):
    return client.post(
        "/connect/token",
        data={"grant_type": "refresh_token", "refresh_token": rt, **extra},
        auth=auth,
    )


def test_consent_page_lists_orgs_and_buttons(fresh):
    _, client, _ = fresh
    page = client.get(
        "/identity/connect/authorize",
        params={
            "response_type": "code",
            "client_id": "xeroflow-demo",
            "redirect_uri": "http://127.0.0.1:9999/x",
            "scope": BROAD,
            "state": "a",
        },
    )
    assert page.status_code == 200
    assert ">Allow access</button>" in page.text and ">Cancel</button>" in page.text
    assert page.text.count('type="checkbox"') == 2 and page.text.count(" checked") == 2
    assert "Demo Agency Ltd" in page.text and "Demo Studio Pty" in page.text


def test_cancel_redirects_access_denied(fresh):
    _, client, _ = fresh
    r = client.post(
        "/identity/connect/authorize",
        data={
            "response_type": "code",
            "client_id": "xeroflow-demo",
            "redirect_uri": REDIRECT,
            "scope": BROAD,
            "state": "zz",
            "action": "cancel",
        },
        follow_redirects=False,
    )
    assert r.status_code == 302
    assert parse_qs(urlparse(r.headers["location"]).query) == {
        "error": ["access_denied"],
        "state": ["zz"],
    }


def test_bad_parameters_show_error_page_not_redirect(fresh):
    _, client, _ = fresh
    base = {
        "response_type": "code",
        "client_id": "xeroflow-demo",
        "redirect_uri": REDIRECT,
        "scope": BROAD,
    }
    for bad in (
        {"client_id": "nope"},
        {"redirect_uri": "https://evil.example/cb"},
        {"scope": "openid bogus.scope"},
    ):
        r = client.get("/identity/connect/authorize", params=base | bad, follow_redirects=False)
        assert r.status_code == 400 and "location" not in r.headers


def test_granular_only_app_refuses_broad_scopes():
    _, client = make_client(sandbox_config(as_of=AS_OF, size="small", granular_only=True))
    r = client.get(
        "/identity/connect/authorize",
        params={
            "response_type": "code",
            "client_id": "xeroflow-demo",
            "redirect_uri": REDIRECT,
            "scope": "openid accounting.transactions",
        },
    )
    assert r.status_code == 400 and "invalid_scope" in r.text
    r = client.get(
        "/identity/connect/authorize",
        params={
            "response_type": "code",
            "client_id": "xeroflow-demo",
            "redirect_uri": REDIRECT,
            "scope": "openid accounting.invoices accounting.settings.read",
        },
    )
    assert r.status_code == 200


def test_token_response_and_jwt_claims(fresh):
    app, client, conn = fresh
    tok = conn.token
    assert (
        tok["expires_in"] == 1800
        and tok["token_type"] == "Bearer"
        and "offline_access" in tok["scope"].split()
    )
    jwks = client.get("/.well-known/openid-configuration/jwks").json()
    key = jwt.PyJWK(jwks["keys"][0]).key
    claims = jwt.decode(
        tok["access_token"],
        key,
        algorithms=["RS256"],
        audience="https://identity.xero.com/resources",
        options={"verify_exp": False, "verify_nbf": False},
    )
    for c in (
        "xero_userid",
        "authentication_event_id",
        "scope",
        "client_id",
        "sub",
        "auth_time",
        "global_session_id",
        "jti",
        "exp",
        "nbf",
    ):
        assert c in claims
    assert claims["iss"] == "https://identity.xero.com"
    idc = jwt.decode(
        tok["id_token"],
        key,
        algorithms=["RS256"],
        audience="xeroflow-demo",
        options={"verify_exp": False, "verify_nbf": False, "verify_iat": False},
    )
    assert idc["email"] == "demo@xeroflow.example" and idc["xero_userid"] == claims["xero_userid"]
    conns = client.get(
        "/connections",
        params={"authEventId": claims["authentication_event_id"]},
        headers={"Authorization": f"Bearer {conn.access_token}"},
    )
    assert len(conns.json()) == 2
    assert (
        set(conns.headers) >= {"x-appminlimit-remaining"}
        and "x-daylimit-remaining" not in conns.headers
    )
    assert (
        client.get(
            "/connections",
            params={"authEventId": "00000000-0000-0000-0000-000000000000"},
            headers={"Authorization": f"Bearer {conn.access_token}"},
        ).json()
        == []
    )
    row = conns.json()[0]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}", row["createdDateUtc"])


def test_code_is_single_use_and_expires(fresh):
    app, client, _ = fresh
    code = authorize_code(client)
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    assert client.post("/connect/token", data=data, auth=BASIC).status_code == 200
    again = client.post("/connect/token", data=data, auth=BASIC)
    assert again.status_code == 400 and again.json() == {"error": "invalid_grant"}
    code = authorize_code(client)
    client.post("/_sandbox/clock", json={"advance_seconds": 301})
    late = client.post("/connect/token", data=data | {"code": code}, auth=BASIC)
    assert late.json() == {"error": "invalid_grant"}


def test_pkce_verifier_checked_and_client_auth_in_body(fresh):
    _, client, _ = fresh
    verifier = "v" * 50
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    code = authorize_code(client, challenge=challenge)
    wrong = client.post(
        "/connect/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": "w" * 50,
            "client_id": "xeroflow-demo",
            "client_secret": "xeroflow-demo-secret",
        },
    )
    assert wrong.status_code == 400 and wrong.json() == {"error": "invalid_grant"}
    code = authorize_code(client, challenge=challenge)
    ok = client.post(
        "/connect/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
            "client_id": "xeroflow-demo",
            "client_secret": "xeroflow-demo-secret",
        },
    )
    assert ok.status_code == 200
    # A PKCE client may omit its secret.
    code = authorize_code(client, challenge=challenge)
    public = client.post(
        "/connect/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
            "client_id": "xeroflow-demo",
        },
    )
    assert public.status_code == 200


def test_token_errors(fresh):
    _, client, conn = fresh
    assert client.post(
        "/connect/token",
        data={"grant_type": "refresh_token", "refresh_token": conn.refresh_token},
        auth=("xeroflow-demo", "wrong"),
    ).json() == {"error": "invalid_client"}
    assert client.post("/connect/token", data={"grant_type": "password"}, auth=BASIC).json() == {
        "error": "unsupported_grant_type"
    }
    assert _refresh(client, "garbage").json() == {"error": "invalid_grant"}


def test_refresh_rotation_grace_and_expiry(fresh):
    _, client, conn = fresh
    first = _refresh(client, conn.refresh_token)
    assert first.status_code == 200
    rt2 = first.json()["refresh_token"]
    assert rt2 != conn.refresh_token
    # The superseded token still works inside the grace period, as often as needed.
    client.post("/_sandbox/clock", json={"advance_seconds": 29 * 60})
    assert _refresh(client, conn.refresh_token).status_code == 200
    assert _refresh(client, conn.refresh_token).status_code == 200
    client.post("/_sandbox/clock", json={"advance_seconds": 2 * 60})
    late = _refresh(client, conn.refresh_token)
    assert late.status_code == 400 and late.json() == {"error": "invalid_grant"}
    assert _refresh(client, rt2).status_code == 200  # the newer one lives on
    # An unused refresh token dies after 60 days.
    rt = _refresh(client, rt2).json()["refresh_token"]
    client.post("/_sandbox/clock", json={"advance_seconds": 60 * 86400 + 1})
    assert _refresh(client, rt).json() == {"error": "invalid_grant"}


def test_revocation_kills_chain_and_connections(fresh):
    _, client, conn = fresh
    r = client.post("/connect/revocation", data={"token": conn.refresh_token}, auth=BASIC)
    assert r.status_code == 200 and r.content == b""
    assert _refresh(client, conn.refresh_token).json() == {"error": "invalid_grant"}
    assert (
        client.get("/connections", headers={"Authorization": f"Bearer {conn.access_token}"}).json()
        == []
    )
    inv = client.get("/api.xro/2.0/Invoices", headers=conn.headers(conn.agency))
    assert inv.status_code == 403 and inv.json()["Detail"] == "AuthenticationUnsuccessful"


def test_delete_connection_and_reconnect_keeps_tenant(fresh):
    _, client, conn = fresh
    auth = {"Authorization": f"Bearer {conn.access_token}"}
    rows = client.get("/connections", headers=auth).json()
    studio = next(c for c in rows if c["tenantName"] == "Demo Studio Pty")
    assert (
        client.delete(f"/connections/{studio['tenantId']}", headers=auth).status_code == 404
    )  # tenant id is not the connection id
    assert client.delete(f"/Connections/{studio['id']}", headers=auth).status_code == 204
    assert (
        client.get("/api.xro/2.0/Organisation", headers=conn.headers(conn.studio)).status_code
        == 403
    )
    assert (
        client.get("/api.xro/2.0/Organisation", headers=conn.headers(conn.agency)).status_code
        == 200
    )
    assert (
        _refresh(client, conn.refresh_token).status_code == 200
    )  # token still good for the others
    again = connect(client)
    rows2 = client.get(
        "/connections", headers={"Authorization": f"Bearer {again.access_token}"}
    ).json()
    studio2 = next(c for c in rows2 if c["tenantName"] == "Demo Studio Pty")
    assert studio2["tenantId"] == studio["tenantId"] and studio2["id"] != studio["id"]
    assert studio2["createdDateUtc"] == studio["createdDateUtc"]


def test_discovery_document(fresh):
    _, client, _ = fresh
    d = client.get("/.well-known/openid-configuration").json()
    assert d["issuer"] == "https://identity.xero.com"
    assert d["token_endpoint"].endswith("/connect/token") and d["authorization_endpoint"].endswith(
        "/identity/connect/authorize"
    )
    assert "S256" in d["code_challenge_methods_supported"]

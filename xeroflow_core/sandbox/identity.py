"""Xero's identity service: the consent page, /connect/token, revocation, discovery and JWKS.

Authorization codes are single-use and expire after 5 minutes; refresh tokens rotate on every
use, a superseded one is honoured for a 30-minute grace period, an unused one dies after 60
days; access and id tokens are RS256 JWTs with Xero's claims. Errors use the contract's shapes.
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import jwt
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from .state import Sandbox
from .store import AccessRecord, AuthCode, Connection, Grant, RefreshRecord

OIDC = {"openid", "profile", "email", "offline_access"}
BROAD = {
    "accounting.transactions",
    "accounting.transactions.read",
    "accounting.contacts",
    "accounting.contacts.read",
    "accounting.settings",
    "accounting.settings.read",
    "accounting.attachments",
    "accounting.attachments.read",
    "accounting.reports.read",
    "accounting.reports.tenninetynine.read",
    "accounting.journals.read",
    "accounting.budgets.read",
    "paymentservices",
}
GRANULAR = {
    f"accounting.{n}{s}"
    for n in ("invoices", "payments", "banktransactions", "manualjournals", "classicexpenses")
    for s in ("", ".read")
} | {
    f"accounting.reports.{r}.read"
    for r in (
        "profitandloss",
        "aged",
        "balancesheet",
        "banksummary",
        "budgetsummary",
        "executivesummary",
        "trialbalance",
        "taxreports",
    )
}
# Scopes that exist in both families.
SHARED = {
    "accounting.contacts",
    "accounting.contacts.read",
    "accounting.settings",
    "accounting.settings.read",
    "accounting.attachments",
    "accounting.attachments.read",
    "accounting.journals.read",
    "accounting.budgets.read",
}
ACCESS_AUD = "https://identity.xero.com/resources"


def sb_of(request: Request) -> Sandbox:
    return request.app.state.sandbox


def _error_page(message: str, status: int = 400) -> HTMLResponse:
    body = f"<!doctype html><html><head><title>Xero sandbox: error</title></head><body><h1>Sorry, something went wrong</h1><p id='error'>{html.escape(message)}</p></body></html>"
    return HTMLResponse(body, status_code=status)


def _check_authorize(sb: Sandbox, p: dict[str, str]) -> str | None:
    """Why these authorize parameters cannot be accepted (shown on Xero's side), or None."""
    if p.get("client_id") not in sb.config.clients:
        return "unauthorized_client: Unknown client or client not enabled"
    if not sb.config.redirect_allowed(p["client_id"], p.get("redirect_uri", "")):
        return "invalid_request: Invalid redirect_uri"
    if p.get("response_type") != "code":
        return "unsupported_response_type"
    scopes = p.get("scope", "").split()
    if not scopes:
        return "invalid_scope: Invalid scope for client"
    for s in scopes:
        if s not in OIDC | BROAD | GRANULAR:
            return f"invalid_scope: Invalid scope for client ({s})"
        if sb.config.granular_only and s in BROAD - SHARED:
            return f"invalid_scope: Invalid scope for client ({s})"
    method = p.get("code_challenge_method")
    if p.get("code_challenge") and method not in (None, "", "S256", "plain"):
        return "invalid_request: code_challenge_method"
    return None


FIELDS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "nonce",
    "acr_values",
)


def _consent_page(sb: Sandbox, p: dict[str, str], note: str = "") -> HTMLResponse:
    user = sb.demo_user
    single = "bulk_connect:false" in p.get("acr_values", "")
    kind = "radio" if single else "checkbox"
    hidden = "".join(
        f'<input type="hidden" name="{f}" value="{html.escape(p[f])}">' for f in FIELDS if p.get(f)
    )
    orgs = "".join(
        f'<li><label><input type="{kind}" name="tenant" value="{o.tenant_id}"{" checked" if (not single or i == 0) else ""}> {html.escape(o.name)} ({o.base_currency})</label></li>'
        for i, o in enumerate(sb.orgs.values())
        if o.tenant_id in user.tenant_ids
    )
    scopes = "".join(f"<li>{html.escape(s)}</li>" for s in p.get("scope", "").split())
    body = f"""<!doctype html><html><head><meta charset="utf-8"><title>Xero sandbox: allow access</title></head>
<body><h1>{html.escape(p["client_id"])} wants to access your Xero data</h1>
<p>Signed in as {html.escape(user.given_name)} {html.escape(user.family_name)} ({html.escape(user.email)}) on the local Xero sandbox.</p>
{f'<p id="note">{html.escape(note)}</p>' if note else ""}
<form method="post" action="/identity/connect/authorize">{hidden}
<h2>Organisations</h2><ul>{orgs}</ul>
<h2>Permissions</h2><ul>{scopes}</ul>
<button type="submit" name="action" value="allow">Allow access</button>
<button type="submit" name="action" value="cancel">Cancel</button>
</form></body></html>"""
    return HTMLResponse(body)


async def authorize_get(request: Request) -> Response:
    sb = sb_of(request)
    p = dict(request.query_params)
    problem = _check_authorize(sb, p)
    if problem:
        return _error_page(problem)
    return _consent_page(sb, p)


def _redirect(uri: str, params: dict[str, str]) -> RedirectResponse:
    sep = "&" if "?" in uri else "?"
    return RedirectResponse(uri + sep + urlencode(params), status_code=302)


async def authorize_post(request: Request) -> Response:
    sb = sb_of(request)
    form = await request.form()
    p = {f: str(form.get(f)) for f in FIELDS if form.get(f) is not None}
    problem = _check_authorize(sb, p)
    if problem:
        return _error_page(problem)
    extra = {"state": p["state"]} if p.get("state") else {}
    if form.get("action") != "allow":
        return _redirect(p["redirect_uri"], {"error": "access_denied", **extra})
    user = sb.demo_user
    tenants = [str(t) for t in form.getlist("tenant") if str(t) in user.tenant_ids]
    if not tenants:
        return _consent_page(sb, p, "Choose at least one organisation to connect.")
    code = secrets.token_urlsafe(32)
    with sb.lock:
        sb.identity.codes[code] = AuthCode(
            code,
            p["client_id"],
            p["redirect_uri"],
            p["scope"].split(),
            user.id,
            tenants,
            sb.now() + timedelta(seconds=sb.config.code_lifetime_s),
            p.get("code_challenge"),
            p.get("code_challenge_method") or ("plain" if p.get("code_challenge") else None),
            p.get("nonce"),
        )
    return _redirect(p["redirect_uri"], {"code": code, **extra})


def _oauth_error(error: str, status: int = 400, description: str | None = None) -> JSONResponse:
    body = {"error": error}
    if description:
        body["error_description"] = description
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


def _client_auth(request: Request, form: Any) -> tuple[str | None, str | None]:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("basic "):
        try:
            cid, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
        except Exception:
            return None, None
        from urllib.parse import unquote

        return unquote(cid), unquote(secret)
    cid = form.get("client_id")
    secret = form.get("client_secret")
    return (str(cid) if cid else None), (str(secret) if secret is not None else None)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _connect(sb: Sandbox, grant: Grant, tenant_ids: list[str], now: datetime) -> None:
    """Connect tenants for this user and app: a reconnect gets a new id, same tenant id."""
    conns = sb.identity.connections
    for tid in tenant_ids:
        existing = next(
            (
                c
                for c in conns.values()
                if c.tenant_id == tid
                and c.user_id == grant.user_id
                and c.client_id == grant.client_id
            ),
            None,
        )
        if existing:
            existing.auth_event_id, existing.updated = grant.auth_event_id, now
            continue
        first = sb.identity.first_connected.setdefault((grant.user_id, grant.client_id, tid), now)
        cid = str(uuid.uuid4())
        conns[cid] = Connection(
            cid, tid, grant.user_id, grant.client_id, grant.auth_event_id, first, now
        )


def _issue(sb: Sandbox, grant: Grant, nonce: str | None = None) -> dict[str, Any]:
    """A token response for the grant: access JWT, id JWT (openid), refresh token (offline)."""
    now = sb.now()
    user = sb.identity.users[grant.user_id]
    exp = now + timedelta(seconds=sb.config.access_lifetime_s)
    jti = uuid.uuid4().hex
    claims = {
        "nbf": int(now.timestamp()),
        "exp": int(exp.timestamp()),
        "iss": sb.config.issuer,
        "aud": ACCESS_AUD,
        "client_id": grant.client_id,
        "sub": user.id.replace("-", ""),
        "auth_time": int(grant.auth_time.timestamp()),
        "xero_userid": user.id,
        "global_session_id": grant.session_id,
        "sid": grant.session_id,
        "jti": jti,
        "authentication_event_id": grant.auth_event_id,
        "scope": list(grant.scope),
    }
    headers = {"kid": sb.kid, "typ": "JWT"}
    access = jwt.encode(claims, sb.key, algorithm="RS256", headers=headers)
    sb.identity.access[jti] = AccessRecord(jti, grant.id, exp)
    out: dict[str, Any] = {
        "access_token": access,
        "expires_in": sb.config.access_lifetime_s,
        "token_type": "Bearer",
        "scope": " ".join(grant.scope),
    }
    if "openid" in grant.scope:
        idc = {
            "nbf": int(now.timestamp()),
            "exp": int((now + timedelta(minutes=5)).timestamp()),
            "iat": int(now.timestamp()),
            "iss": sb.config.issuer,
            "aud": grant.client_id,
            "sub": user.id.replace("-", ""),
            "auth_time": int(grant.auth_time.timestamp()),
            "xero_userid": user.id,
            "global_session_id": grant.session_id,
            "sid": grant.session_id,
            "at_hash": _b64(hashlib.sha256(access.encode()).digest()[:16]),
        }
        if nonce:
            idc["nonce"] = nonce
        if "email" in grant.scope:
            idc.update({"email": user.email, "preferred_username": user.email})
        if "profile" in grant.scope:
            idc.update({"given_name": user.given_name, "family_name": user.family_name})
        out["id_token"] = jwt.encode(idc, sb.key, algorithm="RS256", headers=headers)
    if "offline_access" in grant.scope:
        rt = secrets.token_hex(32)
        sb.identity.refresh[rt] = RefreshRecord(rt, grant.id, now)
        out["refresh_token"] = rt
    return out


def _verify_pkce(code: AuthCode, verifier: str | None) -> bool:
    if not code.code_challenge:
        return True
    if not verifier:
        return False
    if code.code_challenge_method == "S256":
        return secrets.compare_digest(
            _b64(hashlib.sha256(verifier.encode()).digest()), code.code_challenge
        )
    return secrets.compare_digest(verifier, code.code_challenge)


async def token(request: Request) -> Response:
    sb = sb_of(request)
    form = await request.form()
    client_id, secret = _client_auth(request, form)
    reg = sb.config.clients.get(client_id or "")
    if reg is None or (secret is not None and not secrets.compare_digest(secret, reg[0])):
        return _oauth_error("invalid_client")
    grant_type = form.get("grant_type")
    now = sb.now()
    with sb.lock:
        if grant_type == "authorization_code":
            code = sb.identity.codes.get(str(form.get("code", "")))
            if code is None or code.used or code.expires < now or code.client_id != client_id:
                return _oauth_error("invalid_grant")
            if code.redirect_uri != form.get("redirect_uri"):
                return _oauth_error("invalid_grant")
            if secret is None and not code.code_challenge:
                return _oauth_error("invalid_client")
            verifier = form.get("code_verifier")
            if not _verify_pkce(code, str(verifier) if verifier else None):
                return _oauth_error("invalid_grant")
            code.used = True
            grant = Grant(
                uuid.uuid4().hex,
                client_id or "",
                code.user_id,
                code.scope,
                str(uuid.uuid4()),
                str(uuid.uuid4()).replace("-", ""),
                now,
            )
            sb.identity.grants[grant.id] = grant
            _connect(sb, grant, code.tenant_ids, now)
            body = _issue(sb, grant, code.nonce)
        elif grant_type == "refresh_token":
            rec = sb.identity.refresh.get(str(form.get("refresh_token", "")))
            grant = sb.identity.grants.get(rec.grant_id) if rec else None
            if (
                rec is None
                or grant is None
                or grant.revoked
                or rec.revoked
                or grant.client_id != client_id
            ):
                return _oauth_error("invalid_grant")
            if rec.issued + timedelta(seconds=sb.config.refresh_lifetime_s) < now:
                return _oauth_error("invalid_grant")
            if (
                rec.superseded
                and rec.superseded + timedelta(seconds=sb.config.refresh_grace_s) < now
            ):
                return _oauth_error("invalid_grant")
            asked = form.get("scope")
            if asked and not set(str(asked).split()) <= set(grant.scope):
                return _oauth_error("invalid_grant")
            if rec.superseded is None:
                rec.superseded = now
            body = _issue(sb, grant)
        else:
            return _oauth_error("unsupported_grant_type")
    return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


def revoke_grant(sb: Sandbox, grant: Grant) -> None:
    """Kill the refresh chain and remove every connection of that user for that app."""
    grant.revoked = True
    for rec in sb.identity.refresh.values():
        if rec.grant_id == grant.id:
            rec.revoked = True
    for cid in [
        c.id
        for c in sb.identity.connections.values()
        if c.user_id == grant.user_id and c.client_id == grant.client_id
    ]:
        del sb.identity.connections[cid]


async def revocation(request: Request) -> Response:
    sb = sb_of(request)
    form = await request.form()
    client_id, secret = _client_auth(request, form)
    reg = sb.config.clients.get(client_id or "")
    if reg is None or (secret is not None and not secrets.compare_digest(secret, reg[0])):
        return _oauth_error("invalid_client")
    tok = str(form.get("token", ""))
    with sb.lock:
        rec = sb.identity.refresh.get(tok)
        grant = sb.identity.grants.get(rec.grant_id) if rec else None
        if grant is None:
            try:
                claims = jwt.decode(
                    tok,
                    sb.key.public_key(),
                    algorithms=["RS256"],
                    options={"verify_exp": False, "verify_aud": False, "verify_nbf": False},
                )
                acc = sb.identity.access.get(claims.get("jti", ""))
                grant = sb.identity.grants.get(acc.grant_id) if acc else None
            except jwt.PyJWTError:
                grant = None
        if grant is not None and grant.client_id == client_id:
            revoke_grant(sb, grant)
    return Response(status_code=200)


async def discovery(request: Request) -> Response:
    sb = sb_of(request)
    base = str(request.base_url).rstrip("/")
    return JSONResponse(
        {
            "issuer": sb.config.issuer,
            "authorization_endpoint": f"{base}/identity/connect/authorize",
            "token_endpoint": f"{base}/connect/token",
            "userinfo_endpoint": f"{base}/connect/userinfo",
            "end_session_endpoint": f"{base}/connect/endsession",
            "revocation_endpoint": f"{base}/connect/revocation",
            "jwks_uri": f"{base}/.well-known/openid-configuration/jwks",
            "scopes_supported": sorted(OIDC | BROAD | GRANULAR),
            "claims_supported": [
                "sub",
                "xero_userid",
                "global_session_id",
                "given_name",
                "family_name",
                "email",
                "preferred_username",
            ],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["plain", "S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        }
    )


async def jwks(request: Request) -> Response:
    sb = sb_of(request)
    key = jwt.algorithms.RSAAlgorithm.to_jwk(sb.key.public_key(), as_dict=True)
    key.update({"kid": sb.kid, "use": "sig", "alg": "RS256"})
    return JSONResponse({"keys": [key]})


def bearer_claims(sb: Sandbox, request: Request) -> tuple[dict[str, Any] | None, str | None]:
    """Claims of a valid, unexpired access token, or (None, problem detail) for a 401."""
    auth = request.headers.get("authorization", "")
    if not auth.lower().startswith("bearer "):
        return None, "AuthenticationUnsuccessful"
    try:
        claims = jwt.decode(
            auth[7:].strip(),
            sb.key.public_key(),
            algorithms=["RS256"],
            audience=ACCESS_AUD,
            options={"verify_exp": False, "verify_nbf": False, "verify_iat": False},
        )
    except jwt.PyJWTError:
        return None, "TokenInvalid: token is invalid"
    rec = sb.identity.access.get(claims.get("jti", ""))
    if rec is None:
        return None, "TokenInvalid: token is not recognised"
    if rec.expired_by_control or rec.expires <= sb.now():
        return None, f"TokenExpired: token expired at {rec.expires:%m/%d/%Y %H:%M:%S}"
    return claims, None


async def userinfo(request: Request) -> Response:
    sb = sb_of(request)
    claims, problem = bearer_claims(sb, request)
    if claims is None:
        return JSONResponse(
            {"error": "invalid_token", "error_description": problem}, status_code=401
        )
    user = sb.identity.users[claims["xero_userid"]]
    return JSONResponse(
        {
            "sub": claims["sub"],
            "xero_userid": user.id,
            "email": user.email,
            "given_name": user.given_name,
            "family_name": user.family_name,
            "preferred_username": user.email,
        }
    )

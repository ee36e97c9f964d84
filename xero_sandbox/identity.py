"""Xero's identity service: the consent page, /connect/token, revocation, discovery and JWKS.

Authorization codes are single-use and expire after 5 minutes; refresh tokens rotate on every
use, a superseded one is honoured for a 30-minute grace period, an unused one dies after 60
days; access and id tokens are RS256 JWTs with Xero's claims. Errors use the contract's shapes.
"""

from __future__ import annotations

import html
import secrets
from datetime import timedelta
from urllib.parse import urlencode

import jwt
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from .state import Sandbox
from .store import AuthCode

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


CONSENT_CSS = (
    "<style>body{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;color:#1e3145}"
    "h1{font-size:1.3rem}ul{list-style:none;padding:0}li{margin:.4rem 0}"
    "button{font-size:1rem;padding:.5rem 1.2rem;margin-right:.6rem;border-radius:4px;"
    "border:1px solid #13b5ea}button[value=allow]{background:#13b5ea;color:#fff}"
    ".muted{color:#6b7c8c;font-size:.9rem}</style>"
)
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
    body = f"""<!doctype html><html><head><meta charset="utf-8"><title>Xero sandbox: allow access</title>
{CONSENT_CSS}</head>
<body><h1>{html.escape(p["client_id"])} wants to access your Xero data</h1>
<p class="muted">Signed in as {html.escape(user.given_name)} {html.escape(user.family_name)} ({html.escape(user.email)}) on the local Xero sandbox.</p>
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

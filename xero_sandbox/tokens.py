"""Xero's token service: /connect/token (authorization_code with PKCE, refresh_token with
rotation and a 30-minute grace period, 60-day expiry), revocation, and bearer-token checks.

Access and id tokens are RS256 JWTs with Xero's claims; errors use the contract's shapes.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

import jwt
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .identity import ACCESS_AUD, sb_of
from .state import Sandbox
from .store import AccessRecord, AuthCode, Connection, Grant, RefreshRecord


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

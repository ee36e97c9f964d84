"""The consent: authorize URL with state and PKCE, and the callback on /connect.

Why the state lives in the database: Xero's redirect is a fresh page load (a new Streamlit
session), and a second replica or a restart must still recognise it. A flow is bound to the
XeroFlow user who started it, expires after ten minutes and is consumed once; Streamlit running
the callback twice gets the first run's answer, every other reuse is refused with no change.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import jwt
from sqlalchemy import Engine, delete, update
from sqlmodel import select

from xeroflow_core import audit
from xeroflow_core.actor import Actor
from xeroflow_core.db import session_scope
from xeroflow_core.models.core import utcnow
from xeroflow_core.models.xero import OAuthFlow, XeroConnection, XeroToken
from xeroflow_core.settings import Settings
from xeroflow_core.users import require
from xeroflow_core.xero.connections import (
    USED_STATUSES,
    active_tenants,
    choose_organisations,
    disconnect,
    fetch_connections,
    mark_missing,
    store_connections,
)
from xeroflow_core.xero.tokens import (
    encrypt_token,
    expiry_of,
    oauth_client,
    safe_error,
)

__all__ = [
    "CallbackResult",
    "active_tenants",
    "choose_organisations",
    "disconnect",
    "handle_callback",
    "start_authorization",
]

log = logging.getLogger(__name__)

FLOW_LIFETIME = timedelta(minutes=10)
RERUN_WAIT_S = 30.0  # how long a second run of the callback waits for the first one's outcome


# Called with the organisations a consent added; returns those whose first sync was asked for.
NewOrganisations = Callable[[Engine, Actor, list[str]], list[str]]


@dataclass
class CallbackResult:
    """What the callback did, in words for the page: kind is connected, cancelled, refused,
    error or none (no callback in the query)."""

    kind: str
    message: str
    tenant_ids: list[str] = field(default_factory=list)
    repeated: bool = False

    @property
    def ok(self) -> bool:
        return self.kind == "connected"

    def to_outcome(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "message": self.message,
            "tenant_ids": self.tenant_ids,
        }


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def start_authorization(engine: Engine, settings: Settings, actor: Actor) -> str:
    """Store a fresh state and PKCE verifier for this admin; return Xero's consent URL."""
    require(actor, "manage_connection")
    from authlib.common.security import generate_token

    state = secrets.token_urlsafe(32)
    verifier = generate_token(64)
    now = utcnow()
    with session_scope(engine) as s:
        s.execute(delete(OAuthFlow).where(OAuthFlow.expires_at < now))  # tidy old attempts
        s.add(
            OAuthFlow(
                state=state,
                code_verifier=verifier,
                username=actor.username,
                created_at=now,
                expires_at=now + FLOW_LIFETIME,
            )
        )
    client = oauth_client(settings)
    try:
        url, _ = client.create_authorization_url(
            settings.authorize_endpoint, state=state, code_verifier=verifier
        )
    finally:
        client.close()
    return str(url)


def _refuse(engine: Engine, actor: Actor, message: str, why: str) -> CallbackResult:
    audit.record(engine, actor, "xero.callback_refused", "", reason=why)
    log.warning("Xero callback refused for %s: %s", actor.username, why)
    return CallbackResult("refused", message)


def _first(query: dict[str, Any], key: str) -> str:
    value = query.get(key)
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    return str(value) if value else ""


def _wait_for_outcome(engine: Engine, state: str) -> CallbackResult:
    deadline = time.monotonic() + RERUN_WAIT_S
    while time.monotonic() < deadline:
        with session_scope(engine) as s:
            flow = s.get(OAuthFlow, state)
            outcome = dict(flow.outcome or {}) if flow else {}
        if outcome:
            return CallbackResult(
                outcome["kind"],
                outcome["message"],
                list(outcome.get("tenant_ids") or []),
                repeated=True,
            )
        time.sleep(0.1)
    return CallbackResult("error", "The connection is still being set up; reload this page.")


def _claims(jwt_token: str | None) -> dict[str, Any]:
    """Claims of a token we just received from the token endpoint over TLS (not verified
    here: we only read the authorisation event and the Xero user id from it)."""
    if not jwt_token:
        return {}
    try:
        return jwt.decode(jwt_token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return {}


REFUSALS = {
    "missing state": "Xero's answer carried no state, so it cannot be trusted.",
    "unknown state": "This answer from Xero does not match any connection started here "
    "(forged, or from an old link).",
    "foreign state": "This answer from Xero belongs to a connection started by another user.",
    "replayed state": "This answer from Xero was already used (replayed).",
    "expired state": "The connection attempt expired (it is valid for 10 minutes).",
}


def _refused(engine: Engine, actor: Actor, why: str, detail: str = "") -> CallbackResult:
    message = f"{REFUSALS[why]} Nothing was changed. Start again with Connect Xero."
    return _refuse(engine, actor, message, f"{why} {detail}".strip())


def handle_callback(
    engine: Engine,
    settings: Settings,
    actor: Actor,
    query: dict[str, Any],
    *,
    http: httpx.Client | None = None,
    on_new_organisations: NewOrganisations | None = None,
) -> CallbackResult:
    """Finish a consent from the redirect's query (code and state, or error and state).

    `on_new_organisations(engine, actor, tenant_ids)` is called with the organisations this
    consent added and returns those whose first sync it asked for (the caller passes
    sync's `request_initial_sync`); the message says so."""
    code, state, error = _first(query, "code"), _first(query, "state"), _first(query, "error")
    if not (code or state or error):
        return CallbackResult("none", "")
    require(actor, "manage_connection")
    if not state:
        return _refused(engine, actor, "missing state")
    now = utcnow()
    with session_scope(engine) as s:
        flow = s.get(OAuthFlow, state)
    if flow is None:
        return _refused(engine, actor, "unknown state")
    if flow.username != actor.username:
        return _refused(engine, actor, "foreign state", f"(started by {flow.username})")
    proof = _hash(code or f"error:{error}")
    if flow.consumed_at is not None:
        if flow.code_hash == proof:
            return _wait_for_outcome(engine, state)  # the same callback, run again
        return _refused(engine, actor, "replayed state")
    if flow.expires_at < now:
        return _refused(engine, actor, "expired state")
    with session_scope(engine) as s:  # consume atomically: exactly one run gets rowcount 1
        taken = s.execute(
            update(OAuthFlow)
            .where(OAuthFlow.state == state, OAuthFlow.consumed_at.is_(None))
            .values(consumed_at=now, code_hash=proof)
        ).rowcount
    if taken != 1:  # another run consumed it a moment ago: the same answer, or a replay
        with session_scope(engine) as s:
            same = s.get(OAuthFlow, state).code_hash == proof
        return (
            _wait_for_outcome(engine, state) if same else _refused(engine, actor, "replayed state")
        )
    try:
        result = _finish(engine, settings, actor, state, code, error, http, on_new_organisations)
    except Exception as exc:  # noqa: BLE001 - never leave a consumed flow without an outcome
        log.error("Xero callback failed: %s", safe_error(exc))
        result = CallbackResult("error", f"Connecting Xero failed: {safe_error(exc)}")
    with session_scope(engine) as s:
        flow = s.get(OAuthFlow, state)
        flow.outcome = result.to_outcome()
        flow.code_verifier = ""  # used up: the PKCE secret is not kept
    return result


def _retire_unused_tokens(session: Any, settings: Settings, keep_id: int) -> None:
    """Authorisations no organisation uses any more (every tenant moved to another Xero
    user's consent) are dropped here: never refreshed again, their tokens erased."""
    used = {c.token_id for c in session.exec(select(XeroConnection)) if c.status in USED_STATUSES}
    for tok in session.exec(select(XeroToken).where(XeroToken.status != "revoked")):
        if tok.id != keep_id and tok.id not in used:
            tok.status, tok.status_reason = "revoked", "replaced by another Xero user's consent"
            tok.encrypted_token = encrypt_token(settings, {})
            tok.access_expires_at, tok.updated_at = None, utcnow()


def _finish(
    engine: Engine,
    settings: Settings,
    actor: Actor,
    state: str,
    code: str,
    error: str,
    http: httpx.Client | None,
    on_new_organisations: NewOrganisations | None,
) -> CallbackResult:
    if error:
        if error == "access_denied":
            audit.record(engine, actor, "xero.connect_cancelled", "")
            return CallbackResult("cancelled", "You cancelled on Xero's page; nothing changed.")
        audit.record(engine, actor, "xero.connect_failed", "", error=error[:100])
        return CallbackResult("error", f"Xero did not grant access ({error[:100]}).")
    with session_scope(engine) as s:
        verifier = s.get(OAuthFlow, state).code_verifier
    from authlib.integrations.base_client.errors import OAuthError

    client = oauth_client(settings, http)
    try:
        token = dict(
            client.fetch_token(
                settings.token_endpoint,
                grant_type="authorization_code",
                code=code,
                code_verifier=verifier,
                redirect_uri=settings.xero_redirect_uri,
            )
        )
    except (OAuthError, httpx.HTTPError, ValueError) as exc:
        audit.record(engine, actor, "xero.connect_failed", "", error=safe_error(exc))
        return CallbackResult("error", f"Xero did not accept the sign-in: {safe_error(exc)}. "
                              "Start again with Connect Xero.")  # fmt: skip
    finally:
        client.close()
    access = _claims(token.get("access_token"))
    ident = _claims(token.get("id_token"))
    event = str(access.get("authentication_event_id") or "")
    userid = str(access.get("xero_userid") or ident.get("xero_userid") or "")
    rows = fetch_connections(
        settings, token["access_token"], auth_event_id=event or None, http=http
    )
    every = fetch_connections(settings, token["access_token"], http=http)
    if not rows:
        return CallbackResult("error", "Xero connected no organisation. Start again and tick "
                              "at least one organisation.")  # fmt: skip
    token["identity"] = {
        k: ident.get(k) for k in ("email", "given_name", "family_name") if k in ident
    }
    now = utcnow()
    with session_scope(engine) as s:
        row = None
        if userid:
            row = s.exec(select(XeroToken).where(XeroToken.xero_userid == userid)).first()
        if row is None:
            row = XeroToken(encrypted_token="", xero_userid=userid, created_at=now)
        row.encrypted_token = encrypt_token(settings, token)
        row.auth_event_id, row.access_expires_at = event, expiry_of(token)
        row.refreshed_at, row.updated_at = now, now
        row.scopes = str(token.get("scope") or "")
        row.status, row.status_reason = "active", ""
        row.version = (row.version or 0) + 1
        row.refresh_lock_owner, row.refresh_lock_until = "", None
        row.connected_by = actor.username
        s.add(row)
        s.flush()
        tenant_ids, new = store_connections(s, int(row.id), rows)
        gone = mark_missing(s, int(row.id), {str(r.get("tenantId") or "").lower() for r in every})
        _retire_unused_tokens(s, settings, int(row.id))
        audit.record(s, actor, "xero.connected", ",".join(tenant_ids), new=new, removed=gone,
                     scopes=row.scopes)  # fmt: skip
    started = on_new_organisations(engine, actor, new) if new and on_new_organisations else []
    names = ", ".join(r.get("tenantName") or r.get("tenantId") for r in rows)
    message = f"Connected to Xero: {names}."
    if started:
        count = "1 organisation" if len(started) == 1 else f"{len(started)} organisations"
        message += f" The first sync of {count} has started; Sync Status shows its progress."
    return CallbackResult("connected", message, tenant_ids)

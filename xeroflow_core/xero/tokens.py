"""The encrypted token store and the single-flight refresh.

Why this is careful: Xero rotates the refresh token on every use, so two refreshes racing with
the same token leave one of them holding a dead token. Here one thread of one process refreshes
(a lease on the `xero_token` row taken with a conditional UPDATE, which works the same on SQLite
and PostgreSQL), everyone else waits for the rotated pair, and the pair is committed before it
is handed out. A lost response is retried with the same (now superseded) refresh token, which
Xero honours for 30 minutes. `invalid_grant` marks the connection "needs reconnect" and deletes
nothing. Tokens are Fernet-encrypted at rest and never logged or put in an exception message.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Engine, or_, update
from sqlmodel import select

from xeroflow_core import audit
from xeroflow_core.actor import SYSTEM
from xeroflow_core.db import session_scope
from xeroflow_core.models.core import utcnow
from xeroflow_core.models.xero import XeroConnection, XeroToken
from xeroflow_core.settings import Settings
from xeroflow_core.xero.crypto import (
    XeroAuthError,
    decrypt_token,
    encrypt_token,
    expiry_of,
    safe_error,
)

log = logging.getLogger(__name__)

REFRESH_SKEW = timedelta(minutes=2)  # refresh when the access token has less than this left
LOCK_LEASE = timedelta(seconds=90)  # longer than the refresh's own timeouts and retries
WAIT_POLL_S = 0.05
HTTP_TIMEOUT_S = 20.0
REFRESH_ATTEMPTS = 3  # the first try plus retries with the same refresh token (grace period)

UNUSABLE = {"needs_reconnect", "disconnected", "removed"}

__all__ = [
    "NeedsReconnect",
    "XeroAuthError",
    "decrypt_token",
    "encrypt_token",
    "force_refresh",
    "get_access_token",
    "safe_error",
]


class NeedsReconnect(Exception):  # noqa: N818 - the name says what the user must do
    """The connection cannot be used until an admin reconnects Xero (the reason says why)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --- the token endpoint -----------------------------------------------------------------------


def oauth_client(
    settings: Settings, http: httpx.Client | None = None, *, scope: bool = True, **kwargs: Any
) -> Any:
    """authlib's OAuth2Client for Xero's token endpoint (client_secret_basic, PKCE S256).

    A test's `http` client lends its transport (a sandbox mounted in-process, or a transport
    that drops responses); otherwise authlib opens its own connection. Refreshes go without
    `scope` (scope=False): asking for other scopes than the grant's is an invalid_grant."""
    from authlib.integrations.httpx_client import OAuth2Client

    if http is not None:
        kwargs.setdefault("transport", http._transport)  # noqa: SLF001 - share the transport
    return OAuth2Client(
        client_id=settings.xero_client_id,
        client_secret=settings.xero_client_secret,
        token_endpoint_auth_method="client_secret_basic",
        scope=settings.xero_scopes if scope else None,
        redirect_uri=settings.xero_redirect_uri,
        code_challenge_method="S256",
        timeout=HTTP_TIMEOUT_S,
        **kwargs,
    )


class _InvalidGrant(Exception):  # noqa: N818 - internal signal
    pass


def _post_refresh(settings: Settings, refresh_token: str, http: httpx.Client | None) -> dict:
    """One refresh at the token endpoint, retried on a lost response or a 5xx with the same
    refresh token (Xero honours a superseded one for 30 minutes). Raises _InvalidGrant when
    Xero says the grant is dead, XeroAuthError for anything else."""
    from authlib.integrations.base_client.errors import OAuthError

    last = ""
    for attempt in range(REFRESH_ATTEMPTS):
        client = oauth_client(settings, http, scope=False)
        try:
            token = client.refresh_token(settings.token_endpoint, refresh_token=refresh_token)
            return dict(token)
        except OAuthError as exc:
            if exc.error in ("invalid_grant", "unauthorized_client"):
                raise _InvalidGrant(safe_error(exc)) from None
            if exc.error == "invalid_client":  # our configuration, not the grant: no retry
                raise XeroAuthError(
                    "Xero refused XeroFlow's client id or secret (invalid_client): check "
                    "XERO_CLIENT_ID and XERO_CLIENT_SECRET"
                ) from None
            last = safe_error(exc)
        except (httpx.TransportError, ValueError) as exc:  # lost response, timeout, bad JSON
            last = safe_error(exc)
        except httpx.HTTPStatusError as exc:
            last = safe_error(exc)
        finally:
            client.close()
        log.warning("token refresh attempt %d failed (%s); retrying", attempt + 1, last)
        time.sleep(min(0.2 * 2**attempt, 2.0))
    raise XeroAuthError(f"Xero's token endpoint did not answer a refresh: {last}")


# --- the store --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Found:
    token_id: int
    version: int
    ciphertext: str
    expires_at: datetime | None
    lock_owner: str
    lock_until: datetime | None


def _read(engine: Engine, token_id: int) -> _Found:
    with session_scope(engine) as s:
        row = s.get(XeroToken, token_id)
        if row is None:
            raise NeedsReconnect("the Xero authorisation was removed; connect Xero again")
        if row.status != "active":
            raise NeedsReconnect(row.status_reason or f"Xero authorisation is {row.status}")
        return _Found(
            row.id or 0,
            row.version,
            row.encrypted_token,
            row.access_expires_at,
            row.refresh_lock_owner,
            row.refresh_lock_until,
        )


def _token_id_for(engine: Engine, tenant_id: str) -> int:
    with session_scope(engine) as s:
        conn = s.get(XeroConnection, tenant_id)
        if conn is None:
            raise NeedsReconnect(f"organisation {tenant_id} is not connected to XeroFlow")
        if conn.status in UNUSABLE:
            raise NeedsReconnect(conn.status_reason or f"the connection is {conn.status}")
        if conn.token_id is None:
            raise NeedsReconnect("the organisation has no Xero authorisation; reconnect Xero")
        return conn.token_id


def _owner() -> str:
    return f"{os.getpid()}:{threading.get_ident()}:{uuid.uuid4().hex[:8]}"


def _try_lock(engine: Engine, found: _Found, owner: str) -> bool:
    """Take the refresh lease if nobody holds it and the token is still the one we saw."""
    now = utcnow()
    with session_scope(engine) as s:
        result = s.execute(
            update(XeroToken)
            .where(XeroToken.id == found.token_id)
            .where(XeroToken.version == found.version)
            .where(XeroToken.status == "active")
            .where(or_(XeroToken.refresh_lock_until.is_(None), XeroToken.refresh_lock_until < now))
            .values(refresh_lock_owner=owner, refresh_lock_until=now + LOCK_LEASE)
        )
        return result.rowcount == 1


def _release(engine: Engine, token_id: int, owner: str) -> None:
    with session_scope(engine) as s:
        s.execute(
            update(XeroToken)
            .where(XeroToken.id == token_id, XeroToken.refresh_lock_owner == owner)
            .values(refresh_lock_owner="", refresh_lock_until=None)
        )


def _store_rotated(
    engine: Engine, settings: Settings, token_id: int, owner: str, old: dict, new: dict
) -> bool:
    """Commit the rotated pair (and bump the version) while we still hold the lease and the
    authorisation is still active (False: a disconnect or another writer got there first)."""
    merged = {**old, **new}
    if not new.get("refresh_token"):
        merged["refresh_token"] = old.get("refresh_token")
    now = utcnow()
    with session_scope(engine) as s:
        result = s.execute(
            update(XeroToken)
            .where(XeroToken.id == token_id, XeroToken.refresh_lock_owner == owner)
            .where(XeroToken.status == "active")  # a disconnect meanwhile wins: no live token back
            .values(
                encrypted_token=encrypt_token(settings, merged),
                access_expires_at=expiry_of(merged),
                refreshed_at=now,
                updated_at=now,
                scopes=str(merged.get("scope") or ""),
                version=XeroToken.version + 1,
                refresh_lock_owner="",
                refresh_lock_until=None,
            )
        )
        return result.rowcount == 1


def mark_token_needs_reconnect(engine: Engine, token_id: int, reason: str) -> None:
    """The whole authorisation is dead (invalid_grant): mark it and every organisation on it."""

    now = utcnow()
    with session_scope(engine) as s:
        row = s.get(XeroToken, token_id)
        if row is None:
            return
        row.status, row.status_reason, row.updated_at = "needs_reconnect", reason, now
        row.refresh_lock_owner, row.refresh_lock_until = "", None
        conns = s.exec(select(XeroConnection).where(XeroConnection.token_id == token_id))
        tenants = []
        for conn in conns:
            if conn.status in ("connected", "read_only"):
                conn.status, conn.status_reason, conn.updated_at = "needs_reconnect", reason, now
                tenants.append(conn.tenant_id)
        audit.record(s, SYSTEM, "xero.needs_reconnect", f"token {token_id}", reason=reason,
                     tenants=tenants)  # fmt: skip
    log.warning("Xero authorisation %s needs reconnecting: %s", token_id, reason)


def _plain(engine: Engine, settings: Settings, found: _Found) -> dict[str, Any]:
    """The decrypted token set; one that cannot be decrypted (XEROFLOW_TOKEN_KEY changed)
    is as good as gone, so the connection is marked for reconnecting."""
    try:
        return decrypt_token(settings, found.ciphertext)
    except XeroAuthError as exc:
        mark_token_needs_reconnect(engine, found.token_id, str(exc))
        raise NeedsReconnect(str(exc)) from None


def _refresh_single_flight(
    engine: Engine,
    settings: Settings,
    token_id: int,
    *,
    force: bool,
    http: httpx.Client | None,
    deadline_s: float = 120.0,
) -> dict[str, Any]:
    """The current token set, refreshed by exactly one caller when it is (nearly) expired."""
    owner = _owner()
    first = _read(engine, token_id)
    seen_version = first.version
    give_up = time.monotonic() + deadline_s
    while True:
        found = _read(engine, token_id)
        fresh = found.expires_at is not None and found.expires_at - utcnow() > REFRESH_SKEW
        if found.version != seen_version or (fresh and not force):
            return _plain(engine, settings, found)  # someone refreshed, or no need
        if _try_lock(engine, found, owner):
            break
        if time.monotonic() > give_up:
            raise XeroAuthError("timed out waiting for another process to refresh the token")
        time.sleep(WAIT_POLL_S)
    # We hold the lease and the token is still the one we found expired: refresh it.
    try:
        current = _plain(engine, settings, found)
        refresh_token = current.get("refresh_token")
        if not refresh_token:
            raise _InvalidGrant("no refresh token stored (offline_access not granted?)")
        new = _post_refresh(settings, refresh_token, http)
    except _InvalidGrant as exc:
        reason = f"Xero refused the refresh ({exc}); an admin must reconnect Xero"
        mark_token_needs_reconnect(engine, token_id, reason)
        raise NeedsReconnect(reason) from None
    except BaseException:
        _release(engine, token_id, owner)
        raise
    if not _store_rotated(engine, settings, token_id, owner, current, new):
        # Our lease ran out and someone else took over; theirs is the stored truth.
        log.warning("refresh lease of token %s lapsed; using the stored token", token_id)
        return _plain(engine, settings, _read(engine, token_id))
    log.info("refreshed Xero token %s", token_id)
    return {**current, **new}


def get_access_token(
    engine: Engine, settings: Settings, tenant_id: str, *, http: httpx.Client | None = None
) -> str:
    """A valid access token for the tenant's connection, refreshed single-flight when it has
    less than two minutes left. Raises NeedsReconnect when the connection is not usable."""
    token_id = _token_id_for(engine, tenant_id)
    found = _read(engine, token_id)
    if found.expires_at is not None and found.expires_at - utcnow() > REFRESH_SKEW:
        return str(_plain(engine, settings, found)["access_token"])
    token = _refresh_single_flight(engine, settings, token_id, force=False, http=http)
    return str(token["access_token"])


def force_refresh(
    engine: Engine,
    settings: Settings,
    tenant_id: str,
    *,
    rejected_token: str | None = None,
    http: httpx.Client | None = None,
) -> str:
    """Refresh now (single-flight), e.g. after Xero answered 401 to a token we thought valid.
    With `rejected_token`, refresh only if that is still the stored access token (when another
    caller already rotated it, theirs is returned)."""
    token_id = _token_id_for(engine, tenant_id)
    if rejected_token is not None:
        found = _read(engine, token_id)
        current = _plain(engine, settings, found)
        if current.get("access_token") != rejected_token:
            return str(current["access_token"])
    token = _refresh_single_flight(engine, settings, token_id, force=True, http=http)
    return str(token["access_token"])


def token_for_id(
    engine: Engine, settings: Settings, token_id: int, *, http: httpx.Client | None = None
) -> dict[str, Any]:
    """The decrypted token set of one authorisation, refreshed when needed (internal use:
    disconnect and /connections, which are per authorisation rather than per tenant)."""
    return _refresh_single_flight(engine, settings, token_id, force=False, http=http)

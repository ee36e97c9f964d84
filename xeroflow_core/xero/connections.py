"""Organisations (Xero tenants): storing what /connections says, choosing which to sync,
disconnecting (overview.py holds what the Connect page shows).

Why a module of its own: a consent can add several organisations, a Demo Company reset makes
one vanish, and a disconnect must keep every synced row, link and mapping. All of that is about
`XeroConnection` rows, not about OAuth, so it lives here; oauth.py handles the consent itself.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import Engine
from sqlmodel import select

from xeroflow_core import audit
from xeroflow_core.actor import SYSTEM, Actor
from xeroflow_core.db import session_scope
from xeroflow_core.models.core import utcnow
from xeroflow_core.models.xero import XeroConnection, XeroToken
from xeroflow_core.settings import Settings
from xeroflow_core.users import require
from xeroflow_core.xero.tokens import (
    HTTP_TIMEOUT_S,
    NeedsReconnect,
    XeroAuthError,
    _refresh_single_flight,
    decrypt_token,
    encrypt_token,
    get_access_token,
    oauth_client,
    safe_error,
    token_for_id,
)

# Connection statuses that still need their authorisation (a token none of them uses is retired).
USED_STATUSES = ("connected", "read_only", "needs_reconnect")

log = logging.getLogger(__name__)


def _http(http: httpx.Client | None) -> httpx.Client:
    return http if http is not None else httpx.Client(timeout=HTTP_TIMEOUT_S)


def fetch_connections(
    settings: Settings,
    access_token: str,
    *,
    auth_event_id: str | None = None,
    http: httpx.Client | None = None,
) -> list[dict[str, Any]]:
    """GET /connections (only this consent's tenants when auth_event_id is given)."""
    client = _http(http)
    params = {"authEventId": auth_event_id} if auth_event_id else None
    try:
        resp = client.get(
            settings.connections_url,
            params=params,
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
        )
        resp.raise_for_status()
        rows = resp.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise XeroAuthError(f"Xero's /connections could not be read: {safe_error(exc)}") from None
    finally:
        if http is None:
            client.close()
    if not isinstance(rows, list):
        raise XeroAuthError("Xero's /connections answered something that is not a list")
    return rows


def _parse_xero_time(value: str | None) -> str:
    return (value or "")[:26]


def store_connections(
    session: Any, token_id: int, rows: list[dict[str, Any]]
) -> tuple[list[str], list[str]]:
    """Upsert one XeroConnection per tenant in `rows` (this consent's tenants) on `token_id`.

    Returns (tenant ids, ids of tenants that are new to XeroFlow or back after a disconnect).
    The organisations ticked on Xero's consent page are the admin's choice: new and returning
    ones sync from now on; one already connected keeps the choice made for it since."""
    now = utcnow()
    tenant_ids, new = [], []
    for row in rows:
        tid = str(row.get("tenantId") or "").lower()
        if not tid:
            continue
        tenant_ids.append(tid)
        conn = session.get(XeroConnection, tid)
        if conn is None:
            conn = XeroConnection(tenant_id=tid, sync_enabled=True, connected_at=now)
            new.append(tid)
        elif conn.status in ("disconnected", "removed"):
            conn.sync_enabled = True
            new.append(tid)
        conn.tenant_name = str(row.get("tenantName") or conn.tenant_name)
        conn.tenant_type = str(row.get("tenantType") or conn.tenant_type)
        conn.connection_id = str(row.get("id") or "")
        conn.token_id = token_id
        conn.status, conn.status_reason, conn.updated_at = "connected", "", now
        conn.detail = {
            **(conn.detail or {}),
            "created_date_utc": _parse_xero_time(row.get("createdDateUtc")),
            "updated_date_utc": _parse_xero_time(row.get("updatedDateUtc")),
            "auth_event_id": str(row.get("authEventId") or ""),
        }
        session.add(conn)
    return tenant_ids, new


def mark_missing(session: Any, token_id: int, present: set[str]) -> list[str]:
    """Tenants on this authorisation that Xero no longer lists (a Demo Company reset, an
    organisation removed from Xero): marked "removed", data kept."""
    gone = []
    rows = session.exec(select(XeroConnection).where(XeroConnection.token_id == token_id))
    for conn in rows:
        if conn.tenant_id not in present and conn.status in ("connected", "read_only"):
            conn.status = "removed"
            conn.status_reason = (
                "Xero no longer lists this organisation for XeroFlow (it was removed, or a Demo "
                "Company was reset); its synced data is kept"
            )
            conn.sync_enabled, conn.updated_at = False, utcnow()
            gone.append(conn.tenant_id)
    return gone


def refresh_connections(
    engine: Engine, settings: Settings, *, http: httpx.Client | None = None
) -> list[str]:
    """Re-read /connections for every active authorisation and mark the tenants that
    disappeared; returns their ids. The worker may run it daily; it costs one call each."""
    with session_scope(engine) as s:
        token_ids = [t.id for t in s.exec(select(XeroToken).where(XeroToken.status == "active"))]
    gone: list[str] = []
    for token_id in token_ids:
        try:
            token = token_for_id(engine, settings, int(token_id), http=http)
            rows = fetch_connections(settings, token["access_token"], http=http)
        except (NeedsReconnect, XeroAuthError) as exc:
            log.warning("could not re-read connections of token %s: %s", token_id, exc)
            continue
        present = {str(r.get("tenantId") or "").lower() for r in rows}
        with session_scope(engine) as s:
            removed = mark_missing(s, int(token_id), present)
            if removed:
                audit.record(s, SYSTEM, "xero.removed_in_xero", ",".join(removed))
        gone += removed
    return gone


def active_tenants(engine: Engine) -> list[XeroConnection]:
    """Organisations to sync: connected (or read-only: reads still work) and chosen."""
    with session_scope(engine) as s:
        rows = s.exec(
            select(XeroConnection)
            .where(XeroConnection.status.in_(("connected", "read_only")))
            .where(XeroConnection.sync_enabled == True)  # noqa: E712 - SQL expression
            .order_by(XeroConnection.tenant_name)
        )
        return list(rows)


def choose_organisations(engine: Engine, actor: Actor, tenant_ids: list[str]) -> list[str]:
    """Sync exactly these connected organisations (the admin's choice); returns the newly
    enabled ones, whose initial sync the caller asks for (sync/jobs.py)."""
    require(actor, "manage_connection")
    wanted = {t.lower() for t in tenant_ids}
    enabled_now: list[str] = []
    with session_scope(engine) as s:
        known = {c.tenant_id: c for c in s.exec(select(XeroConnection))}
        unknown = wanted - set(known)
        if unknown:
            raise ValueError(f"not connected organisations: {', '.join(sorted(unknown))}")
        for tid, conn in known.items():
            want = tid in wanted
            if want and conn.status not in ("connected", "read_only"):
                raise ValueError(f"{conn.tenant_name or tid} is {conn.status}; reconnect it first")
            if want and not conn.sync_enabled:
                enabled_now.append(tid)
            if conn.sync_enabled != want:
                conn.sync_enabled, conn.updated_at = want, utcnow()
        audit.record(s, actor, "xero.choose_organisations", ",".join(sorted(wanted)),
                     enabled=enabled_now)  # fmt: skip
    return enabled_now


def _revoke(settings: Settings, refresh_token: str, http: httpx.Client | None) -> None:
    client = oauth_client(settings, http)
    try:
        resp = client.revoke_token(
            settings.revocation_endpoint, token=refresh_token, token_type_hint="refresh_token"
        )
        resp.raise_for_status()
    except Exception as exc:  # noqa: BLE001 - surfaced as a safe message
        raise XeroAuthError(f"Xero did not accept the revocation: {safe_error(exc)}") from None
    finally:
        client.close()


def _disconnect_all(engine: Engine, settings: Settings, actor: Actor, http: Any) -> list[str]:
    with session_scope(engine) as s:
        tokens = list(s.exec(select(XeroToken).where(XeroToken.status != "revoked")))
    every: list[str] = []
    for tok in tokens:
        tenants: list[str] = []
        try:
            refresh_token = decrypt_token(settings, tok.encrypted_token).get("refresh_token")
        except XeroAuthError:
            refresh_token = None
        if refresh_token and tok.status == "active":
            _revoke(settings, str(refresh_token), http)
        now = utcnow()
        with session_scope(engine) as s:
            row = s.get(XeroToken, tok.id)
            row.status, row.status_reason, row.updated_at = "revoked", f"by {actor.username}", now
            row.encrypted_token = encrypt_token(settings, {})  # a dead token is not kept
            row.access_expires_at = None
            for conn in s.exec(select(XeroConnection).where(XeroConnection.token_id == tok.id)):
                if conn.status != "removed":
                    conn.status = "disconnected"
                    conn.status_reason = f"disconnected by {actor.username}; data kept"
                    conn.updated_at = now
                    tenants.append(conn.tenant_id)
            audit.record(s, actor, "xero.disconnect", "all", token_id=tok.id, tenants=tenants)
        every += tenants
    return every


def _retire_if_unused(
    engine: Engine, settings: Settings, token_id: int | None, actor: Actor, http: Any
) -> None:
    """An authorisation no organisation uses any more is revoked at Xero (best effort) and
    erased here, so keep_alive stops refreshing it."""
    if token_id is None:
        return
    with session_scope(engine) as s:
        tok = s.get(XeroToken, token_id)
        in_use = s.exec(
            select(XeroConnection)
            .where(XeroConnection.token_id == token_id)
            .where(XeroConnection.status.in_(USED_STATUSES))  # type: ignore[attr-defined]
        ).first()
        if tok is None or tok.status == "revoked" or in_use is not None:
            return
        status, stored = tok.status, tok.encrypted_token
    try:
        refresh_token = decrypt_token(settings, stored).get("refresh_token")
        if refresh_token and status == "active":
            _revoke(settings, str(refresh_token), http)
    except XeroAuthError as exc:
        log.warning("could not revoke unused authorisation %s: %s", token_id, exc)
    with session_scope(engine) as s:
        tok = s.get(XeroToken, token_id)
        tok.status, tok.status_reason = "revoked", "no organisation uses it any more"
        tok.encrypted_token = encrypt_token(settings, {})
        tok.access_expires_at, tok.updated_at = None, utcnow()
        tok.refresh_lock_owner, tok.refresh_lock_until = "", None
        audit.record(s, actor, "xero.token_retired", f"token {token_id}")


def disconnect(
    engine: Engine,
    settings: Settings,
    actor: Actor,
    tenant_id: str | None,
    *,
    http: httpx.Client | None = None,
) -> list[str]:
    """Disconnect Xero: revoke the whole authorisation (tenant_id None) or remove one
    organisation's connection (DELETE /connections/{id}). Synced rows, client links and
    mappings are kept; the connections are marked disconnected. Returns the tenant ids."""
    require(actor, "manage_connection")
    if tenant_id is None:
        return _disconnect_all(engine, settings, actor, http)
    tenant_id = tenant_id.lower()
    with session_scope(engine) as s:
        conn = s.get(XeroConnection, tenant_id)
        if conn is None:
            raise ValueError(f"organisation {tenant_id} is not connected")
        connection_id, status, token_id = conn.connection_id, conn.status, conn.token_id
    if status in ("connected", "read_only") and connection_id:
        try:
            access = get_access_token(engine, settings, tenant_id, http=http)
        except NeedsReconnect:
            access = None  # the authorisation is dead already: nothing to remove at Xero
        if access:
            client = _http(http)
            try:
                resp = client.delete(
                    f"{settings.connections_url}/{connection_id}",
                    headers={"Authorization": f"Bearer {access}"},
                )
                if resp.status_code not in (200, 204, 404):
                    resp.raise_for_status()
            except httpx.HTTPError as exc:
                raise XeroAuthError(
                    f"Xero did not remove the connection: {safe_error(exc)}"
                ) from None
            finally:
                if http is None:
                    client.close()
    with session_scope(engine) as s:
        conn = s.get(XeroConnection, tenant_id)
        conn.status = "disconnected"
        conn.status_reason = f"disconnected by {actor.username}; data kept"
        conn.sync_enabled, conn.updated_at = False, utcnow()
        audit.record(s, actor, "xero.disconnect", tenant_id, name=conn.tenant_name)
    _retire_if_unused(engine, settings, token_id, actor, http)
    return [tenant_id]


# --- keep-alive and connection status marks ------------------------------------------------


def keep_alive(
    engine: Engine,
    settings: Settings,
    *,
    older_than_days: int = 30,
    check_connections: bool = True,
    http: httpx.Client | None = None,
) -> int:
    """Refresh every active authorisation not refreshed for `older_than_days`, so an idle
    connection never reaches Xero's 60-day refresh-token expiry. Returns how many refreshed.

    With check_connections (the daily job), /connections is also re-read, one call per
    authorisation, so an organisation removed in Xero (a Demo Company reset) shows as such."""
    cutoff = utcnow() - timedelta(days=older_than_days)
    with session_scope(engine) as s:
        rows = s.exec(select(XeroToken).where(XeroToken.status == "active")).all()
        due = [r.id for r in rows if (r.refreshed_at or r.created_at) < cutoff]
    done = 0
    for token_id in due:
        try:
            _refresh_single_flight(engine, settings, int(token_id), force=True, http=http)
            done += 1
        except (NeedsReconnect, XeroAuthError) as exc:
            log.warning("keep-alive of Xero token %s failed: %s", token_id, exc)
    if check_connections:
        refresh_connections(engine, settings, http=http)
    return done


def _mark_connection(engine: Engine, tenant_id: str, status: str, reason: str, action: str) -> None:
    with session_scope(engine) as s:
        conn = s.get(XeroConnection, tenant_id)
        if conn is None:
            return
        if conn.status in ("disconnected", "removed"):
            return  # already out of use: nothing to downgrade
        if status == "read_only" and conn.status == "needs_reconnect":
            return  # the stronger state wins
        conn.status, conn.status_reason, conn.updated_at = status, reason, utcnow()
        audit.record(s, SYSTEM, action, tenant_id, reason=reason)
    log.warning("Xero connection %s is now %s: %s", tenant_id, status, reason)


def mark_lost_write_access(engine: Engine, tenant_id: str, reason: str) -> None:
    """A write got 403: the authorising user lost a role or scope. Reads go on; writes stop;
    the Connect page says "lost write access" until an admin reconnects."""
    _mark_connection(engine, tenant_id, "read_only", reason, "xero.lost_write_access")


def mark_needs_reconnect(engine: Engine, tenant_id: str, reason: str) -> None:
    """This organisation's connection cannot be used (e.g. 403 on every call): say so."""
    _mark_connection(engine, tenant_id, "needs_reconnect", reason, "xero.needs_reconnect")


def can_write(engine: Engine, tenant_id: str) -> bool:
    """Whether writes to this organisation may be attempted (connected, not read-only)."""
    with session_scope(engine) as s:
        conn = s.get(XeroConnection, tenant_id)
        return conn is not None and conn.status == "connected"

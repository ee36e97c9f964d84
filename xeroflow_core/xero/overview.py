"""What the Connect page shows: the connection state, organisations, scopes, last refresh
and last sync. Read-only and never any token material."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, func
from sqlmodel import select

from xeroflow_core.db import session_scope
from xeroflow_core.models.sync import SyncRun
from xeroflow_core.models.xero import XeroConnection, XeroToken

STATE_LABELS = {
    "not_connected": "Not connected",
    "connected": "Connected",
    "needs_reconnect": "Needs reconnect",
    "read_only": "Lost write access",
    "disconnected": "Disconnected",
    "removed": "Removed in Xero",
}


@dataclass
class OrganisationView:
    tenant_id: str
    name: str
    tenant_type: str
    status: str
    status_label: str
    reason: str
    sync_enabled: bool
    connected_at: datetime | None
    last_sync: datetime | None = None


@dataclass
class ConnectionOverview:
    state: str  # not_connected, connected, needs_reconnect, read_only, disconnected
    label: str
    organisations: list[OrganisationView] = field(default_factory=list)
    scopes: list[str] = field(default_factory=list)
    last_refresh: datetime | None = None
    reasons: list[str] = field(default_factory=list)

    @property
    def usable(self) -> list[OrganisationView]:
        """Organisations that can be read now, so can be chosen for sync."""
        return [o for o in self.organisations if o.status in ("connected", "read_only")]

    @property
    def can_disconnect(self) -> bool:
        """Something is still authorised (a connection needing reconnect still holds a grant)."""
        return any(
            o.status in ("connected", "read_only", "needs_reconnect") for o in self.organisations
        )

    @property
    def awaiting_choice(self) -> bool:
        """Connected organisations exist but none is chosen for sync yet."""
        return bool(self.usable) and not any(o.sync_enabled for o in self.usable)


def last_sync_times(engine: Engine) -> dict[str, datetime]:
    """The last finished sync (ok or partial) per tenant, from the sync engine's runs; empty
    when the sync tables are not there (the Connect page then omits the figure)."""
    try:
        with session_scope(engine) as s:
            rows = s.execute(
                select(SyncRun.tenant_id, func.max(SyncRun.finished_at))
                .where(SyncRun.status.in_(("ok", "partial")))
                .group_by(SyncRun.tenant_id)
            )
            return {str(t): v for t, v in rows if v is not None}
    except Exception:  # noqa: BLE001 - the sync schema may be mid-change; omit the figure
        return {}


def overview(engine: Engine) -> ConnectionOverview:
    """The connection state for the Connect page (never any token material)."""
    syncs = last_sync_times(engine)
    with session_scope(engine) as s:
        conns = list(s.exec(select(XeroConnection).order_by(XeroConnection.tenant_name)))
        # only authorisations that organisations still use: one replaced by another Xero
        # user's consent must not colour the page
        live = {
            c.token_id for c in conns if c.status in ("connected", "read_only", "needs_reconnect")
        }
        tokens = [t for t in s.exec(select(XeroToken)) if t.id in live]
    orgs = [
        OrganisationView(
            c.tenant_id, c.tenant_name, c.tenant_type, c.status, STATE_LABELS.get(c.status, c.status),
            c.status_reason, c.sync_enabled, c.connected_at, syncs.get(c.tenant_id),
        )
        for c in conns
    ]  # fmt: skip
    statuses = {o.status for o in orgs}
    if "needs_reconnect" in statuses:
        state = "needs_reconnect"
    elif "read_only" in statuses:
        state = "read_only"
    elif "connected" in statuses:
        state = "connected"
    elif orgs:
        state = "disconnected"
    else:
        state = "not_connected"
    scopes = sorted({sc for t in tokens for sc in t.scopes.split()})
    refreshed = [t.refreshed_at or t.created_at for t in tokens]
    reasons = sorted(
        {o.reason for o in orgs if o.status in ("needs_reconnect", "read_only", "removed")}
        | {t.status_reason for t in tokens if t.status == "needs_reconnect"}
    )
    return ConnectionOverview(
        state,
        STATE_LABELS[state],
        orgs,
        scopes,
        max(refreshed) if refreshed else None,
        [r for r in reasons if r],
    )

"""What the Sync Status page (and other pages' caches) read about sync. No Xero calls here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import select

from xeroflow_core.db import session_scope
from xeroflow_core.models import XeroConnection
from xeroflow_core.models.core import utcnow
from xeroflow_core.models.sync import (
    ApiBudget,
    SyncResourceState,
    SyncRun,
    TenantLease,
    WorkRequest,
)
from xeroflow_core.settings import Settings
from xeroflow_core.sync.resources import RESOURCES


def last_finished_run() -> Any:
    """The select of the last finished sync run's id (for caches to combine with their own keys)."""
    return select(func.max(SyncRun.id)).where(SyncRun.status != "running")  # type: ignore[arg-type]


def data_version(engine: Engine) -> int:
    """Id of the last finished sync run: a cache key that changes whenever synced data may have."""
    with session_scope(engine) as s:
        return int(s.exec(last_finished_run()).one() or 0)


def last_successful_sync(engine: Engine, tenant_id: str) -> datetime | None:
    """When the last run that synced every resource without error finished."""
    with session_scope(engine) as s:
        return s.exec(
            select(func.max(SyncRun.finished_at)).where(
                SyncRun.tenant_id == tenant_id, SyncRun.status == "ok"
            )
        ).one()


def age(when: datetime | None, now: datetime | None = None) -> str:
    """ "3 min ago"-style age for people."""
    if when is None:
        return "never"
    secs = int(((now or utcnow()) - when).total_seconds())
    if secs < 60:
        return f"{max(secs, 0)} s ago"
    if secs < 3600:
        return f"{secs // 60} min ago"
    if secs < 86400:
        return f"{secs // 3600} h {secs % 3600 // 60} min ago"
    return f"{secs // 86400} d ago"


@dataclass
class OrgStatus:
    tenant_id: str
    name: str
    connection: str
    connection_reason: str
    resources: list[SyncResourceState]
    budget: ApiBudget | None
    running: SyncRun | None
    last_run: SyncRun | None
    next_fast: datetime | None
    next_slow: datetime | None
    lease_holder: str = ""
    history: list[SyncRun] = field(default_factory=list)


def _next(last: datetime | None, minutes: int, now: datetime) -> datetime:
    if last is None:
        return now
    nxt = last + timedelta(minutes=minutes)
    return nxt if nxt > now else now


def overview(engine: Engine, settings: Settings, history: int = 15) -> list[OrgStatus]:
    """Every connected (or once connected) organisation with its sync state."""
    now = utcnow()
    fast = {r.name for r in RESOURCES if r.cadence == "fast"}
    out: list[OrgStatus] = []
    with session_scope(engine) as s:
        conns = list(s.exec(select(XeroConnection).order_by(XeroConnection.tenant_name)))
        for c in conns:
            states = {
                st.resource: st
                for st in s.exec(
                    select(SyncResourceState).where(SyncResourceState.tenant_id == c.tenant_id)
                )
            }
            resources = [
                states.get(r.name) or SyncResourceState(tenant_id=c.tenant_id, resource=r.name)
                for r in RESOURCES
            ]
            runs = list(
                s.exec(
                    select(SyncRun)
                    .where(SyncRun.tenant_id == c.tenant_id)
                    .order_by(SyncRun.id.desc())  # type: ignore[union-attr]
                    .limit(history)
                )
            )
            running = next((r for r in runs if r.status == "running"), None)
            finished = [r for r in runs if r.status != "running"]
            fast_done = max(
                (
                    st.last_attempt_at
                    for st in resources
                    if st.resource in fast and st.last_attempt_at
                ),
                default=None,
            )
            slow_done = max(
                (
                    st.last_attempt_at
                    for st in resources
                    if st.resource not in fast and st.last_attempt_at
                ),
                default=None,
            )
            lease = s.get(TenantLease, c.tenant_id)
            holder = ""
            if lease and lease.holder and lease.expires_at and lease.expires_at > now:
                holder = lease.holder
            budget = s.get(ApiBudget, c.tenant_id)
            if budget is not None and budget.day != now.date():
                budget.calls_today = 0
            out.append(
                OrgStatus(
                    tenant_id=c.tenant_id,
                    name=c.tenant_name or c.tenant_id,
                    connection=c.status,
                    connection_reason=c.status_reason,
                    resources=resources,
                    budget=budget,
                    running=running if holder else None,
                    last_run=finished[0] if finished else None,
                    next_fast=_next(fast_done, settings.sync_fast_minutes, now)
                    if c.sync_enabled
                    else None,
                    next_slow=_next(slow_done, settings.sync_slow_minutes, now)
                    if c.sync_enabled
                    else None,
                    lease_holder=holder,
                    history=runs,
                )
            )
    return out


def any_running(engine: Engine) -> bool:
    """Whether a sync run or a sync request is under way (the page refreshes itself then)."""
    with session_scope(engine) as s:
        run = s.exec(select(SyncRun.id).where(SyncRun.status == "running").limit(1)).first()
        req = s.exec(
            select(WorkRequest.id)
            .where(WorkRequest.kind == "sync", WorkRequest.status.in_(("pending", "running")))  # type: ignore[attr-defined]
            .limit(1)
        ).first()
        return run is not None or req is not None


RESOURCE_LABELS = {
    "TaxRates": "Tax rates",
    "TrackingCategories": "Tracking categories",
    "CreditNotes": "Credit notes",
    "ExpenseClaims": "Expense claims",
}
STATUS_LABELS = {"ok": "OK", "error": "Error", "unavailable": "Unavailable", "never": "Not yet"}


def resource_label(name: str) -> str:
    """Xero's resource name as people read it ("CreditNotes" -> "Credit notes")."""
    return RESOURCE_LABELS.get(name, name)


def status_label(status: str | None) -> str:
    return STATUS_LABELS.get(status or "", (status or "").capitalize())

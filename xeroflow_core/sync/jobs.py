"""Asking for a sync, and running one that was asked for.

The pages (Sync Status, EOM Review) call `request_sync` and the Connect flow, after a consent,
`request_initial_sync`; both write a work request of kind "sync"; the worker runs
`handle_sync_request` for it while holding the organisation's lease.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Engine
from sqlmodel import select

from xeroflow_core import audit
from xeroflow_core.actor import SYSTEM, Actor
from xeroflow_core.db import session_scope
from xeroflow_core.models.sync import WorkRequest
from xeroflow_core.settings import Settings
from xeroflow_core.sync.engine import sync_tenant
from xeroflow_core.sync.lease import LeaseBusy
from xeroflow_core.users import require
from xeroflow_core.work import submit
from xeroflow_core.xero.connections import active_tenants

log = logging.getLogger(__name__)


def request_sync(
    engine: Engine,
    actor: Actor,
    tenant_id: str | None,
    *,
    full: bool,
    trigger: str = "manual",
) -> int:
    """Ask the worker to sync one organisation (or every chosen one when None). Only admins
    (and the system itself: the Connect flow asks for the initial sync as SYSTEM after its own
    `manage_connection` check) may; `trigger` is a label, never a permission. A request
    already waiting for the same organisation is reused, not duplicated."""
    if actor != SYSTEM:
        require(actor, "resync")
    with session_scope(engine) as s:
        waiting = s.exec(
            select(WorkRequest).where(
                WorkRequest.kind == "sync",
                WorkRequest.status == "pending",
                WorkRequest.tenant_id == tenant_id
                if tenant_id is not None
                else WorkRequest.tenant_id.is_(None),  # type: ignore[union-attr]
            )
        ).first()
        if waiting is not None and (waiting.params.get("full") or not full):
            audit.record(
                s, actor, "sync.requested", tenant_id or "all", request_id=waiting.id, reused=True
            )
            return int(waiting.id or 0)
    return submit(engine, actor, "sync", tenant_id, {"full": full, "trigger": trigger})


def request_initial_sync(engine: Engine, actor: Actor, tenant_ids: list[str]) -> list[str]:
    """Ask the worker for a full sync of newly chosen organisations; returns those asked for.
    The caller must be allowed to manage the connection; the request itself is made as the
    system (a staff member who may not resync cannot get one through here)."""
    require(actor, "manage_connection")
    done = []
    for tid in tenant_ids:
        try:
            request_sync(engine, SYSTEM, tid, full=True, trigger="initial")
            done.append(tid)
        except Exception as exc:  # noqa: BLE001 - the connection stands; the sync can be re-asked
            log.warning("could not request the initial sync of %s: %s", tid, type(exc).__name__)
    return done


def handle_sync_request(engine: Engine, settings: Settings, request: WorkRequest) -> dict[str, Any]:
    """Run the sync a request asks for (one organisation, or every chosen one)."""
    params = request.params or {}
    tenants = (
        [request.tenant_id] if request.tenant_id else [c.tenant_id for c in active_tenants(engine)]
    )
    out: dict[str, Any] = {}
    for tid in tenants:
        try:
            res = sync_tenant(
                engine,
                settings,
                tid,
                full=bool(params.get("full")),
                trigger=str(params.get("trigger") or "manual"),
            )
        except LeaseBusy as exc:
            out[tid] = {"status": "busy", "error": str(exc)}
            continue
        out[tid] = {
            "run_id": res.run_id,
            "status": res.status,
            "calls": res.calls,
            "rows": res.rows,
        }
        if res.error:
            out[tid]["error"] = res.error
    return out

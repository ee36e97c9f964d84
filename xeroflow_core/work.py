"""Work requests: how the UI (and other features) ask the worker to do something.

The UI never calls Xero on a page render; it writes a WorkRequest row. The worker claims pending
rows with a conditional UPDATE (so two workers never run one request), runs the handler for its
kind while holding the organisation's lease, and records the result or Xero's error.
"""

from __future__ import annotations

import importlib
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, or_, update
from sqlmodel import select

from xeroflow_core import audit
from xeroflow_core.actor import SYSTEM, Actor
from xeroflow_core.db import session_scope
from xeroflow_core.models.core import utcnow
from xeroflow_core.models.sync import WorkRequest
from xeroflow_core.users import require

# kind -> "module:function(engine, settings, request) -> dict", imported when first needed
REQUEST_HANDLERS: dict[str, str] = {
    "sync": "xeroflow_core.sync.requests:handle_sync_request",
    "report": "xeroflow_core.reports:handle_report_request",
    "eom_push": "xeroflow_core.eom.push:handle_push_request",
}
WR = WorkRequest.__table__


class HandlerMissing(RuntimeError):
    """No handler is installed for a request's kind."""


def submit(
    engine: Engine,
    actor: Actor,
    kind: str,
    tenant_id: str | None,
    params: dict[str, Any],
    not_before: datetime | None = None,
) -> int:
    """Queue work for the worker (not to start before `not_before`, when given); returns the
    request id. The caller checks its own permission (each feature knows what its kind
    needs); the request is audited here."""
    if kind not in REQUEST_HANDLERS:
        raise ValueError(f"unknown work kind {kind!r}; known: {', '.join(REQUEST_HANDLERS)}")
    with session_scope(engine) as s:
        row = WorkRequest(
            kind=kind, tenant_id=tenant_id, params=dict(params), requested_by=actor.username,
            not_before=not_before,
        )  # fmt: skip
        s.add(row)
        s.flush()
        audit.record(s, actor, f"{kind}.requested", tenant_id or "all", request_id=row.id, **params)
        return int(row.id or 0)


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


def get_request(engine: Engine, request_id: int) -> WorkRequest | None:
    with session_scope(engine) as s:
        return s.get(WorkRequest, request_id)


def recent_requests(engine: Engine, limit: int = 20, kind: str | None = None) -> list[WorkRequest]:
    with session_scope(engine) as s:
        q = select(WorkRequest).order_by(WorkRequest.id.desc()).limit(limit)  # type: ignore[union-attr]
        if kind:
            q = q.where(WorkRequest.kind == kind)
        return list(s.exec(q))


def pending(engine: Engine, limit: int = 20) -> list[WorkRequest]:
    """Requests waiting to run now (a request with `not_before` waits until then)."""
    with session_scope(engine) as s:
        q = (
            select(WorkRequest)
            .where(
                WorkRequest.status == "pending",
                or_(WorkRequest.not_before.is_(None), WorkRequest.not_before <= utcnow()),  # type: ignore[union-attr,operator]
            )
            .order_by(WorkRequest.id)  # type: ignore[arg-type]
            .limit(limit)
        )
        return list(s.exec(q))


def claim(engine: Engine, request_id: int, worker: str) -> bool:
    """pending -> running, for exactly one worker (conditional UPDATE, rowcount checked)."""
    with engine.begin() as conn:
        res = conn.execute(
            update(WR)
            .where(WR.c.id == request_id, WR.c.status == "pending")
            .values(status="running", worker=worker, started_at=utcnow())
        )
    return res.rowcount == 1


def unclaim(engine: Engine, request_id: int, worker: str) -> None:
    """Give a request back (its organisation was busy, or our lease lapsed): it runs again on a
    later poll. Only the worker holding the claim may give it back."""
    with engine.begin() as conn:
        conn.execute(
            update(WR)
            .where(WR.c.id == request_id, WR.c.status == "running", WR.c.worker == worker)
            .values(status="pending", worker="", started_at=None)
        )


def finish(
    engine: Engine,
    request_id: int,
    *,
    result: dict | None = None,
    error: str = "",
    worker: str | None = None,
) -> None:
    """Record the outcome (only if `worker` still holds the claim, when given)."""
    cond = [WR.c.id == request_id]
    if worker is not None:
        cond += [WR.c.worker == worker, WR.c.status == "running"]
    with engine.begin() as conn:
        conn.execute(
            update(WR)
            .where(*cond)
            .values(
                status="failed" if error else "done",
                finished_at=utcnow(),
                error=error[:4000],
                result=result or {},
            )
        )


def requeue_abandoned(engine: Engine, lease_free: Any, older_than_s: float) -> int:
    """Requests left `running` by a worker that died (its lease lapsed) go back to pending."""
    cutoff = utcnow() - timedelta(seconds=older_than_s)
    n = 0
    with session_scope(engine) as s:
        stale = s.exec(
            select(WorkRequest).where(
                WorkRequest.status == "running",
                WorkRequest.started_at < cutoff,  # type: ignore[operator]
            )
        ).all()
        ids = [r.id for r in stale if r.tenant_id is None or lease_free(r.tenant_id)]
    for rid in ids:
        with engine.begin() as conn:
            res = conn.execute(
                update(WR)
                .where(WR.c.id == rid, WR.c.status == "running")
                .values(status="pending", worker="", started_at=None)
            )
            n += res.rowcount
    return n


def resolve_handler(kind: str) -> Any:
    """The handler function for a kind; HandlerMissing with a clear message if absent."""
    target = REQUEST_HANDLERS.get(kind)
    if target is None:
        raise HandlerMissing(f"no handler for work of kind {kind!r}")
    module_name, func_name = target.split(":")
    try:
        return getattr(importlib.import_module(module_name), func_name)
    except (ImportError, AttributeError) as exc:
        raise HandlerMissing(
            f"the handler for {kind!r} ({target}) is not installed in this version: {exc}"
        ) from None


def handle_sync_request(engine: Engine, settings: Any, request: WorkRequest) -> dict[str, Any]:
    """Run the sync a request asks for (one organisation, or every chosen one)."""
    from xeroflow_core.sync.engine import sync_tenant
    from xeroflow_core.xero.connections import active_tenants

    params = request.params or {}
    tenants = (
        [request.tenant_id] if request.tenant_id else [c.tenant_id for c in active_tenants(engine)]
    )
    out: dict[str, Any] = {}
    from xeroflow_core.sync.lease import LeaseBusy

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


__all__ = [
    "REQUEST_HANDLERS",
    "SYSTEM",
    "HandlerMissing",
    "claim",
    "finish",
    "get_request",
    "handle_sync_request",
    "pending",
    "recent_requests",
    "request_sync",
    "requeue_abandoned",
    "resolve_handler",
    "submit",
    "unclaim",
]

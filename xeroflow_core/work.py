"""The work queue: how the UI (and other features) ask the worker to do something.

The UI never calls Xero on a page render; it writes a WorkRequest row (`submit`). The worker
claims pending rows with a conditional UPDATE (so two workers never run one request), runs the
handler it maps the request's kind to (worker.py) while holding the organisation's lease, and
records the result or the error (`finish`), or gives the request back (`unclaim`,
`requeue_abandoned`). This module knows the kinds by name only, never their handlers.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, or_, update
from sqlmodel import select

from xeroflow_core import audit
from xeroflow_core.actor import Actor
from xeroflow_core.db import session_scope
from xeroflow_core.models.core import utcnow
from xeroflow_core.models.sync import WorkRequest

# The kinds of work: a sync (sync/jobs.py), Xero's P&L report (profitability/xero_report.py)
# and an EOM push (eom/push.py). The worker maps each to its handler.
KINDS = ("sync", "report", "eom_push")
WR = WorkRequest.__table__


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
    if kind not in KINDS:
        raise ValueError(f"unknown work kind {kind!r}; known: {', '.join(KINDS)}")
    with session_scope(engine) as s:
        row = WorkRequest(
            kind=kind, tenant_id=tenant_id, params=dict(params), requested_by=actor.username,
            not_before=not_before,
        )  # fmt: skip
        s.add(row)
        s.flush()
        audit.record(s, actor, f"{kind}.requested", tenant_id or "all", request_id=row.id, **params)
        return int(row.id or 0)


def get_request(engine: Engine, request_id: int) -> WorkRequest | None:
    """One request by id (None when there is no such request)."""
    with session_scope(engine) as s:
        return s.get(WorkRequest, request_id)


def recent_requests(engine: Engine, limit: int = 20, kind: str | None = None) -> list[WorkRequest]:
    """The newest requests (of one kind, when given), for the status pages."""
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

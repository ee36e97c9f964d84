"""Recording runs and per-resource state: what the Sync Status page reads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from xeroflow_core.db import session_scope
from xeroflow_core.models.core import utcnow
from xeroflow_core.models.sync import SyncResourceState, SyncRun

STATE = SyncResourceState.__table__
RUN = SyncRun.__table__


def start_run(engine: Engine, tenant_id: str, trigger: str, full: bool, worker: str) -> int:
    with session_scope(engine) as s:
        run = SyncRun(tenant_id=tenant_id, trigger=trigger, full=full, worker=worker)
        s.add(run)
        s.flush()
        return int(run.id or 0)


def finish_run(
    engine: Engine,
    run_id: int,
    *,
    status: str,
    calls: int,
    rows: int,
    error: str,
    resources: dict[str, Any],
) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(RUN)
            .where(RUN.c.id == run_id)
            .values(
                status=status,
                finished_at=utcnow(),
                calls=calls,
                rows=rows,
                error=error[:4000],
                resources=resources,
                progress={},
            )
        )


def set_progress(conn: Connection, run_id: int, progress: dict[str, Any]) -> None:
    conn.execute(update(RUN).where(RUN.c.id == run_id).values(progress=progress))


def read_cursor(engine: Engine, tenant_id: str, resource: str) -> datetime | None:
    with session_scope(engine) as s:
        row = s.get(SyncResourceState, (tenant_id, resource))
        return row.cursor if row else None


def open_pass(engine: Engine, tenant_id: str, resource: str) -> tuple[bool, datetime | None]:
    """(whether a paged read was interrupted, where it started)."""
    with session_scope(engine) as s:
        row = s.get(SyncResourceState, (tenant_id, resource))
        return (bool(row.pass_open), row.pass_from) if row else (False, None)


def mark_pass(
    conn: Connection, tenant_id: str, resource: str, is_open: bool, start: datetime | None
) -> None:
    values: dict[str, Any] = {"pass_open": is_open}
    if is_open:
        values["pass_from"] = start
    conn.execute(
        update(STATE)
        .where(STATE.c.tenant_id == tenant_id, STATE.c.resource == resource)
        .values(**values)
    )


def ensure_state(conn: Connection, tenant_id: str, resource: str) -> None:
    ins = (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(STATE)
    conn.execute(
        ins.values(
            tenant_id=tenant_id, resource=resource, status="never", rows=0
        ).on_conflict_do_nothing(index_elements=["tenant_id", "resource"])
    )


def move_cursor(conn: Connection, tenant_id: str, resource: str, cursor: datetime | None) -> None:
    """Move the cursor in the caller's transaction (the one that stored the page's rows)."""
    conn.execute(
        update(STATE)
        .where(STATE.c.tenant_id == tenant_id, STATE.c.resource == resource)
        .values(cursor=cursor, last_attempt_at=utcnow())
    )


def record_outcome(
    engine: Engine,
    tenant_id: str,
    resource: str,
    run_id: int,
    *,
    status: str,
    error: dict[str, Any] | None,
    table: Any,
) -> int:
    """After a resource finishes (or fails): its status, error and row count."""
    now = utcnow()
    with engine.begin() as conn:
        ensure_state(conn, tenant_id, resource)
        rows = conn.execute(
            select(func.count()).select_from(table).where(table.c.tenant_id == tenant_id)
        ).scalar_one()
        values: dict[str, Any] = {
            "status": status,
            "rows": int(rows),
            "last_attempt_at": now,
            "last_run_id": run_id,
            "error": (error or {}).get("xero_message", "")[:4000] if error else "",
            "what_to_do": (error or {}).get("what_to_do", "")[:1000] if error else "",
            "problem": (error or {}).get("problem", "")[:64] if error else "",
        }
        if status == "ok":
            values["last_success_at"] = now
        conn.execute(
            update(STATE)
            .where(STATE.c.tenant_id == tenant_id, STATE.c.resource == resource)
            .values(**values)
        )
    return int(rows)


def close_interrupted(engine: Engine, tenant_id: str) -> int:
    """Runs left `running` by a process that died (we hold the lease now, so nobody else is
    running): mark them interrupted so history and data_version stay truthful."""
    with engine.begin() as conn:
        res = conn.execute(
            update(RUN)
            .where(RUN.c.tenant_id == tenant_id, RUN.c.status == "running")
            .values(
                status="interrupted",
                finished_at=utcnow(),
                error="the process running this sync stopped before it finished",
                progress={},
            )
        )
    return int(res.rowcount or 0)

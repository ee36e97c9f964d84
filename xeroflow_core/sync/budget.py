"""Xero's remaining-budget headers, kept per organisation for the Sync Status page and for the
next run (a day 429 stops the next run before it spends a call).

One answered call is one atomic `INSERT … ON CONFLICT DO UPDATE` (PostgreSQL and SQLite), so
concurrent first calls for a new tenant neither collide on the primary key nor lose counts."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import httpx
from sqlalchemy import Engine, case, func
from sqlalchemy.dialects import postgresql, sqlite

from xeroflow_core.db import session_scope
from xeroflow_core.models.core import utcnow
from xeroflow_core.models.sync import ApiBudget
from xeroflow_core.xero.client import ClientHooks
from xeroflow_core.xero.connections import mark_lost_write_access
from xeroflow_core.xero.governor import Governor, rate_headers

log = logging.getLogger("xeroflow.sync.budget")

__all__ = ["budget", "client_hooks", "rate_headers", "record_call", "restore_budget"]


def client_hooks(engine: Engine) -> ClientHooks:
    """The hooks every XeroClient of the app runs with: restore and record the API budget here,
    and mark the connection read-only when a write is refused with 403."""
    return ClientHooks(
        restore_budget=partial(restore_budget, engine),
        record_call=partial(record_call, engine),
        lost_write_access=partial(mark_lost_write_access, engine),
    )


def restore_budget(engine: Engine, tenant_id: str, governor: Governor) -> None:
    """Start from the last known budget: a day 429 seen earlier stops us before any call."""
    with session_scope(engine) as s:
        row = s.get(ApiBudget, tenant_id)
        if row is None:
            return
        now = datetime.now(UTC)
        retry_at = row.retry_at
        if row.problem == "day" and retry_at and retry_at > now:
            governor.day_remaining = 0
        elif row.updated_at and row.updated_at > now - timedelta(minutes=30):
            if row.day_remaining is not None and governor.day_remaining is None:
                governor.day_remaining = row.day_remaining
        elif governor.day_remaining == 0:
            governor.day_remaining = None  # the block has lifted


def record_call(
    engine: Engine,
    tenant_id: str,
    status: int,
    headers: httpx.Headers,
    *,
    raise_errors: bool = False,
) -> None:
    """Count one answered call and keep the X-*Limit-Remaining values (429s included).

    Bookkeeping only: a database error here is logged and swallowed (unless `raise_errors`), so
    it never turns a call Xero answered into an exception."""
    try:
        _upsert(engine, tenant_id, status, headers)
    except Exception:
        if raise_errors:
            raise
        log.exception("could not record a Xero call in the API budget of %s", tenant_id)


def _upsert(engine: Engine, tenant_id: str, status: int, headers: httpx.Headers) -> None:
    now = utcnow()
    today = now.date()
    day_remaining, minute_remaining = rate_headers(headers)
    problem = (headers.get("x-rate-limit-problem") or "").lower() if status == 429 else ""
    retry_at = None
    if problem == "day":
        try:
            wait = float(headers.get("retry-after") or 3600)
        except ValueError:
            wait = 3600.0
        retry_at = now + timedelta(seconds=wait)

    table = ApiBudget.__table__
    values: dict[str, Any] = {
        "tenant_id": tenant_id,
        "day": today,
        "calls_today": 1,
        "day_remaining": day_remaining,
        "minute_remaining": minute_remaining,
        "problem": problem,
        "retry_at": retry_at,
        "updated_at": now,
    }
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table).values(**values)
    ex = stmt.excluded
    changes: dict[str, Any] = {
        "day": ex.day,
        "calls_today": case(
            (table.c.day == ex.day, table.c.calls_today + 1),
            else_=1,
        ),
        "day_remaining": func.coalesce(ex.day_remaining, table.c.day_remaining),
        "minute_remaining": func.coalesce(ex.minute_remaining, table.c.minute_remaining),
        "problem": ex.problem,
        "updated_at": ex.updated_at,
    }
    if problem == "day" or status < 300:  # a day 429 sets when it lifts; a success clears it
        changes["retry_at"] = ex.retry_at
    with engine.begin() as conn:
        conn.execute(stmt.on_conflict_do_update(index_elements=[table.c.tenant_id], set_=changes))


def budget(engine: Engine, tenant_id: str) -> ApiBudget | None:
    """The last known budget of one organisation, read only (calls_today reads 0 on a new UTC
    day; the stored row is left as it is)."""
    with session_scope(engine) as s:
        row = s.get(ApiBudget, tenant_id)
        if row is None:
            return None
        s.expunge(row)
    if row.day != utcnow().date():
        row.calls_today = 0
    return row

"""Xero's remaining-budget headers, kept per organisation for the Sync Status page and for the
next run (a day 429 stops the next run before it spends a call)."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import Engine

from xeroflow_core.db import session_scope
from xeroflow_core.models.core import utcnow
from xeroflow_core.models.sync import ApiBudget


def record_call(engine: Engine, tenant_id: str, status: int, headers: httpx.Headers) -> None:
    """Count one answered call and keep the X-*Limit-Remaining values (429s included)."""
    now = utcnow()
    with session_scope(engine) as s:
        row = s.get(ApiBudget, tenant_id)
        if row is None:
            row = ApiBudget(tenant_id=tenant_id, day=now.date())
            s.add(row)
        if row.day != now.date():
            row.day, row.calls_today = now.date(), 0
        row.calls_today += 1
        day = headers.get("x-daylimit-remaining")
        minute = headers.get("x-minlimit-remaining")
        if day is not None and day.strip().isdigit():
            row.day_remaining = int(day)
        if minute is not None and minute.strip().isdigit():
            row.minute_remaining = int(minute)
        problem = (headers.get("x-rate-limit-problem") or "").lower() if status == 429 else ""
        row.problem = problem
        if problem == "day":
            try:
                wait = float(headers.get("retry-after") or 3600)
            except ValueError:
                wait = 3600.0
            row.retry_at = now + timedelta(seconds=wait)
        elif status < 300:
            row.retry_at = None
        row.updated_at = now


def budget(engine: Engine, tenant_id: str) -> ApiBudget | None:
    """The last known budget of one organisation (calls_today is 0 on a new UTC day)."""
    with session_scope(engine) as s:
        row = s.get(ApiBudget, tenant_id)
        if row is not None and row.day != utcnow().date():
            row.calls_today = 0
        return row

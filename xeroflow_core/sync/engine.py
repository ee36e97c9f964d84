"""The sync engine: one organisation, resource by resource, page by page.

Rules (docs/ARCHITECTURE.md, "A sync"):
- Paged resources use pageSize=1000 with `order=UpdatedDateUTC ASC` and `If-Modified-Since`
  (UTC, second precision) from the cursor; `pagination.pageCount` ends the read without a
  trailing empty call, so an initial sync costs ceil(n/1000) calls and a quiet run one.
- Each page's rows and the cursor (the largest UpdatedDateUTC stored, from Xero's data) commit
  in one transaction, so a crash resumes where it stopped.
- Records that change while we page move to the end of Xero's order and shift later records
  onto pages already read. We detect it (an id seen twice, or fewer distinct ids than Xero's
  itemCount), step the cursor back to the last page served before the change, and re-read from
  there by keyset (If-Modified-Since = the last second read, page 1 again; within one crowded
  second, the next page). Upserts are idempotent, so re-reads cost calls, never correctness.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import httpx
from sqlalchemy import Engine

from xeroflow_core.db import refresh_statistics
from xeroflow_core.settings import Settings
from xeroflow_core.sync import runs
from xeroflow_core.sync.budget import client_hooks
from xeroflow_core.sync.lease import PROCESS_ID, Lease, LeaseLost, tenant_lease
from xeroflow_core.sync.reader import Progress, ResourceReader, ResourceResult
from xeroflow_core.sync.resources import Resource, select_resources
from xeroflow_core.xero.client import ClientOptions, XeroClient
from xeroflow_core.xero.connections import mark_needs_reconnect
from xeroflow_core.xero.errors import (
    XeroBudgetReserved,
    XeroError,
    XeroForbidden,
    XeroNeedsReconnect,
    XeroRateLimited,
    XeroUnauthorized,
)

log = logging.getLogger("xeroflow.sync")


@dataclass
class SyncRunResult:
    run_id: int
    tenant_id: str
    status: str = "running"
    calls: int = 0
    rows: int = 0
    seconds: float = 0.0
    error: str = ""
    resources: list[ResourceResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def _optional_refusal(res: Resource, exc: XeroError) -> bool:
    """An optional resource Xero refuses (not allowed, not available) is skipped, not failed."""
    if not res.optional:
        return False
    return isinstance(exc, (XeroForbidden, XeroUnauthorized)) or exc.status in (401, 403, 404, 410)


def sync_tenant(
    engine: Engine,
    settings: Settings,
    tenant_id: str,
    *,
    full: bool = False,
    trigger: str = "manual",
    resources: list[str] | tuple[str, ...] | None = None,
    http: httpx.Client | None = None,
    progress: Progress | None = None,
    options: ClientOptions | None = None,
) -> SyncRunResult:
    """Sync one organisation now, holding its lease (raises LeaseBusy if another process is
    syncing it). `full` ignores the cursors and re-reads everything (rows are upserted)."""
    selected = select_resources(resources)
    t0 = time.perf_counter()
    with tenant_lease(engine, tenant_id) as lease:
        runs.close_interrupted(engine, tenant_id)
        run_id = runs.start_run(engine, tenant_id, trigger, full, PROCESS_ID)
        result = SyncRunResult(run_id, tenant_id)
        client = XeroClient(
            engine, settings, tenant_id, http=http, options=options, hooks=client_hooks(engine)
        )
        stop: XeroError | None = None
        try:
            for res in selected:
                rr = _sync_one(engine, client, res, run_id, lease, progress, full, stop)
                result.resources.append(rr)
                if rr.error and rr.error.get("stop"):
                    stop = rr.error["exc"]
                    rr.error = {k: v for k, v in rr.error.items() if k not in ("stop", "exc")}
        finally:
            client.close()
        result.calls = sum(r.calls for r in result.resources)
        result.rows = sum(r.rows for r in result.resources)
        result.seconds = time.perf_counter() - t0
        statuses = {r.status for r in result.resources}
        if stop is not None:
            result.status = (
                "stopped" if isinstance(stop, (XeroRateLimited, XeroBudgetReserved)) else "failed"
            )
            result.error = f"{stop} — {stop.what_to_do}"
        elif "error" in statuses:
            result.status = "partial" if statuses - {"error"} else "failed"
            first = next(r for r in result.resources if r.status == "error")
            result.error = f"{first.name}: {(first.error or {}).get('error', '')}"
        else:
            result.status = "ok"
        runs.finish_run(
            engine,
            run_id,
            status=result.status,
            calls=result.calls,
            rows=result.rows,
            error=result.error,
            resources={r.name: r.as_dict() for r in result.resources},
        )
    refresh_statistics(engine, rows=result.rows)  # the planner's picture of the grown tables
    return result


def _sync_one(
    engine: Engine,
    client: XeroClient,
    res: Resource,
    run_id: int,
    lease: Lease,
    progress: Progress | None,
    full: bool,
    stopped: XeroError | None,
) -> ResourceResult:
    worker = ResourceReader(engine, client, res, run_id, lease, progress)
    if stopped is not None:
        worker.result.status = "skipped"
        return worker.result
    cursor = None if full else runs.read_cursor(engine, client.tenant_id, res.name)
    status, error = "ok", None
    try:
        worker.run(cursor)
    except LeaseLost:
        raise
    except XeroError as exc:
        if _optional_refusal(res, exc):
            status = "unavailable"
            error = exc.summary()
            error["what_to_do"] = (
                "Xero refused Classic Expenses for this organisation (the API is deprecated, or "
                "the connection lacks its scope); everything else still syncs."
            )
        else:
            status, error = "error", exc.summary()
            if isinstance(
                exc,
                (
                    XeroRateLimited,
                    XeroBudgetReserved,
                    XeroNeedsReconnect,
                    XeroForbidden,
                    XeroUnauthorized,
                ),
            ) and not (isinstance(exc, XeroRateLimited) and exc.scope != "day"):
                error.update(stop=True, exc=exc)
                if isinstance(exc, XeroForbidden) and exc.status == 403:
                    mark_needs_reconnect(
                        engine,
                        client.tenant_id,
                        f"Xero answered 403 to {res.path}: {exc.xero_message}",
                    )
        log.warning("sync %s %s: %s", client.tenant_id, res.name, exc)
    worker.result.status = status
    public = {k: v for k, v in (error or {}).items() if k not in ("stop", "exc")} or None
    worker.result.stored = runs.record_outcome(
        engine, client.tenant_id, res.name, run_id, status=status, error=public, table=res.table
    )
    worker.result.error = error
    return worker.result

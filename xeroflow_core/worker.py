"""The background worker: `python -m xeroflow_core worker` (APScheduler 3.x, one per process).

Jobs: poll work requests every few seconds (resyncs, reports, EOM pushes), incremental sync of
the fast resources (Contacts, Invoices, CreditNotes) every `sync_fast_minutes` and of the slow
ones every `sync_slow_minutes`, the token keep-alive daily, and the P&L report refresh hourly
Requests for an organisation and scheduled syncs run while this process holds that
organisation's lease, so several workers can run side by side safely. Two jobs do not take the
tenant lease: the keep-alive works on authorisations, not organisations, and is made safe by
each token's own single-flight refresh lease; the hourly P&L refresh (`xero_report.refresh_reports`)
only reads reports and is not under the lease, so another worker may be talking to the same
organisation at that moment (Xero's limits are still respected by its 429 handling).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import signal
import threading
from collections.abc import Callable
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, JobExecutionEvent
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import Engine

from xeroflow_core import work as wr
from xeroflow_core.db import DatabaseFileGone, make_engine, migrate
from xeroflow_core.eom.push import handle_push_request
from xeroflow_core.models.core import utcnow
from xeroflow_core.models.sync import WorkRequest
from xeroflow_core.profitability.xero_report import handle_report_request, refresh_reports
from xeroflow_core.settings import Settings, get_settings
from xeroflow_core.sync.engine import sync_tenant
from xeroflow_core.sync.jobs import handle_sync_request
from xeroflow_core.sync.lease import (
    PROCESS_ID,
    LeaseBusy,
    LeaseLost,
    current_holder,
    default_ttl,
    tenant_lease,
)
from xeroflow_core.sync.resources import FAST, SLOW
from xeroflow_core.users import refuse_demo_passwords
from xeroflow_core.xero.connections import active_tenants, keep_alive

Handler = Callable[[Engine, Settings, WorkRequest], dict[str, Any]]
# The handler of each kind of work (work.KINDS): a kind without one fails its requests clearly.
HANDLERS: dict[str, Handler] = {
    "sync": handle_sync_request,
    "report": handle_report_request,
    "eom_push": handle_push_request,
}

log = logging.getLogger("xeroflow.worker")
# exit code when the SQLite file was deleted under the worker: `make run` stops everything
# instead of restarting a worker that would create an empty database
EXIT_DATABASE_GONE = 3
_busy = threading.Lock()  # one request at a time per process keeps the in-process governor exact


def process_pending(engine: Engine, settings: Settings, limit: int = 20) -> int:
    """Claim and run pending work requests; returns how many ran. Requests whose organisation
    is busy elsewhere go back to pending for a later poll."""
    wr.requeue_abandoned(
        engine, lambda t: current_holder(engine, t) is None, older_than_s=default_ttl()
    )
    done = 0
    for req in wr.pending(engine, limit):
        if not wr.claim(engine, int(req.id or 0), PROCESS_ID):
            continue
        handler = HANDLERS.get(req.kind)
        if handler is None:
            error = f"the handler for work of kind {req.kind!r} is not installed in this worker"
            wr.finish(engine, int(req.id or 0), error=error, worker=PROCESS_ID)
            continue
        try:
            if req.tenant_id:
                with tenant_lease(engine, req.tenant_id):
                    result = handler(engine, settings, req)
            else:
                result = handler(engine, settings, req)
        except (LeaseBusy, LeaseLost) as exc:
            log.info("work request %s handed back: %s", req.id, exc)
            wr.unclaim(engine, int(req.id or 0), PROCESS_ID)
            continue
        except Exception as exc:  # noqa: BLE001 - the request records the failure; the worker lives
            log.exception("work request %s (%s) failed", req.id, req.kind)
            wr.finish(
                engine, int(req.id or 0), error=f"{type(exc).__name__}: {exc}", worker=PROCESS_ID
            )
        else:
            wr.finish(engine, int(req.id or 0), result=_jsonable(result), worker=PROCESS_ID)
        done += 1
    return done


def _jsonable(result: Any) -> dict:

    return json.loads(
        json.dumps(result if isinstance(result, dict) else {"result": result}, default=str)
    )


def scheduled_sync(engine: Engine, settings: Settings, resources: tuple[str, ...]) -> None:
    """Incremental sync of some resources for every organisation chosen for sync."""

    for conn in active_tenants(engine):
        try:
            with _busy:
                sync_tenant(
                    engine, settings, conn.tenant_id, trigger="scheduled", resources=resources
                )
        except LeaseBusy:
            log.info("%s is being synced by another worker; skipped", conn.tenant_id)
        except Exception:  # noqa: BLE001 - one organisation's failure never stops the others
            log.exception("scheduled sync of %s failed", conn.tenant_id)


def build_scheduler(
    engine: Engine, settings: Settings, poll_seconds: float = 3.0
) -> BlockingScheduler:
    scheduler = BlockingScheduler(
        timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1}
    )

    def poll() -> None:
        with _busy:
            process_pending(engine, settings)

    scheduler.add_job(poll, "interval", seconds=poll_seconds, id="requests", next_run_time=_now())
    scheduler.add_job(
        scheduled_sync,
        "interval",
        minutes=settings.sync_fast_minutes,
        args=(engine, settings, FAST),
        id="sync_fast",
    )
    scheduler.add_job(
        scheduled_sync,
        "interval",
        minutes=settings.sync_slow_minutes,
        args=(engine, settings, SLOW),
        id="sync_slow",
    )
    scheduler.add_job(keep_alive, "interval", days=1, args=(engine, settings), id="keep_alive")
    scheduler.add_job(refresh_reports, "interval", hours=1, args=(engine, settings), id="reports")
    return scheduler


def _now():  # noqa: ANN202
    return utcnow()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="xeroflow_core worker")
    parser.add_argument(
        "--poll-seconds", type=float, default=3.0, help="how often to look for requests"
    )
    parser.add_argument("--once", action="store_true", help="run pending requests once and exit")
    args = parser.parse_args(argv)
    settings = get_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(name)s %(message)s")
    # APScheduler logs every 3-second poll at INFO; keep its chatter for DEBUG only
    if logging.getLevelName(settings.log_level) != logging.DEBUG:
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
    engine = make_engine(settings.database_url)
    migrate(engine)
    if settings.production:
        refuse_demo_passwords(engine)
    if args.once:
        n = process_pending(engine, settings)
        print(f"ran {n} request(s)")
        return 0
    scheduler = build_scheduler(engine, settings, args.poll_seconds)
    gone: list[BaseException] = []

    def stop_if_database_gone(event: JobExecutionEvent) -> None:
        if isinstance(event.exception, DatabaseFileGone) and not gone:
            gone.append(event.exception)
            log.error("stopping: %s", event.exception)
            scheduler.shutdown(wait=False)

    scheduler.add_listener(stop_if_database_gone, EVENT_JOB_ERROR)
    signal.signal(signal.SIGTERM, lambda *_: scheduler.shutdown(wait=False))
    log.info(
        "worker %s started: requests every %.0f s, sync every %d/%d min",
        PROCESS_ID,
        args.poll_seconds,
        settings.sync_fast_minutes,
        settings.sync_slow_minutes,
    )
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()
    return EXIT_DATABASE_GONE if gone else 0

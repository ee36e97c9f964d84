"""What the Sync Status page says about an organisation, as plain functions: the progress of a
running sync, the four metrics, the daily-limit notice, what a resource's status means, whether
a resync may be asked for, and the rows of its tables. The page only draws what these return."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from xeroflow_core.models.sync import ApiBudget, SyncResourceState, SyncRun, WorkRequest
from xeroflow_core.settings import Settings
from xeroflow_core.sync.status import OrgStatus, age, resource_label, status_label
from xeroflow_core.text import md

RESYNC_CONNECTIONS = ("connected", "read_only")  # a resync needs a connection that can read


def when(dt: datetime | None) -> str:
    """A time as the page prints it: "2026-11-26 12:00:00 UTC", or "—" for never."""
    return dt.strftime("%Y-%m-%d %H:%M:%S UTC") if dt else "—"


def progress(p: dict[str, Any] | None) -> tuple[float, str]:
    """A running sync's bar: (fraction done, "Syncing Invoices: page 2 of 5"); 0 while the
    number of pages is unknown."""
    p = p or {}
    page, pages = p.get("page"), p.get("pages")
    label = f"Syncing {resource_label(p.get('resource', '…'))}"
    if page:
        label += f": page {page}" + (f" of {pages}" if pages else "")
    return (min(1.0, page / pages) if page and pages else 0.0), label


def metrics(org: OrgStatus, last_ok: datetime | None, cfg: Settings) -> list[dict[str, Any]]:
    """The four metrics of an organisation (keyword arguments of `st.metric`)."""
    budget, nxt = org.budget, org.next_fast
    return [
        {"label": "Last successful sync", "value": age(last_ok), "help": when(last_ok)},
        {"label": "Xero calls today", "value": budget.calls_today if budget else 0},
        {
            "label": "Daily budget remaining",
            "value": "unknown"
            if budget is None or budget.day_remaining is None
            else budget.day_remaining,
            "help": f"{cfg.api_reserve_calls} calls are kept in reserve for interactive work and "
            "EOM pushes; background sync stops before spending them.",
        },
        {
            "label": "Next scheduled run",
            "value": "not scheduled" if nxt is None else nxt.strftime("%H:%M UTC"),
            "help": f"Slow resources next at {when(org.next_slow)}",
        },
    ]


def day_limit_notice(budget: ApiBudget | None) -> str | None:
    """Why syncing has stopped for the day, when Xero's daily call limit is used up."""
    if budget is not None and budget.problem == "day" and budget.retry_at:
        return (
            "Xero's daily call limit for this organisation is used up; syncing resumes "
            f"after {when(budget.retry_at)}."
        )
    return None


def resource_row(r: SyncResourceState) -> dict[str, Any]:
    """One row of the resources table."""
    return {
        "Resource": resource_label(r.resource),
        "Status": status_label(r.status),
        "Last success": when(r.last_success_at),
        "Age": age(r.last_success_at),
        "Rows": r.rows,
        "Cursor (Xero UpdatedDateUTC)": when(r.cursor),
        "Last error": r.error,
        "What to do": r.what_to_do,
    }


def resource_notice(r: SyncResourceState) -> tuple[str, str] | None:
    """("error" | "info", markdown) for a resource that failed or that Xero does not offer this
    organisation (e.g. a plan without expense claims); None when it synced."""
    name = resource_label(r.resource)
    if r.status == "error":
        return "error", f"**{name}**: {md(r.error)}\n\n**What to do:** {md(r.what_to_do)}"
    if r.status == "unavailable":
        return "info", f"**{name}** unavailable: {md(r.error)}\n\n{md(r.what_to_do)}"
    return None


def can_resync(org: OrgStatus) -> bool:
    """Whether the resync buttons are enabled: the connection must still read from Xero."""
    return org.connection in RESYNC_CONNECTIONS


def run_row(r: SyncRun) -> dict[str, Any]:
    """One row of the run history."""
    return {
        "Run": r.id,
        "Trigger": r.trigger + (" (full)" if r.full else ""),
        "Status": r.status,
        "Started": when(r.started_at),
        "Seconds": round((r.finished_at - r.started_at).total_seconds(), 1)
        if r.finished_at
        else None,
        "Calls": r.calls,
        "Rows": r.rows,
        "Error": r.error,
    }


def waiting_caption(requests: Iterable[WorkRequest]) -> str | None:
    """The sync requests still waiting for the worker, or None when there are none."""
    waiting = [r for r in requests if r.status in ("pending", "running")]
    if not waiting:
        return None
    return "Waiting for the worker: " + ", ".join(
        f"#{r.id} ({r.status}, asked by {md(r.requested_by)})" for r in waiting
    )


def requested(full: bool, name: str, request_id: int) -> str:
    """The message after an admin asked for a resync."""
    kind = "Full resync" if full else "Resync"
    return (
        f"{kind} of {name} requested (request #{request_id}); the worker picks it up within "
        "seconds."
    )

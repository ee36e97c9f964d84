"""Sync Status page: per organisation and resource, how fresh the data is, what went wrong and
what to do, the API budget, and the run history. Everyone sees it; admins may ask the worker
for a resync (a request row: this page never calls Xero)."""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from xeroflow_core.sync import status as sync_status
from xeroflow_core.sync.jobs import request_sync
from xeroflow_core.text import md, plain_table
from xeroflow_core.ui.guard import allowed, require_page
from xeroflow_core.ui.resources import get_engine, settings
from xeroflow_core.users import PermissionDenied
from xeroflow_core.work import recent_requests

actor = require_page("sync_status")
engine = get_engine()
cfg = settings()
admin = allowed(actor, "resync")

st.title("Sync Status")
st.caption(
    f"The background worker syncs Contacts, Invoices and Credit Notes every "
    f"{cfg.sync_fast_minutes} min, and the organisation's settings, accounts, tax rates, "
    f"tracking and expense claims every {cfg.sync_slow_minutes} min."
)


def when(dt: datetime | None) -> str:
    return dt.strftime("%Y-%m-%d %H:%M:%S UTC") if dt else "—"


def ask(tenant_id: str, name: str, full: bool) -> None:
    try:
        rid = request_sync(engine, actor, tenant_id, full=full, trigger="manual")
    except PermissionDenied as exc:
        st.session_state["sync_flash"] = f"Refused: {exc}"
        return
    kind = "Full resync" if full else "Resync"
    st.session_state["sync_flash"] = (
        f"{kind} of {name} requested (request #{rid}); the worker picks it up within seconds."
    )


running = sync_status.any_running(engine)


@st.fragment(run_every="2s" if running else None)
def panel() -> None:
    orgs = sync_status.overview(engine, cfg)
    still_running = sync_status.any_running(engine)
    if running != still_running:
        st.rerun()  # a run started or ended: redraw all, refreshing only while one is going
    flash = st.session_state.pop("sync_flash", None)
    if flash:
        (st.error if flash.startswith("Refused") else st.success)(md(flash))
    if not orgs:
        st.info("No Xero organisation is connected yet. An admin connects one on the Connect page.")
        return
    for org in orgs:
        st.subheader(md(org.name))
        if org.connection != "connected":
            st.warning(md(f"Connection: {org.connection}. {org.connection_reason}"))
        if org.running is not None:
            p = org.running.progress or {}
            page, pages = p.get("page"), p.get("pages")
            label = f"Syncing {sync_status.resource_label(p.get('resource', '…'))}"
            if page:
                label += f": page {page}" + (f" of {pages}" if pages else "")
            st.progress(min(1.0, page / pages) if page and pages else 0.0, text=label)
        last_ok = sync_status.last_successful_sync(engine, org.tenant_id)
        budget = org.budget
        c1, c2, c3, c4 = st.columns(4)
        c1.metric("Last successful sync", sync_status.age(last_ok), help=when(last_ok))
        c2.metric("Xero calls today", budget.calls_today if budget else 0)
        c3.metric(
            "Daily budget remaining",
            "unknown" if budget is None or budget.day_remaining is None else budget.day_remaining,
            help=f"{cfg.api_reserve_calls} calls are kept in reserve for interactive work and "
            "EOM pushes; background sync stops before spending them.",
        )
        nxt = org.next_fast
        c4.metric(
            "Next scheduled run",
            "not scheduled" if nxt is None else nxt.strftime("%H:%M UTC"),
            help=f"Slow resources next at {when(org.next_slow)}",
        )
        if budget is not None and budget.problem == "day" and budget.retry_at:
            st.error(
                "Xero's daily call limit for this organisation is used up; syncing resumes "
                f"after {when(budget.retry_at)}."
            )
        st.dataframe(
            plain_table(
                [
                    {
                        "Resource": sync_status.resource_label(r.resource),
                        "Status": sync_status.status_label(r.status),
                        "Last success": when(r.last_success_at),
                        "Age": sync_status.age(r.last_success_at),
                        "Rows": r.rows,
                        "Cursor (Xero UpdatedDateUTC)": when(r.cursor),
                        "Last error": r.error,
                        "What to do": r.what_to_do,
                    }
                    for r in org.resources
                ]
            ),
            hide_index=True,
            width="stretch",
        )
        for r in org.resources:
            if r.status == "error":
                st.error(
                    f"**{sync_status.resource_label(r.resource)}**: {md(r.error)}\n\n"
                    f"**What to do:** {md(r.what_to_do)}"
                )
            elif r.status == "unavailable":
                st.info(
                    f"**{sync_status.resource_label(r.resource)}** unavailable: {md(r.error)}\n\n"
                    f"{md(r.what_to_do)}"
                )
        if admin:
            b1, b2, _ = st.columns([1, 1, 4])
            b1.button(
                "Resync now",
                help="Fetch what changed in Xero since the last sync (one call per resource).",
                key=f"resync-{org.tenant_id}",
                on_click=ask,
                args=(org.tenant_id, org.name, False),
                disabled=org.connection not in ("connected", "read_only"),
            )
            b2.button(
                "Full resync",
                help="Read everything again from Xero (costs more calls; nothing is deleted).",
                key=f"full-{org.tenant_id}",
                on_click=ask,
                args=(org.tenant_id, org.name, True),
                disabled=org.connection not in ("connected", "read_only"),
            )
        with st.expander("Run history", expanded=False):
            st.dataframe(
                plain_table(
                    [
                        {
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
                        for r in org.history
                    ]
                ),
                hide_index=True,
                width="stretch",
            )
    waiting = [
        r for r in recent_requests(engine, 10, kind="sync") if r.status in ("pending", "running")
    ]
    if waiting:
        st.caption(
            "Waiting for the worker: "
            + ", ".join(f"#{r.id} ({r.status}, asked by {md(r.requested_by)})" for r in waiting)
        )


panel()

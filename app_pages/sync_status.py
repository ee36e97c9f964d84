"""Sync Status page: per organisation and resource, how fresh the data is, what went wrong and
what to do, the API budget, and the run history. Everyone sees it; admins may ask the worker
for a resync (a request row: this page never calls Xero)."""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from xeroflow_core.sync import status as sync_status
from xeroflow_core.sync import status_view as sv
from xeroflow_core.sync.jobs import request_sync
from xeroflow_core.text import md, plain_table
from xeroflow_core.ui.guard import allowed, require_page
from xeroflow_core.ui.resources import get_engine, settings
from xeroflow_core.ui.widgets import metric_row
from xeroflow_core.users import PermissionDenied
from xeroflow_core.work import recent_requests

actor = require_page("sync_status")
engine = get_engine()
cfg = settings()
admin = allowed(actor, "resync")


def intro() -> None:
    """Title, and how often the worker syncs which resources."""
    st.title("Sync Status")
    st.caption(
        f"The background worker syncs Contacts, Invoices and Credit Notes every "
        f"{cfg.sync_fast_minutes} min, and the organisation's settings, accounts, tax rates, "
        f"tracking and expense claims every {cfg.sync_slow_minutes} min."
    )


def ask(tenant_id: str, name: str, full: bool) -> None:
    """A resync button's callback: a request row for the worker, and the message to show."""
    try:
        rid = request_sync(engine, actor, tenant_id, full=full, trigger="manual")
    except PermissionDenied as exc:
        st.session_state["sync_flash"] = f"Refused: {exc}"
        return
    st.session_state["sync_flash"] = sv.requested(full, name, rid)


def show_flash() -> None:
    """The message of the last resync asked for here, once."""
    flash = st.session_state.pop("sync_flash", None)
    if flash:
        (st.error if flash.startswith("Refused") else st.success)(md(flash))


def last_success(org: sync_status.OrgStatus) -> datetime | None:
    """When the organisation last finished a sync without error."""
    return sync_status.last_successful_sync(engine, org.tenant_id)


def org_state(org: sync_status.OrgStatus) -> None:
    """The connection's trouble, the running sync's progress, the metrics, the daily limit."""
    st.subheader(md(org.name))
    if org.connection != "connected":
        st.warning(md(f"Connection: {org.connection}. {org.connection_reason}"))
    if org.running is not None:
        fraction, label = sv.progress(org.running.progress)
        st.progress(fraction, text=label)
    metric_row(sv.metrics(org, last_success(org), cfg))
    notice = sv.day_limit_notice(org.budget)
    if notice:
        st.error(notice)


def resources(org: sync_status.OrgStatus) -> None:
    """Each resource's freshness in a table, then what went wrong and what to do."""
    st.dataframe(
        plain_table([sv.resource_row(r) for r in org.resources]), hide_index=True, width="stretch"
    )
    for r in org.resources:
        notice = sv.resource_notice(r)
        if notice:
            level, text = notice
            (st.error if level == "error" else st.info)(text)


def resync_buttons(org: sync_status.OrgStatus) -> None:
    """Resync and Full resync for admins (disabled while the connection cannot read)."""
    b1, b2, _ = st.columns([1, 1, 4])
    b1.button(
        "Resync now",
        help="Fetch what changed in Xero since the last sync (one call per resource).",
        key=f"resync-{org.tenant_id}",
        on_click=ask,
        args=(org.tenant_id, org.name, False),
        disabled=not sv.can_resync(org),
    )
    b2.button(
        "Full resync",
        help="Read everything again from Xero (costs more calls; nothing is deleted).",
        key=f"full-{org.tenant_id}",
        on_click=ask,
        args=(org.tenant_id, org.name, True),
        disabled=not sv.can_resync(org),
    )


def run_history(org: sync_status.OrgStatus) -> None:
    """The organisation's recent sync runs, folded away."""
    with st.expander("Run history", expanded=False):
        st.dataframe(
            plain_table([sv.run_row(r) for r in org.history]), hide_index=True, width="stretch"
        )


def waiting() -> None:
    """The sync requests the worker has not finished yet."""
    caption = sv.waiting_caption(recent_requests(engine, 10, kind="sync"))
    if caption:
        st.caption(caption)


running = sync_status.any_running(engine)


@st.fragment(run_every="2s" if running else None)
def panel() -> None:
    """Every organisation's sync state; refreshes itself every 2 s while a sync runs."""
    orgs = sync_status.overview(engine, cfg)
    if running != sync_status.any_running(engine):
        st.rerun()  # a run started or ended: redraw all, refreshing only while one is going
    show_flash()
    if not orgs:
        st.info("No Xero organisation is connected yet. An admin connects one on the Connect page.")
        return
    for org in orgs:
        org_state(org)
        resources(org)
        if admin:
            resync_buttons(org)
        run_history(org)
    waiting()


intro()
panel()

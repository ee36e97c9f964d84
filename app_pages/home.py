"""Home: where each role starts. The Xero connection at a glance and the pages this role may open."""

from __future__ import annotations

import streamlit as st

from xeroflow_core.text import md
from xeroflow_core.ui.guard import require_page
from xeroflow_core.ui.pages import pages_for
from xeroflow_core.ui.resources import get_engine
from xeroflow_core.xero.overview import overview

SUMMARIES = {
    "sync_status": "How fresh each organisation's data is, what Xero refused, and the API budget.",
    "unmatched": "Invoices whose Xero contact is not linked to a client yet: link or create.",
    "clients": "Clients, their linked contacts, cost mappings and billing data.",
    "profitability": "Revenue, direct costs, gross profit and margin per client over time.",
    "eom_review": "Generate the month's invoices, review them, and push them to Xero as drafts.",
    "connect": "The Xero connection and the organisations XeroFlow syncs.",
    "audit": "Who changed what, and when.",
}


def connection_line() -> None:
    view = overview(get_engine())
    syncing = [o for o in view.organisations if o.sync_enabled]
    if view.state == "connected" and syncing:
        names = ", ".join(md(o.name or o.tenant_id) for o in syncing)
        st.success(f"Xero: **{view.label}**, syncing {len(syncing)} organisation(s): {names}")
    elif view.state in ("not_connected", "disconnected"):
        st.info(f"Xero: **{view.label}**. An admin connects Xero on the Connect page.")
    else:
        st.warning(f"Xero: **{view.label}**. See the Connect page.")


def page_links(role: str) -> None:
    for spec in pages_for(role):
        if spec.key == "home":
            continue
        st.page_link(spec.file, label=spec.title, icon=spec.icon)
        st.caption(SUMMARIES.get(spec.key, ""))


actor = require_page("home")
st.title("XeroFlow")
connection_line()
st.subheader("Where to go")
page_links(actor.role)

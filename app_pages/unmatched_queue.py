"""Unmatched Queue: Xero customers with sales invoices but no client yet. Staff and admin only."""

import pandas as pd
import streamlit as st

from xeroflow_core.clients import create_client, ignore_contacts, link_contacts, unignore_contacts
from xeroflow_core.clients import queue_view as qv
from xeroflow_core.clients.financials import contact_documents
from xeroflow_core.clients.journal import created_audit_id, undo, undoable
from xeroflow_core.clients.queue import (
    client_choices,
    filter_queue,
    ignored_contacts,
    queue_count,
    queue_organisations,
    unmatched_queue,
)
from xeroflow_core.clients.suggestions import suggestions
from xeroflow_core.money import fmt_money
from xeroflow_core.text import md, plain, plain_table
from xeroflow_core.ui.actions import act, action_round, run_action, show_flash, undo_action
from xeroflow_core.ui.cache import cached
from xeroflow_core.ui.guard import require_page
from xeroflow_core.ui.resources import get_engine
from xeroflow_core.ui.xero_links import OPEN, links, open_column

actor = require_page("unmatched")
engine = get_engine()
xero = links()
SCOPE = "uq"  # its round is bumped after an action, so the pickers start empty again
rnd = action_round(SCOPE)


def undo_change(audit_id: int) -> int:
    """Undo one journalled change (link, create, ignore, return)."""
    return undo(engine, actor, audit_id)


def queue_rows(tenant: str | None, order: str, search: str) -> list:
    """The queue's aggregation is cached on the data version; a search or an order filters it."""
    return filter_queue(
        cached(engine, unmatched_queue, tenant_id=tenant), order=order, search=search
    )


def intro() -> None:
    """Title with how many contacts wait, what puts a contact here, the last action's message."""
    st.title(qv.title(cached(engine, queue_count)))
    st.caption(
        "Every sales invoice belongs to a client through a linked Xero contact, or waits here. "
        "Voided and deleted invoices do not count; credit notes alone do not put a contact here."
    )
    show_flash(SCOPE, undo_change)


def tabs() -> None:
    """Queue, Ignored and Recent changes; only the open tab is built (a switch reruns)."""
    queue_tab, ignored_tab, history_tab = st.tabs(
        ["Queue", "Ignored", "Recent changes"], key="uq_tab", on_change="rerun"
    )
    for tab, draw in ((queue_tab, queue), (ignored_tab, ignored), (history_tab, history)):
        with tab:
            if tab.open:
                draw()


def queue() -> None:
    """The filters, the waiting contacts, and what to do with the chosen ones."""
    f1, f2, f3 = st.columns([2, 2, 3])
    order = f1.radio("Order", list(qv.ORDERS), horizontal=True, key="uq_order")
    orgs = dict(queue_organisations(engine))
    tenant = f2.selectbox(
        "Organisation",
        [None, *orgs],
        format_func=lambda t: qv.organisation_label(t, orgs),
        key="uq_org",
    )
    search = f3.text_input("Search contacts", key="uq_search", placeholder="name or email")
    rows, refused = run_action(queue_rows, tenant, qv.ORDERS[order], search)
    if refused:
        st.error(md(refused))
    elif not rows:
        st.success("Nothing waits in the queue: every counted invoice belongs to a client.")
    else:
        st.dataframe(
            plain_table(qv.queue_columns(rows)),
            hide_index=True,
            width="stretch",
            height=min(420, 38 + 35 * len(rows)),
        )
        resolve(rows)


def resolve(rows: list) -> None:
    """Choose contacts; for one, its suggestions and invoices; then link, create or ignore."""
    by_key = {r.key: r for r in rows}
    picked = st.multiselect(
        "Contacts to resolve",
        list(by_key),
        format_func=lambda k: qv.pick_label(by_key[k]),
        key=f"uq_pick_{rnd}",
        placeholder="Choose one or more contacts",
    )
    if not picked:
        return
    first = by_key[picked[0]]
    if len(picked) == 1:
        suggested_clients(first, picked)
        if st.toggle("Show invoices", key=f"uq_show_{rnd}"):
            contact_invoices(first)
    link_col, create_col, ignore_col = st.columns(3)
    with link_col:
        link_form(picked)
    with create_col:
        create_form(first, picked)
    with ignore_col:
        ignore_form(picked)


def suggested_clients(first: qv.QueueRow, picked: list) -> None:
    """Clients the contact probably belongs to, each with its Link button."""
    sugg = suggestions(engine, *first.key)
    if not sugg:
        return
    st.markdown("**Suggestions**")
    for sg in sugg:
        s1, s2 = st.columns([5, 1])
        s1.markdown(f"**{md(sg.name)}** · {sg.score:.0%} · {md(sg.reason)}")
        if s2.button("Link", key=f"sugg_{rnd}_{sg.client_id}"):
            act(
                SCOPE,
                link_contacts,
                engine,
                actor,
                sg.client_id,
                picked,
                ok=f"Linked {first.name} to {sg.name}.",
                undo_id=lambda aid: aid,
            )


def contact_invoices(first: qv.QueueRow) -> None:
    """The contact's documents, with links to Xero."""
    docs = contact_documents(engine, *first.key)
    st.dataframe(
        documents_frame(docs), hide_index=True, width="stretch", column_config=open_column()
    )


def documents_frame(docs: list) -> pd.DataFrame:
    """A contact's invoices and credit notes as a table with links to Xero."""
    return plain_table(
        {
            "Kind": [d.kind.replace("_", " ") for d in docs],
            "Number": [d.number for d in docs],
            OPEN: [xero(d.tenant_id, d.kind, d.document_id) or None for d in docs],
            "Date": [d.date for d in docs],
            "Due": [d.due_date for d in docs],
            "Status": [d.status for d in docs],
            "Total": [fmt_money(d.total, d.currency) for d in docs],
            "Due amount": [fmt_money(d.amount_due, d.currency) for d in docs],
        }
    )


def link_form(picked: list) -> None:
    """Link the chosen contacts to an existing client (undoable)."""
    noun = qv.noun(picked)
    st.markdown(f"**Link {noun} to a client**")
    choices = cached(engine, client_choices)
    names = {cid: plain(name) for cid, name in choices}
    target = st.selectbox(
        "Client",
        [cid for cid, _ in choices],
        format_func=lambda cid: names[cid],
        index=None,
        placeholder="Type to search clients",
        key=f"uq_target_{rnd}",
    )
    if st.button("Link to client", key=f"uq_link_{rnd}", disabled=target is None):
        act(
            SCOPE,
            link_contacts,
            engine,
            actor,
            target,
            picked,
            ok=f"Linked {noun} to {names[target]}.",
            undo_id=lambda aid: aid,
        )


def create_form(first: qv.QueueRow, picked: list) -> None:
    """Create a client named after the first chosen contact and link them all (undoable)."""
    noun = qv.noun(picked)
    st.markdown(f"**Create a client from the {noun}**")
    name = st.text_input("New client name", value=first.name, key=f"uq_name_{rnd}_{picked[0]}")
    notes = st.text_input("Notes", key=f"uq_notes_{rnd}")
    if st.button("Create client", key=f"uq_create_{rnd}"):
        act(
            SCOPE,
            create_client,
            engine,
            actor,
            name,
            notes,
            contacts=picked,
            ok=lambda c: f"Created {c.name} and linked {noun}.",
            undo_id=lambda c: created_audit_id(engine, c.id),
        )


def ignore_form(picked: list) -> None:
    """Ignore the chosen contacts, with a reason (the Ignored tab brings them back)."""
    noun = qv.noun(picked)
    st.markdown(f"**Ignore the {noun}**")
    reason = st.text_input("Reason", placeholder="one-off customer", key=f"uq_reason_{rnd}")
    if st.button("Ignore", key=f"uq_ignore_{rnd}"):
        act(
            SCOPE,
            ignore_contacts,
            engine,
            actor,
            picked,
            reason,
            ok=f"Ignored {noun}; see the Ignored tab to bring it back.",
            undo_id=lambda aid: aid,
        )


def ignored() -> None:
    """The ignored contacts, and bringing some back to the queue."""
    rows = cached(engine, ignored_contacts)
    if not rows:
        st.info("No ignored contacts.")
        return
    st.dataframe(plain_table(qv.ignored_columns(rows)), hide_index=True, width="stretch")
    by_key = {r.key: r for r in rows}
    back = st.multiselect(
        "Contacts to bring back",
        list(by_key),
        format_func=lambda k: plain(f"{by_key[k].name} · {by_key[k].organisation}"),
        key=f"uq_back_{rnd}",
    )
    if st.button("Return to queue", key=f"uq_unignore_{rnd}", disabled=not back):
        act(
            SCOPE,
            unignore_contacts,
            engine,
            actor,
            back,
            ok=f"Returned {len(back)} contact(s) to the queue.",
            undo_id=lambda aid: aid,
        )


def history() -> None:
    """The latest client and queue changes, each with Undo."""
    st.caption(
        "Client and queue changes, newest first. Undo puts back exactly what one change did."
    )
    for change, username, when, what in undoable(engine, 15):
        h1, h2 = st.columns([5, 1])
        h1.markdown(f"`{when}` **{md(username)}** · {md(what)}")
        if h2.button("Undo", key=f"undo_{change.audit_id}"):
            undo_action(SCOPE, undo_change, change.audit_id)


intro()
tabs()

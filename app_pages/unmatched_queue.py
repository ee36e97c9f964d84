"""Unmatched Queue: Xero customers with sales invoices but no client yet. Staff and admin only."""

import streamlit as st

from xeroflow_core.clients import create_client, ignore_contacts, link_contacts, unignore_contacts
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

count = cached(engine, queue_count)
st.title(f"Unmatched Queue ({count})")
st.caption(
    "Every sales invoice belongs to a client through a linked Xero contact, or waits here. "
    "Voided and deleted invoices do not count; credit notes alone do not put a contact here."
)


def undo_change(audit_id: int) -> int:
    return undo(engine, actor, audit_id)


def queue_rows(tenant: str | None, order: str, search: str) -> list:
    """The queue's aggregation is cached on the data version; a search or an order filters it."""
    return filter_queue(
        cached(engine, unmatched_queue, tenant_id=tenant), order=order, search=search
    )


show_flash(SCOPE, undo_change)

rnd = action_round(SCOPE)
# only the open tab is built (on_change="rerun": a tab switch reruns the page)
queue_tab, ignored_tab, history_tab = st.tabs(
    ["Queue", "Ignored", "Recent changes"], key="uq_tab", on_change="rerun"
)

with queue_tab:
    if queue_tab.open:
        f1, f2, f3 = st.columns([2, 2, 3])
        order = f1.radio(
            "Order", ["Newest first", "Largest total"], horizontal=True, key="uq_order"
        )
        orgs = dict(queue_organisations(engine))
        tenant = f2.selectbox(
        "Organisation", [None, *orgs],
        format_func=lambda t: plain(orgs[t]) if t in orgs else "All organisations",
        key="uq_org",
    )  # fmt: skip
        search = f3.text_input("Search contacts", key="uq_search", placeholder="name or email")
        rows, refused = run_action(
            queue_rows, tenant, "total" if order == "Largest total" else "newest", search
        )

        if refused:
            st.error(md(refused))
        elif not rows:
            st.success("Nothing waits in the queue: every counted invoice belongs to a client.")
        else:
            table = plain_table(
                {
                    "Contact": [r.name for r in rows],
                    "Organisation": [r.organisation for r in rows],
                    "Invoices": [r.invoice_count for r in rows],
                    "Total (base)": [fmt_money(r.total) for r in rows],
                    "In currency": [
                        " · ".join(fmt_money(v, c) for c, v in sorted(r.totals.items()))
                        for r in rows
                    ],
                    "First": [r.first_date for r in rows],
                    "Latest": [r.last_date for r in rows],
                    "Note": [
                        ("archived in Xero" if r.contact_status == "ARCHIVED" else "")
                        + (" · merged into another contact" if r.merged_to else "")
                        for r in rows
                    ],
                }
            )
            st.dataframe(
                table, hide_index=True, width="stretch", height=min(420, 38 + 35 * len(rows))
            )

            by_key = {r.key: r for r in rows}
            picked = st.multiselect(
                "Contacts to resolve",
                list(by_key),
                format_func=lambda k: plain(
                    f"{by_key[k].name} · {by_key[k].organisation} "
                    f"({by_key[k].invoice_count} inv, {fmt_money(by_key[k].total)})"
                ),
                key=f"uq_pick_{rnd}",
                placeholder="Choose one or more contacts",
            )
            if picked:
                first = by_key[picked[0]]
                noun = "contact" if len(picked) == 1 else f"{len(picked)} contacts"
                if len(picked) == 1:
                    sugg = suggestions(engine, *first.key)
                    if sugg:
                        st.markdown("**Suggestions**")
                        for sg in sugg:
                            s1, s2 = st.columns([5, 1])
                            s1.markdown(f"**{md(sg.name)}** · {sg.score:.0%} · {md(sg.reason)}")
                            if s2.button("Link", key=f"sugg_{rnd}_{sg.client_id}"):
                                act(
                                SCOPE, link_contacts, engine, actor, sg.client_id, picked,
                                ok=f"Linked {first.name} to {sg.name}.", undo_id=lambda aid: aid,
                            )  # fmt: skip
                    if st.toggle("Show invoices", key=f"uq_show_{rnd}"):
                        docs = contact_documents(engine, *first.key)
                        st.dataframe(
                            plain_table(
                                {
                                    "Kind": [d.kind.replace("_", " ") for d in docs],
                                    "Number": [d.number for d in docs],
                                    OPEN: [
                                        xero(d.tenant_id, d.kind, d.document_id) or None
                                        for d in docs
                                    ],  # fmt: skip
                                    "Date": [d.date for d in docs],
                                    "Due": [d.due_date for d in docs],
                                    "Status": [d.status for d in docs],
                                    "Total": [fmt_money(d.total, d.currency) for d in docs],
                                    "Due amount": [
                                        fmt_money(d.amount_due, d.currency) for d in docs
                                    ],
                                }
                            ),
                            hide_index=True,
                            width="stretch",
                            column_config=open_column(),
                        )

                link_col, create_col, ignore_col = st.columns(3)
                with link_col:
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
                        SCOPE, link_contacts, engine, actor, target, picked,
                        ok=f"Linked {noun} to {names[target]}.", undo_id=lambda aid: aid,
                    )  # fmt: skip
                with create_col:
                    st.markdown(f"**Create a client from the {noun}**")
                    name = st.text_input(
                        "New client name", value=first.name, key=f"uq_name_{rnd}_{picked[0]}"
                    )
                    notes = st.text_input("Notes", key=f"uq_notes_{rnd}")
                    if st.button("Create client", key=f"uq_create_{rnd}"):
                        act(
                        SCOPE, create_client, engine, actor, name, notes, contacts=picked,
                        ok=lambda c: f"Created {c.name} and linked {noun}.",
                        undo_id=lambda c: created_audit_id(engine, c.id),
                    )  # fmt: skip
                with ignore_col:
                    st.markdown(f"**Ignore the {noun}**")
                    reason = st.text_input(
                        "Reason", placeholder="one-off customer", key=f"uq_reason_{rnd}"
                    )
                    if st.button("Ignore", key=f"uq_ignore_{rnd}"):
                        act(
                        SCOPE, ignore_contacts, engine, actor, picked, reason,
                        ok=f"Ignored {noun}; see the Ignored tab to bring it back.",
                        undo_id=lambda aid: aid,
                    )  # fmt: skip

with ignored_tab:
    if ignored_tab.open:
        ignored = cached(engine, ignored_contacts)
        if not ignored:
            st.info("No ignored contacts.")
        else:
            st.dataframe(
                plain_table(
                    {
                        "Contact": [r.name for r in ignored],
                        "Organisation": [r.organisation for r in ignored],
                        "Invoices": [r.invoice_count for r in ignored],
                        "Total (base)": [fmt_money(r.total) for r in ignored],
                        "Reason": [r.ignored_reason or "" for r in ignored],
                    }
                ),
                hide_index=True,
                width="stretch",
            )
            ign_by_key = {r.key: r for r in ignored}
            back = st.multiselect(
                "Contacts to bring back",
                list(ign_by_key),
                format_func=lambda k: plain(f"{ign_by_key[k].name} · {ign_by_key[k].organisation}"),
                key=f"uq_back_{rnd}",
            )
            if st.button("Return to queue", key=f"uq_unignore_{rnd}", disabled=not back):
                act(
                SCOPE, unignore_contacts, engine, actor, back,
                ok=f"Returned {len(back)} contact(s) to the queue.", undo_id=lambda aid: aid,
            )  # fmt: skip

with history_tab:
    if history_tab.open:
        st.caption(
            "Client and queue changes, newest first. Undo puts back exactly what one change did."
        )
        for change, username, when, what in undoable(engine, 15):
            h1, h2 = st.columns([5, 1])
            h1.markdown(f"`{when}` **{md(username)}** · {md(what)}")
            if h2.button("Undo", key=f"undo_{change.audit_id}"):
                undo_action(SCOPE, undo_change, change.audit_id)

"""Clients: the list (search, filter, create) and one client's page. Staff and admin only."""

import pandas as pd
import streamlit as st

from xeroflow_core.clients import (
    archive_client,
    create_client,
    link_contacts,
    restore_client,
    set_cost_mappings,
    unlink_contact,
    update_client,
)
from xeroflow_core.clients import client_view as cv
from xeroflow_core.clients.financials import client_financials, client_list
from xeroflow_core.clients.journal import created_audit_id, undo
from xeroflow_core.clients.queue import contact_choices, tracking_option_choices
from xeroflow_core.money import fmt_money
from xeroflow_core.text import md, parse_id, plain, plain_table
from xeroflow_core.ui.actions import act, action_round, run_action, show_flash
from xeroflow_core.ui.billing import render_billing
from xeroflow_core.ui.cache import cached
from xeroflow_core.ui.guard import require_page
from xeroflow_core.ui.resources import get_engine
from xeroflow_core.ui.widgets import metric_row
from xeroflow_core.ui.xero_links import OPEN, links, open_column

actor = require_page("clients")
engine = get_engine()
xero = links()
SCOPE = "cl"
rnd = action_round(SCOPE)


def undo_change(audit_id: int) -> int:
    """The Undo button of a journalled change (link, unlink, create, cost mappings)."""
    return undo(engine, actor, audit_id)


def open_client(client_id: int | None) -> None:
    """Show one client (its id in the URL, so a reload keeps it), or the list for None."""
    if client_id is None:
        st.query_params.pop("client", None)
    else:
        st.query_params["client"] = str(client_id)
    st.rerun()


def docs_frame(docs: list) -> pd.DataFrame:
    """Invoices or credit notes as a table with links to Xero."""
    return plain_table(
        {
            "Number": [d.number for d in docs],
            OPEN: [xero(d.tenant_id, d.kind, d.document_id) or None for d in docs],
            "Contact": [d.contact for d in docs],
            "Date": [d.date for d in docs],
            "Due": [d.due_date for d in docs],
            "Status": [d.status + (" · overdue" if d.overdue else "") for d in docs],
            "Sub-total": [fmt_money(d.sub_total, d.currency) for d in docs],
            "Total": [fmt_money(d.total, d.currency) for d in docs],
            "Amount due": [fmt_money(d.amount_due, d.currency) for d in docs],
        }
    )


def costs_frame(costs: list) -> pd.DataFrame:
    """The attributed cost lines with links to Xero, each with the rule that put it here."""
    return plain_table(
        {
            "Kind": [c.document_kind for c in costs],
            "Number": [c.number for c in costs],
            OPEN: [xero(c.tenant_id, c.document_kind, c.document_id) or None for c in costs],
            "Date": [c.date for c in costs],
            "Supplier": [c.supplier for c in costs],
            "Description": [c.description for c in costs],
            "Account": [c.account_code for c in costs],
            "Ex-tax (base)": [fmt_money(c.amount) for c in costs],
            "Why": [c.rule for c in costs],
        }
    )


def requested_client() -> int | None:
    """The client the URL asks for (None: the list); a malformed id stops with a way back."""
    try:
        return parse_id(st.query_params.get("client"), "client id")
    except ValueError as exc:
        st.error(md(f"{exc} Open a client from the list."))
        if st.button("All clients", key="cl_bad_id"):
            open_client(None)
        st.stop()


def list_view() -> None:
    """The list: search and status filters, the table, a picker to open one, a new client."""
    st.title("Clients")
    show_flash(SCOPE, undo_change)
    f1, f2 = st.columns([3, 2])
    search = f1.text_input("Search", key="cl_search", placeholder="client or Xero contact name")
    label = f2.radio("Status", list(cv.STATUS_FILTERS), horizontal=True, key="cl_status")
    status = cv.STATUS_FILTERS[label]
    rows, refused = run_action(client_list, engine, search=search, status=status)
    if refused:
        st.error(md(refused))
    elif rows:
        clients_table(rows)
    else:
        st.info(cv.empty_list_message(search, status))
    new_client_form(expanded=not rows)


def clients_table(rows: list) -> None:
    """The matching clients, and the picker that opens one."""
    st.dataframe(
        plain_table(cv.list_columns(rows)),
        hide_index=True,
        width="stretch",
        height=min(420, 38 + 35 * len(rows)),
    )
    names = {r.id: plain(r.name) for r in rows}
    o1, o2 = st.columns([4, 1])
    pick = o1.selectbox(
        "Open client",
        list(names),
        format_func=names.get,
        index=None,
        placeholder="Type to search",
        key=f"cl_open_{rnd}",
    )
    o2.write("")
    if o2.button("Open", key=f"cl_open_btn_{rnd}", disabled=pick is None):
        open_client(pick)


def new_client_form(expanded: bool) -> None:
    """Create a client, optionally linking Xero contacts at once (undoable)."""
    with st.expander("New client", expanded=expanded), st.form(f"cl_new_{rnd}"):
        name = st.text_input("Name")
        notes = st.text_area("Notes")
        picks = st.multiselect(
            "Link Xero contacts (optional)",
            cached(engine, contact_choices),
            format_func=lambda c: plain(c.label),
        )
        if st.form_submit_button("Create client"):
            act(
                SCOPE,
                create_client,
                engine,
                actor,
                name,
                notes,
                contacts=[c.key for c in picks],
                ok=lambda c: f"Created {c.name}.",
                undo_id=lambda c: created_audit_id(engine, c.id),
            )


def one_client(client_id: int) -> cv.ClientFinancials:
    """A client's figures; an unknown client stops with a way back to the list."""
    try:
        return client_financials(engine, client_id)
    except ValueError as exc:
        st.error(md(exc))
        if st.button("Back to clients"):
            open_client(None)
        st.stop()


def client_header(fin: cv.ClientFinancials) -> None:
    """Title, the way back, the last action's message, and the client's five figures."""
    st.title(cv.client_title(fin.client))
    if st.button("← All clients", key="cl_back"):
        open_client(None)
    show_flash(SCOPE, undo_change)
    metric_row(cv.client_metrics(fin))
    st.caption(
        "Base currency, tax included for invoices; costs are ex-tax. Outstanding counts approved "
        "(AUTHORISED) invoices; voided and deleted documents are listed but never counted."
    )


def client_tabs(fin: cv.ClientFinancials) -> None:
    """The client's tabs; only the open one is built (a tab switch reruns the page)."""
    tabs = st.tabs(
        ["Contacts", "Financials", "Cost mappings", "Billing", "Details"],
        key="cl_tab",
        on_change="rerun",
    )
    draw = [contacts_tab, financials_tab, cost_mappings_tab, billing_tab, details_tab]
    for tab, tab_body in zip(tabs, draw, strict=True):
        with tab:
            if tab.open:
                tab_body(fin)


def contacts_tab(fin: cv.ClientFinancials) -> None:
    """The linked contacts, unlinking one, and linking more (while the client is active)."""
    if fin.contacts:
        linked_contacts(fin)
    else:
        st.info("No linked contacts yet: link some here or from the Unmatched Queue.")
    if fin.client.status == "active":
        adds = st.multiselect(
            "Link more contacts",
            cached(engine, contact_choices),
            format_func=lambda c: plain(c.label),
            key=f"cl_link_pick_{rnd}",
        )
        if st.button("Link", key=f"cl_link_{rnd}", disabled=not adds):
            act(
                SCOPE,
                link_contacts,
                engine,
                actor,
                fin.client.id,
                [c.key for c in adds],
                ok=f"Linked {len(adds)} contact(s).",
                undo_id=lambda aid: aid,
            )


def linked_contacts(fin: cv.ClientFinancials) -> None:
    """The linked contacts' table, a warning when some are archived in Xero, and Unlink."""
    st.dataframe(plain_table(cv.contact_columns(fin.contacts)), hide_index=True, width="stretch")
    if any(c.archived for c in fin.contacts):
        st.warning(
            "Some linked contacts are archived in Xero. They stay linked, so their "
            "history stays with this client."
        )
    labels = {
        (c.tenant_id, c.contact_id): plain(f"{c.name} · {c.organisation}") for c in fin.contacts
    }
    u1, u2 = st.columns([4, 1])
    gone = u1.selectbox(
        "Unlink a contact",
        list(labels),
        format_func=labels.get,
        index=None,
        key=f"cl_unlink_pick_{rnd}",
    )
    u2.write("")
    if u2.button("Unlink", key=f"cl_unlink_{rnd}", disabled=gone is None):
        act(
            SCOPE,
            unlink_contact,
            engine,
            actor,
            *gone,
            undo_id=lambda aid: aid,
            ok=f"Unlinked {labels[gone]}: its invoices are back in the Unmatched Queue.",
        )


def financials_tab(fin: cv.ClientFinancials) -> None:
    """Invoices, credit notes, and the bills and costs attributed to the client."""
    st.subheader("Invoices")
    if fin.invoices:
        st.dataframe(
            docs_frame(fin.invoices), hide_index=True, width="stretch", column_config=open_column()
        )
    else:
        st.caption("No invoices.")
    st.subheader("Credit notes")
    if fin.credit_notes:
        frame = docs_frame(fin.credit_notes).rename(columns={"Amount due": "Remaining credit"})
        st.dataframe(
            frame.drop(columns=["Due"]),
            hide_index=True,
            width="stretch",
            column_config=open_column(),
        )
    else:
        st.caption("No credit notes.")
    st.subheader("Bills and costs attributed")
    if fin.costs:
        st.dataframe(
            costs_frame(fin.costs),
            hide_index=True,
            width="stretch",
            column_config=open_column(),
        )
    else:
        st.caption("No costs attributed: map tracking options or suppliers under Cost mappings.")


def cost_mappings_tab(fin: cv.ClientFinancials) -> None:
    """Which tracking options and suppliers bring cost lines to this client."""
    st.caption(
        "Cost lines belong to this client by their tracking option first, else by their "
        "supplier. An option or supplier mapped to another client moves here."
    )
    opt_labels = {(t, o): label for t, o, label in cached(engine, tracking_option_choices)}
    sup_labels = {c.key: c.label for c in cached(engine, contact_choices, suppliers=True)}
    current_opts, current_sups = cv.current_mappings(fin, list(opt_labels), list(sup_labels))
    with st.form(f"cl_costs_{rnd}"):
        new_opts = st.multiselect(
            "Tracking options",
            list(opt_labels),
            default=current_opts,
            format_func=lambda k: plain(opt_labels[k]),
        )
        new_sups = st.multiselect(
            "Suppliers",
            list(sup_labels),
            default=current_sups,
            format_func=lambda k: plain(sup_labels[k]),
        )
        if st.form_submit_button("Save cost mappings"):
            act(
                SCOPE,
                set_cost_mappings,
                engine,
                actor,
                fin.client.id,
                new_opts,
                new_sups,
                ok=lambda aid: "Cost mappings saved." if aid else "No change to save.",
                undo_id=lambda aid: aid,
            )


def billing_tab(fin: cv.ClientFinancials) -> None:
    """The billing profile and fees EOM invoicing uses (ui/billing.py)."""
    render_billing(engine, actor, fin.client.id)


def details_tab(fin: cv.ClientFinancials) -> None:
    """Name and notes, and archiving or restoring the client."""
    client = fin.client
    with st.form(f"cl_edit_{rnd}"):
        name = st.text_input("Name", value=client.name)
        notes = st.text_area("Notes", value=client.notes)
        if st.form_submit_button("Save"):
            act(SCOPE, update_client, engine, actor, client.id, name=name, notes=notes, ok="Saved.")
    if client.status == "active":
        st.caption("Archiving keeps the links: the client's documents stay with it.")
        if st.button("Archive client", key=f"cl_archive_{rnd}"):
            act(SCOPE, archive_client, engine, actor, client.id, ok=f"Archived {client.name}.")
    elif st.button("Restore client", key=f"cl_restore_{rnd}"):
        act(SCOPE, restore_client, engine, actor, client.id, ok=f"Restored {client.name}.")


client_id = requested_client()
if client_id is None:
    list_view()
else:
    fin = one_client(client_id)
    client_header(fin)
    client_tabs(fin)

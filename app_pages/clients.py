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
from xeroflow_core.ui.xero_links import OPEN, links, open_column

actor = require_page("clients")
engine = get_engine()
xero = links()
SCOPE = "cl"


def undo_change(audit_id: int) -> int:
    return undo(engine, actor, audit_id)


def open_client(client_id: int | None) -> None:
    if client_id is None:
        st.query_params.pop("client", None)
    else:
        st.query_params["client"] = str(client_id)
    st.rerun()


def docs_frame(docs: list) -> pd.DataFrame:  # noqa: ANN001
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


rnd = action_round(SCOPE)
try:
    client_id = parse_id(st.query_params.get("client"), "client id")
except ValueError as exc:
    st.error(md(f"{exc} Open a client from the list."))
    if st.button("All clients", key="cl_bad_id"):
        open_client(None)
    st.stop()

# --- the list ---------------------------------------------------------------------------------
if client_id is None:
    st.title("Clients")
    show_flash(SCOPE, undo_change)
    f1, f2 = st.columns([3, 2])
    search = f1.text_input("Search", key="cl_search", placeholder="client or Xero contact name")
    status_label = f2.radio(
        "Status", ["Active", "Archived", "All"], horizontal=True, key="cl_status"
    )
    status = {"Active": "active", "Archived": "archived", "All": None}[status_label]
    rows, refused = run_action(client_list, engine, search=search, status=status)
    if refused:
        st.error(md(refused))
    elif rows:
        st.dataframe(
            plain_table(
                {
                    "Client": [r.name for r in rows],
                    "Status": [r.status for r in rows],
                    "Contacts": [
                        f"{r.contacts}"
                        + (f" ({r.archived_contacts} archived)" if r.archived_contacts else "")
                        for r in rows
                    ],
                    "Invoices": [r.invoice_count for r in rows],
                    "Outstanding": [fmt_money(r.outstanding) for r in rows],
                    "Overdue": [fmt_money(r.overdue) for r in rows],
                    "Last invoice": [r.last_invoice for r in rows],
                }
            ),
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
    else:
        st.info("No clients match." if search or status else "No clients yet.")

    with st.expander("New client", expanded=not rows), st.form(f"cl_new_{rnd}"):
        name = st.text_input("Name")
        notes = st.text_area("Notes")
        picks = st.multiselect(
            "Link Xero contacts (optional)",
            cached(engine, contact_choices),
            format_func=lambda c: plain(c.label),
        )
        if st.form_submit_button("Create client"):
            act(
                SCOPE, create_client, engine, actor, name, notes, contacts=[c.key for c in picks],
                ok=lambda c: f"Created {c.name}.", undo_id=lambda c: created_audit_id(engine, c.id),
            )  # fmt: skip
    st.stop()

# --- one client -------------------------------------------------------------------------------
try:
    fin = client_financials(engine, client_id)
except ValueError as exc:
    st.error(md(exc))
    if st.button("Back to clients"):
        open_client(None)
    st.stop()

client = fin.client
st.title(md(client.name) + (" (archived)" if client.status == "archived" else ""))
if st.button("← All clients", key="cl_back"):
    open_client(None)
show_flash(SCOPE, undo_change)

k = st.columns(5)
k[0].metric("Outstanding", fmt_money(fin.outstanding))
k[1].metric("Overdue", fmt_money(fin.overdue))
k[2].metric("Invoiced (approved)", fmt_money(fin.invoiced))
k[3].metric("Credited", fmt_money(fin.credited))
k[4].metric("Attributed costs", fmt_money(fin.cost_total))
st.caption("Base currency, tax included for invoices; costs are ex-tax. Outstanding counts approved "
           "(AUTHORISED) invoices; voided and deleted documents are listed but never counted.")  # fmt: skip

# only the open tab is built (on_change="rerun": a tab switch reruns the page)
t_contacts, t_fin, t_costs, t_billing, t_details = st.tabs(
    ["Contacts", "Financials", "Cost mappings", "Billing", "Details"], key="cl_tab",
    on_change="rerun",
)  # fmt: skip

with t_contacts:
    if t_contacts.open:
        if fin.contacts:
            st.dataframe(
                plain_table(
                    {
                        "Contact": [c.name for c in fin.contacts],
                        "Organisation": [c.organisation for c in fin.contacts],
                        "Email": [c.email for c in fin.contacts],
                        "In Xero": [
                            ("archived" if c.archived else "active" if c.status else "not synced")
                            + (" · merged" if c.merged_to else "")
                            for c in fin.contacts
                        ],
                        "Linked by": [c.linked_by for c in fin.contacts],
                    }
                ),
                hide_index=True,
                width="stretch",
            )
            if any(c.archived for c in fin.contacts):
                st.warning("Some linked contacts are archived in Xero. They stay linked, so their "
                       "history stays with this client.")  # fmt: skip
            labels = {(c.tenant_id, c.contact_id): plain(f"{c.name} · {c.organisation}")
                  for c in fin.contacts}  # fmt: skip
            u1, u2 = st.columns([4, 1])
            gone = u1.selectbox("Unlink a contact", list(labels), format_func=labels.get,
                            index=None, key=f"cl_unlink_pick_{rnd}")  # fmt: skip
            u2.write("")
            if u2.button("Unlink", key=f"cl_unlink_{rnd}", disabled=gone is None):
                act(
                SCOPE, unlink_contact, engine, actor, *gone, undo_id=lambda aid: aid,
                ok=f"Unlinked {labels[gone]}: its invoices are back in the Unmatched Queue.",
            )  # fmt: skip
        else:
            st.info("No linked contacts yet: link some here or from the Unmatched Queue.")
        if client.status == "active":
            adds = st.multiselect(
                "Link more contacts",
                cached(engine, contact_choices),
                format_func=lambda c: plain(c.label),
                key=f"cl_link_pick_{rnd}",
            )
            if st.button("Link", key=f"cl_link_{rnd}", disabled=not adds):
                act(
                SCOPE, link_contacts, engine, actor, client.id, [c.key for c in adds],
                ok=f"Linked {len(adds)} contact(s).", undo_id=lambda aid: aid,
            )  # fmt: skip

with t_fin:
    if t_fin.open:
        st.subheader("Invoices")
        if fin.invoices:
            st.dataframe(
                docs_frame(fin.invoices),
                hide_index=True,
                width="stretch",
                column_config=open_column(),
            )
        else:
            st.caption("No invoices.")
        st.subheader("Credit notes")
        if fin.credit_notes:
            frame = docs_frame(fin.credit_notes).rename(columns={"Amount due": "Remaining credit"})
            st.dataframe(
            frame.drop(columns=["Due"]), hide_index=True, width="stretch",
            column_config=open_column(),
        )  # fmt: skip
        else:
            st.caption("No credit notes.")
        st.subheader("Bills and costs attributed")
        if fin.costs:
            st.dataframe(
                plain_table(
                    {
                        "Kind": [c.document_kind for c in fin.costs],
                        "Number": [c.number for c in fin.costs],
                        OPEN: [
                            xero(c.tenant_id, c.document_kind, c.document_id) or None
                            for c in fin.costs
                        ],  # fmt: skip
                        "Date": [c.date for c in fin.costs],
                        "Supplier": [c.supplier for c in fin.costs],
                        "Description": [c.description for c in fin.costs],
                        "Account": [c.account_code for c in fin.costs],
                        "Ex-tax (base)": [fmt_money(c.amount) for c in fin.costs],
                        "Why": [c.rule for c in fin.costs],
                    }
                ),
                hide_index=True,
                width="stretch",
                column_config=open_column(),
            )
        else:
            st.caption(
                "No costs attributed: map tracking options or suppliers under Cost mappings."
            )

with t_costs:
    if t_costs.open:
        st.caption("Cost lines belong to this client by their tracking option first, else by their "
               "supplier. An option or supplier mapped to another client moves here.")  # fmt: skip
        options = cached(engine, tracking_option_choices)
        opt_labels = {(t, o): label for t, o, label in options}
        current_opts = [(t, o) for t, o, _ in fin.tracking_options if (t, o) in opt_labels]
        sup_choices = cached(engine, contact_choices, suppliers=True)
        sup_labels = {c.key: c.label for c in sup_choices}
        current_sups = [(t, c) for t, c, _ in fin.suppliers if (t, c) in sup_labels]
        with st.form(f"cl_costs_{rnd}"):
            new_opts = st.multiselect("Tracking options", list(opt_labels), default=current_opts,
                                  format_func=lambda k: plain(opt_labels[k]))  # fmt: skip
            new_sups = st.multiselect("Suppliers", list(sup_labels), default=current_sups,
                                  format_func=lambda k: plain(sup_labels[k]))  # fmt: skip
            if st.form_submit_button("Save cost mappings"):
                act(
                SCOPE, set_cost_mappings, engine, actor, client.id, new_opts, new_sups,
                ok=lambda aid: "Cost mappings saved." if aid else "No change to save.",
                undo_id=lambda aid: aid,
            )  # fmt: skip

with t_billing:
    if t_billing.open:
        render_billing(engine, actor, client.id)

with t_details:
    if t_details.open:
        with st.form(f"cl_edit_{rnd}"):
            name = st.text_input("Name", value=client.name)
            notes = st.text_area("Notes", value=client.notes)
            if st.form_submit_button("Save"):
                act(
                    SCOPE,
                    update_client,
                    engine,
                    actor,
                    client.id,
                    name=name,
                    notes=notes,
                    ok="Saved.",
                )
        if client.status == "active":
            st.caption("Archiving keeps the links: the client's documents stay with it.")
            if st.button("Archive client", key=f"cl_archive_{rnd}"):
                act(SCOPE, archive_client, engine, actor, client.id, ok=f"Archived {client.name}.")
        elif st.button("Restore client", key=f"cl_restore_{rnd}"):
            act(SCOPE, restore_client, engine, actor, client.id, ok=f"Restored {client.name}.")

"""What the Clients page shows, as plain functions: the list's status filter and rows, a
client's title and figures, what a linked contact's state in Xero means, and which cost
mappings are current. The page only draws what these return."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from xeroflow_core.clients.financials import ClientFinancials, ClientRow
from xeroflow_core.clients.financials import LinkedContact as ClientContact
from xeroflow_core.models import Client
from xeroflow_core.money import fmt_money
from xeroflow_core.text import md

# the list's status radio, in order, and the status it filters on (None: every client)
STATUS_FILTERS = {"Active": "active", "Archived": "archived", "All": None}


def list_columns(rows: Sequence[ClientRow]) -> dict[str, list]:
    """The client list's columns (money in the base currency)."""
    return {
        "Client": [r.name for r in rows],
        "Status": [r.status for r in rows],
        "Contacts": [
            f"{r.contacts}" + (f" ({r.archived_contacts} archived)" if r.archived_contacts else "")
            for r in rows
        ],
        "Invoices": [r.invoice_count for r in rows],
        "Outstanding": [fmt_money(r.outstanding) for r in rows],
        "Overdue": [fmt_money(r.overdue) for r in rows],
        "Last invoice": [r.last_invoice for r in rows],
    }


def empty_list_message(search: str, status: str | None) -> str:
    """Why the list is empty: the filters match nothing, or there are no clients at all."""
    return "No clients match." if search or status else "No clients yet."


def client_title(client: Client) -> str:
    """The client page's title (markdown-safe), saying when the client is archived."""
    return md(client.name) + (" (archived)" if client.status == "archived" else "")


def client_metrics(fin: ClientFinancials) -> list[dict[str, Any]]:
    """The five figures at the top of a client's page (keyword arguments of `st.metric`)."""
    return [
        {"label": "Outstanding", "value": fmt_money(fin.outstanding)},
        {"label": "Overdue", "value": fmt_money(fin.overdue)},
        {"label": "Invoiced (approved)", "value": fmt_money(fin.invoiced)},
        {"label": "Credited", "value": fmt_money(fin.credited)},
        {"label": "Attributed costs", "value": fmt_money(fin.cost_total)},
    ]


def in_xero(c: ClientContact) -> str:
    """A linked contact's state in Xero: archived, active, or not synced yet; and merged."""
    state = "archived" if c.archived else "active" if c.status else "not synced"
    return state + (" · merged" if c.merged_to else "")


def contact_columns(contacts: Sequence[ClientContact]) -> dict[str, list]:
    """The Contacts tab's table."""
    return {
        "Contact": [c.name for c in contacts],
        "Organisation": [c.organisation for c in contacts],
        "Email": [c.email for c in contacts],
        "In Xero": [in_xero(c) for c in contacts],
        "Linked by": [c.linked_by for c in contacts],
    }


def current_mappings(
    fin: ClientFinancials, option_keys: Sequence[tuple], supplier_keys: Sequence[tuple]
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The client's tracking options and suppliers that are still on offer (the cost form's
    defaults; a mapping to something gone from Xero is not offered)."""
    opts = [(t, o) for t, o, _ in fin.tracking_options if (t, o) in option_keys]
    sups = [(t, c) for t, c, _ in fin.suppliers if (t, c) in supplier_keys]
    return opts, sups

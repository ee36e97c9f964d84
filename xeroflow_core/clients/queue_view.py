"""What the Unmatched Queue page shows, as plain functions: its title and orders, a queue row's
columns and note (archived, merged), how a contact is named in the pickers, how the chosen
contacts are spoken of, and the ignored contacts' columns. The page only draws what these return."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from xeroflow_core.clients.queue import QueueRow
from xeroflow_core.money import fmt_money
from xeroflow_core.text import plain

# the order radio's labels, in order, and the queue order each asks for (queue.filter_queue)
ORDERS = {"Newest first": "newest", "Largest total": "total"}


def title(count: int) -> str:
    """The page's title, with how many contacts wait."""
    return f"Unmatched Queue ({count})"


def organisation_label(tenant_id: str | None, orgs: Mapping[str, str]) -> str:
    """How the organisation filter names a choice (None: every organisation)."""
    return plain(orgs[tenant_id]) if tenant_id in orgs else "All organisations"


def note(r: QueueRow) -> str:
    """What a row's contact state means: archived in Xero, merged into another contact."""
    return ("archived in Xero" if r.contact_status == "ARCHIVED" else "") + (
        " · merged into another contact" if r.merged_to else ""
    )


def queue_columns(rows: Sequence[QueueRow]) -> dict[str, list]:
    """The queue's table: totals in the base currency, and in each document currency."""
    return {
        "Contact": [r.name for r in rows],
        "Organisation": [r.organisation for r in rows],
        "Invoices": [r.invoice_count for r in rows],
        "Total (base)": [fmt_money(r.total) for r in rows],
        "In currency": [
            " · ".join(fmt_money(v, c) for c, v in sorted(r.totals.items())) for r in rows
        ],
        "First": [r.first_date for r in rows],
        "Latest": [r.last_date for r in rows],
        "Note": [note(r) for r in rows],
    }


def pick_label(r: QueueRow) -> str:
    """A contact in "Contacts to resolve": name, organisation, invoices and total."""
    return plain(f"{r.name} · {r.organisation} ({r.invoice_count} inv, {fmt_money(r.total)})")


def noun(picked: Sequence[object]) -> str:
    """How the actions speak of the chosen contacts: "contact" or "3 contacts"."""
    return "contact" if len(picked) == 1 else f"{len(picked)} contacts"


def ignored_columns(rows: Sequence[QueueRow]) -> dict[str, list]:
    """The ignored contacts' table, with why each was ignored."""
    return {
        "Contact": [r.name for r in rows],
        "Organisation": [r.organisation for r in rows],
        "Invoices": [r.invoice_count for r in rows],
        "Total (base)": [fmt_money(r.total) for r in rows],
        "Reason": [r.ignored_reason or "" for r in rows],
    }

"""Clients: who a Xero contact belongs to, and everything a person does about it.

- `links`: the actions (create, edit, archive, link and unlink contacts, ignore, follow Xero's
  contact merges), each checked, audited and journalled.
- `mappings`: the cost mappings (tracking options and suppliers), actions like those of `links`.
- `journal`: the undo journal those actions write, and `undo`.
- `queue`: the Unmatched Queue, the Ignored list and the pickers.
- `financials`: the client list and one client's figures (counted by the ledger's rules).
- `costs`: the bill and receipt lines attributed to a client (tracking option, then supplier).
- `suggestions`: contact-to-client matching by name and email domain.

The names below are what pages and other features call; each lives in the module named above.
"""

from xeroflow_core.clients.financials import (
    ClientFinancials,
    ClientRow,
    DocRow,
    client_financials,
    client_list,
    contact_documents,
    counted_invoice_filter,
    per_contact_totals,
)
from xeroflow_core.clients.journal import UndoError, created_audit_id, describe, undo, undoable
from xeroflow_core.clients.links import (
    ContactKey,
    archive_client,
    create_client,
    follow_merges,
    ignore_contact,
    ignore_contacts,
    link_contacts,
    restore_client,
    set_client_status,
    unignore_contact,
    unignore_contacts,
    unlink_contact,
    update_client,
)
from xeroflow_core.clients.mappings import set_cost_mappings, set_suppliers, set_tracking_options
from xeroflow_core.clients.queue import (
    ContactChoice,
    QueueRow,
    client_choices,
    contact_choices,
    ignored_contacts,
    queue_count,
    queue_organisations,
    tracking_option_choices,
    unmatched_queue,
)
from xeroflow_core.clients.suggestions import (
    MIN_SCORE,
    Suggestion,
    email_domain,
    name_key,
    name_similarity,
    suggestions,
)

__all__ = [
    "MIN_SCORE",
    "ClientFinancials",
    "ClientRow",
    "ContactChoice",
    "ContactKey",
    "DocRow",
    "QueueRow",
    "Suggestion",
    "UndoError",
    "archive_client",
    "client_choices",
    "client_financials",
    "client_list",
    "contact_choices",
    "contact_documents",
    "counted_invoice_filter",
    "create_client",
    "created_audit_id",
    "describe",
    "email_domain",
    "follow_merges",
    "ignore_contact",
    "ignore_contacts",
    "ignored_contacts",
    "link_contacts",
    "name_key",
    "name_similarity",
    "per_contact_totals",
    "queue_count",
    "queue_organisations",
    "restore_client",
    "set_client_status",
    "set_cost_mappings",
    "set_suppliers",
    "set_tracking_options",
    "suggestions",
    "tracking_option_choices",
    "undo",
    "undoable",
    "unignore_contact",
    "unignore_contacts",
    "unlink_contact",
    "unmatched_queue",
    "update_client",
]

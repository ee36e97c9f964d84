"""What the Clients page shows, without a browser: the status filter, the list's columns, a
client's title and figures, what a contact's state in Xero means, the current cost mappings."""

from __future__ import annotations

from decimal import Decimal

from xeroflow_core.clients import client_view as cv
from xeroflow_core.clients.financials import ClientFinancials, ClientRow, LinkedContact
from xeroflow_core.models import Client


def contact(status: str = "ACTIVE", merged_to: str | None = None) -> LinkedContact:
    return LinkedContact("t1", "c1", "Demo", "Acme Ltd", "", status, merged_to, "admin", None)


def test_the_status_filter_and_the_empty_list() -> None:
    assert list(cv.STATUS_FILTERS.items()) == [
        ("Active", "active"),
        ("Archived", "archived"),
        ("All", None),
    ]
    assert cv.empty_list_message("", None) == "No clients yet."
    assert cv.empty_list_message("acme", None) == cv.empty_list_message("", "active")
    assert cv.empty_list_message("", "active") == "No clients match."


def test_the_list_counts_archived_contacts() -> None:
    rows = [
        ClientRow(1, "Acme", "active", "", contacts=3, archived_contacts=1),
        ClientRow(2, "B", "active", "", contacts=2),
    ]
    columns = cv.list_columns(rows)
    assert columns["Contacts"] == ["3 (1 archived)", "2"]
    assert list(columns) == [
        "Client",
        "Status",
        "Contacts",
        "Invoices",
        "Outstanding",
        "Overdue",
        "Last invoice",
    ]


def test_a_title_says_archived_and_the_figures_come_in_order() -> None:
    assert cv.client_title(Client(id=1, name="Acme *Ltd*", status="archived")) == (
        "Acme \\*Ltd\\* (archived)"
    )
    assert cv.client_title(Client(id=1, name="Acme", status="active")) == "Acme"
    fin = ClientFinancials(Client(id=1, name="Acme"), [], [], [], [], outstanding=Decimal("10"))
    metrics = cv.client_metrics(fin)
    assert [m["label"] for m in metrics] == [
        "Outstanding",
        "Overdue",
        "Invoiced (approved)",
        "Credited",
        "Attributed costs",
    ]
    assert metrics[0]["value"].startswith("10.00")


def test_a_contact_in_xero_is_active_archived_or_not_synced_and_may_be_merged() -> None:
    assert cv.in_xero(contact()) == "active"
    assert cv.in_xero(contact("ARCHIVED")) == "archived"
    assert cv.in_xero(contact("")) == "not synced"
    assert cv.in_xero(contact(merged_to="c2")) == "active · merged"
    assert cv.contact_columns([contact()])["In Xero"] == ["active"]


def test_only_mappings_still_on_offer_are_current() -> None:
    fin = ClientFinancials(
        Client(id=1, name="Acme"),
        [],
        [],
        [],
        [],
        tracking_options=[("t1", "o1", "A"), ("t1", "gone", "B")],
        suppliers=[("t1", "s1", "S")],
    )
    assert cv.current_mappings(fin, [("t1", "o1")], []) == ([("t1", "o1")], [])

"""What the Unmatched Queue page shows, without a browser: its orders, a row's note, how a
contact is named in the picker, how the chosen contacts are spoken of, the ignored table."""

from __future__ import annotations

from decimal import Decimal

from xeroflow_core.clients import queue_view as qv
from xeroflow_core.clients.queue import QueueRow


def row(status: str = "ACTIVE", merged_to: str | None = None, **kw: object) -> QueueRow:
    return QueueRow("t1", "c1", "Demo Ltd", "Acme", "", status, merged_to, **kw)


def test_title_orders_and_organisation_filter() -> None:
    assert qv.title(3) == "Unmatched Queue (3)"
    assert qv.ORDERS == {"Newest first": "newest", "Largest total": "total"}
    assert qv.organisation_label(None, {"t1": "Demo"}) == "All organisations"
    assert qv.organisation_label("t1", {"t1": "Demo\\nLtd"}) == "Demo\\nLtd"


def test_a_note_says_archived_and_merged() -> None:
    assert qv.note(row()) == ""
    assert qv.note(row("ARCHIVED")) == "archived in Xero"
    assert qv.note(row("ARCHIVED", "c2")) == "archived in Xero · merged into another contact"
    assert qv.queue_columns([row(merged_to="c2")])["Note"] == [" · merged into another contact"]


def test_totals_per_currency_are_listed_in_currency_order() -> None:
    r = row(totals={"USD": Decimal("5"), "AUD": Decimal("7")})
    assert qv.queue_columns([r])["In currency"] == ["AUD 7.00 · USD 5.00"]


def test_picker_label_noun_and_ignored_reason() -> None:
    label = qv.pick_label(row(invoice_count=2, total=Decimal("100")))
    assert label.startswith("Acme · Demo Ltd (2 inv, ") and "100.00" in label
    assert qv.noun(["a"]) == "contact" and qv.noun(["a", "b"]) == "2 contacts"
    assert qv.ignored_columns([row(ignored_reason=None)])["Reason"] == [""]

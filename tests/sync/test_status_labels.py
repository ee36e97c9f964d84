"""The Sync Status page speaks people's words, not Xero's resource codes."""

from xeroflow_core.sync.resources import RESOURCES
from xeroflow_core.sync.status import resource_label, status_label


def test_every_resource_has_a_readable_label() -> None:
    labels = {r.name: resource_label(r.name) for r in RESOURCES}
    assert labels["CreditNotes"] == "Credit notes"
    assert labels["TrackingCategories"] == "Tracking categories"
    assert all(" " in label or label.isalpha() and label[0].isupper() for label in labels.values())
    assert not any(label[1:] != label[1:].lower() for label in labels.values())


def test_statuses_read_as_words() -> None:
    assert [status_label(s) for s in ("ok", "error", "unavailable", "never", "running")] == [
        "OK", "Error", "Unavailable", "Not yet", "Running",
    ]  # fmt: skip

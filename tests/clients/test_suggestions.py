"""Suggestions: awkward names match their client, with a reason a person can check."""

from __future__ import annotations

import pytest

from tests.support import factories as f
from xeroflow_core import clients as m
from xeroflow_core.actor import Actor

STAFF = Actor("sam", "staff")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Acme Ltd", "ACME Limited"),
        ("The Smith & Jones Co.", "smith and jones"),
        ("O'Brien Design Pty. Ltd.", "OBrien Design"),
        ("Café Münch LLC", "Cafe Munch"),
        ("Acme, Inc.", "acme inc"),
        ("  Acme   Ltd  ", "Acme"),
    ],
)
def test_noise_is_ignored(a: str, b: str) -> None:
    assert m.name_key(a) == m.name_key(b)
    assert m.name_similarity(a, b) == 1.0


@pytest.mark.parametrize(
    ("a", "b"),
    [("Acme Ltd", "Apex Ltd"), ("Globex", "Initech"), ("The Company Ltd", "Acme Ltd")],
)
def test_different_names_stay_apart(a: str, b: str) -> None:
    assert m.name_similarity(a, b) < m.MIN_SCORE


def test_name_made_only_of_legal_words_keeps_them() -> None:
    assert m.name_key("The Company Ltd") == "the company ltd"


def test_free_mail_domains_are_not_evidence() -> None:
    assert m.email_domain("jo@gmail.com") == ""
    assert m.email_domain("AP@Acme.co.nz ") == "acme.co.nz"
    assert m.email_domain("") == ""


def test_suggestions_rank_best_first_with_reasons(sqlite_engine) -> None:
    e = sqlite_engine
    f.organisation(e)
    existing = f.contact(e, "Northwind Traders", email="ap@northwind.example")
    m.create_client(e, STAFF, "Northwind", contacts=[(f.TENANT, existing)])
    m.create_client(e, STAFF, "Acme Limited")
    m.create_client(e, STAFF, "Acme Widgets")
    m.create_client(e, STAFF, "Unrelated Holdings")
    archived = m.create_client(e, STAFF, "ACME")
    m.archive_client(e, STAFF, archived.id)

    acme = f.contact(e, "ACME Ltd.")
    got = m.suggestions(e, f.TENANT, acme)
    assert [s.name for s in got][:2] == ["Acme Limited", "Acme Widgets"]
    assert got[0].score == 1.0 and "Ltd/Limited" in got[0].reason
    assert "ACME" not in [s.name for s in got]  # archived clients are not offered
    assert "Unrelated Holdings" not in [s.name for s in got]

    by_mail = f.contact(e, "NW Accounts Payable", email="billing@northwind.example")
    (best, *_) = m.suggestions(e, f.TENANT, by_mail)
    assert best.name == "Northwind"
    assert "@northwind.example" in best.reason and "Northwind Traders" in best.reason

    by_linked_name = f.contact(e, "northwind traders limited")
    assert m.suggestions(e, f.TENANT, by_linked_name)[0].name == "Northwind"
    assert m.suggestions(e, f.TENANT, "missing") == []

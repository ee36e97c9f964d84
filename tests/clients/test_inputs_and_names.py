"""Searches and names are inputs: `%` and `_` match themselves, a
search too long for the database is refused with a message, and a client name cannot sit beside
another that reads the same (full-width letters, zero-width spaces). SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest

from tests.support import factories as f
from xeroflow_core import clients as m
from xeroflow_core.actor import Actor
from xeroflow_core.clients.financials import client_list
from xeroflow_core.text import MAX_SEARCH_CHARS, parse_id

STAFF = Actor("sam", "staff")


@pytest.fixture
def clients(engine):
    f.organisation(engine)
    for name in ("100% Pure", "Acme_Corp", "AcmeXCorp", "Plain Co"):
        m.create_client(engine, STAFF, name)
    linked = m.create_client(engine, STAFF, "Linked Ltd")
    cid = f.contact(engine, "Under_Score Trading")
    m.link_contacts(engine, STAFF, linked.id, [(f.TENANT, cid)])
    for name in ("50% Off Ltd", "Half_Price", "HalfXPrice"):
        f.invoice(engine, f.contact(engine, name), [("200", "10.00")], on=date(2026, 10, 1))
    return engine


def names(rows) -> list[str]:
    return sorted(r.name for r in rows)


def test_percent_and_underscore_match_themselves(clients) -> None:
    assert names(client_list(clients, search="%")) == ["100% Pure"]
    assert names(client_list(clients, search="_")) == ["Acme_Corp", "Linked Ltd"]  # via contact
    assert names(client_list(clients, search="acme_c")) == ["Acme_Corp"]
    assert [n for _, n in m.client_choices(clients, search="_")] == ["Acme_Corp"]
    assert [r.name for r in m.unmatched_queue(clients, search="%")] == ["50% Off Ltd"]
    assert [r.name for r in m.unmatched_queue(clients, search="f_p")] == ["Half_Price"]


def test_a_huge_search_is_refused_with_a_message(clients) -> None:
    huge = "x" * 50_000
    for search in (
        lambda: client_list(clients, search=huge),
        lambda: m.client_choices(clients, search=huge),
        lambda: m.unmatched_queue(clients, search=huge),
    ):
        with pytest.raises(ValueError, match=f"at most {MAX_SEARCH_CHARS} characters"):
            search()
    assert names(client_list(clients, search="y" * MAX_SEARCH_CHARS)) == []


@pytest.mark.parametrize(
    "look_alike", ["Ａcme", "Ac\u200bme", "ACME", " acme ", "Acme\u202e", "\ufeffAcme"]
)
def test_a_name_that_reads_the_same_as_another_is_refused(engine, look_alike: str) -> None:
    m.create_client(engine, STAFF, "Acme")
    with pytest.raises(ValueError, match="exists already"):
        m.create_client(engine, STAFF, look_alike)
    other = m.create_client(engine, STAFF, "Beta")
    with pytest.raises(ValueError, match="exists already"):
        m.update_client(engine, STAFF, other.id, name=look_alike)


def test_a_stored_name_has_no_invisible_characters(engine) -> None:
    client = m.create_client(engine, STAFF, "Glo\u200bbex\u202e Ltd\n")
    assert client.name == "Globex Ltd"


@pytest.mark.parametrize("raw", ["²", "١٢", "12345678901234567890", "-1", "0", "1e3", " 7", "7 "])
def test_a_query_string_id_that_is_not_an_id_gets_a_message(raw: str) -> None:
    with pytest.raises(ValueError, match="is not a valid client id"):
        parse_id(raw, "client id")


def test_query_string_ids() -> None:
    assert parse_id(None) is None and parse_id("") is None
    assert parse_id("42", "client id") == 42
    assert parse_id("2147483647") == 2**31 - 1

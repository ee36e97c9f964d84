"""Linking, unlinking, ignoring and undo: every counting invoice is in exactly one place.

Runs on SQLite and PostgreSQL (the `engine` fixture)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import select

from tests.support import factories as f
from xeroflow_core import clients as m
from xeroflow_core.actor import Actor
from xeroflow_core.db import session_scope
from xeroflow_core.models import AuditLog, Client, ClientContactLink, Contact
from xeroflow_core.users import PermissionDenied

STAFF = Actor("sam", "staff")
PARTNER = Actor("pat", "partner")
ADMIN = Actor("ada", "admin")


def _queued(engine) -> dict[str, m.QueueRow]:
    return {r.name: r for r in m.unmatched_queue(engine)}


@pytest.fixture
def world(engine):
    """Two organisations, a handful of customers with invoices in various states."""
    f.organisation(engine)
    other = f.organisation(engine, "22222222-2222-2222-2222-222222222222", "AUD")
    c = {
        "acme": f.contact(engine, "Acme Ltd", email="ap@acme.co.nz"),
        "acme_au": f.contact(engine, "ACME Pty Limited", tenant_id=other),
        "globex": f.contact(engine, "Globex"),
        "voided_only": f.contact(engine, "Voidy"),
        "draft_only": f.contact(engine, "Drafty"),
        "credit_only": f.contact(engine, "Crediting"),
        "usd": f.contact(engine, "Yankee Co"),
    }
    f.invoice(engine, c["acme"], [("200", "100.00")], on=date(2026, 9, 1))
    f.invoice(engine, c["acme"], [("200", "50.00")], on=date(2026, 10, 3), status="PAID")
    f.invoice(engine, c["acme_au"], [("200", "10.00")], tenant_id=other, currency="AUD")
    f.invoice(engine, c["globex"], [("200", "1000.00")], on=date(2026, 6, 1))
    f.invoice(engine, c["voided_only"], [("200", "70.00")], status="VOIDED")
    f.invoice(engine, c["voided_only"], [("200", "70.00")], status="DELETED")
    f.invoice(engine, c["draft_only"], [("200", "20.00")], status="DRAFT")
    f.invoice(engine, c["credit_only"], [("200", "30.00")], kind="credit_note", type="ACCRECCREDIT")
    f.invoice(engine, c["usd"], [("200", "100.00")], rate="0.5", currency="USD")
    f.invoice(engine, c["globex"], [("400", "500.00")], type="ACCPAY")  # a bill: not the queue
    return c


def test_queue_rows_follow_the_documented_rule(engine, world) -> None:
    q = _queued(engine)
    assert set(q) == {"Acme Ltd", "ACME Pty Limited", "Globex", "Drafty", "Yankee Co"}
    acme = q["Acme Ltd"]
    assert acme.invoice_count == 2
    assert acme.total == Decimal("172.50")  # 115 + 57.50, tax included
    assert (acme.first_date, acme.last_date) == (date(2026, 9, 1), date(2026, 10, 3))
    assert q["Yankee Co"].total == Decimal("230.00")  # 115 USD at 0.5 USD per NZD
    assert q["Yankee Co"].totals == {"USD": Decimal("115.00")}
    assert m.queue_count(engine) == 5
    assert [r.name for r in m.unmatched_queue(engine, order="total")][:2] == ["Globex", "Yankee Co"]
    assert m.unmatched_queue(engine, order="newest")[0].last_date == date(2026, 10, 15)
    other = m.unmatched_queue(engine, tenant_id="22222222-2222-2222-2222-222222222222")
    assert [r.name for r in other] == ["ACME Pty Limited"]


def test_link_to_new_and_existing_client_empties_the_queue(engine, world) -> None:
    t2 = "22222222-2222-2222-2222-222222222222"
    acme = m.create_client(engine, STAFF, "Acme", contacts=[(f.TENANT, world["acme"])])
    assert "Acme Ltd" not in _queued(engine)
    m.link_contacts(engine, STAFF, acme.id, [(t2, world["acme_au"]), (f.TENANT, world["usd"])])
    assert set(_queued(engine)) == {"Globex", "Drafty"}
    assert m.queue_count(engine) == 2
    fin = m.client_financials(engine, acme.id, today=date(2026, 12, 1))
    assert len(fin.invoices) == 4 and len(fin.contacts) == 3
    # links are derived: unlinking puts the contact straight back, invoices intact
    m.unlink_contact(engine, STAFF, f.TENANT, world["usd"])
    assert _queued(engine)["Yankee Co"].invoice_count == 1
    with session_scope(engine) as s:
        actions = [a.action for a in s.exec(select(AuditLog).order_by(AuditLog.id))]
    assert actions == ["client.create", "client.link", "client.unlink"]


def test_ignore_is_listed_separately_and_reversible(engine, world) -> None:
    aid = m.ignore_contact(engine, STAFF, f.TENANT, world["globex"], reason="one-off job")
    assert "Globex" not in _queued(engine)
    ignored = m.ignored_contacts(engine)
    assert [(r.name, r.ignored_reason, r.invoice_count) for r in ignored] == [
        ("Globex", "one-off job", 1)
    ]
    m.undo(engine, STAFF, aid)
    assert "Globex" in _queued(engine) and m.ignored_contacts(engine) == []
    m.ignore_contact(engine, STAFF, f.TENANT, world["globex"])
    m.unignore_contact(engine, STAFF, f.TENANT, world["globex"])
    assert "Globex" in _queued(engine)


def test_linking_an_ignored_contact_stops_ignoring_it_and_undo_restores_both(engine, world):
    client = m.create_client(engine, STAFF, "Globex Corporation")
    m.ignore_contact(engine, STAFF, f.TENANT, world["globex"], reason="x")
    aid = m.link_contacts(engine, STAFF, client.id, [(f.TENANT, world["globex"])])
    assert m.ignored_contacts(engine) == [] and "Globex" not in _queued(engine)
    m.undo(engine, STAFF, aid)
    assert [r.name for r in m.ignored_contacts(engine)] == ["Globex"]


def test_ignoring_a_linked_contact_is_refused(engine, world) -> None:
    m.create_client(engine, STAFF, "Acme", contacts=[(f.TENANT, world["acme"])])
    with pytest.raises(ValueError, match="linked to Acme"):
        m.ignore_contact(engine, STAFF, f.TENANT, world["acme"])


def test_undo_create_client_removes_it_and_requeues(engine, world) -> None:
    m.create_client(engine, STAFF, "Acme", contacts=[(f.TENANT, world["acme"])])
    with session_scope(engine) as s:
        aid = s.exec(select(AuditLog.id).where(AuditLog.action == "client.create")).one()
    m.undo(engine, STAFF, aid)
    assert "Acme Ltd" in _queued(engine)
    assert m.client_list(engine) == []
    with pytest.raises(m.UndoError, match="Already undone"):
        m.undo(engine, STAFF, aid)


def test_undo_refuses_to_overwrite_a_later_decision(engine, world) -> None:
    a = m.create_client(engine, STAFF, "Acme")
    b = m.create_client(engine, STAFF, "Other")
    first = m.link_contacts(engine, STAFF, a.id, [(f.TENANT, world["acme"])])
    m.link_contacts(engine, STAFF, b.id, [(f.TENANT, world["acme"])])  # moved since
    with pytest.raises(m.UndoError, match="Changed again since"):
        m.undo(engine, STAFF, first)
    with session_scope(engine) as s:
        assert s.get(ClientContactLink, (f.TENANT, world["acme"])).client_id == b.id


def test_edit_archive_restore_and_undo(engine, world) -> None:
    c = m.create_client(engine, STAFF, "Acme", notes="n", contacts=[(f.TENANT, world["acme"])])
    edit = m.update_client(engine, STAFF, c.id, name="Acme Group", notes="retainer")
    m.archive_client(engine, STAFF, c.id)
    # archiving keeps the links: the invoices still belong to it, not the queue
    assert "Acme Ltd" not in _queued(engine)
    assert [r.name for r in m.client_list(engine, status="archived")] == ["Acme Group"]
    with pytest.raises(ValueError, match="archived"):
        m.link_contacts(engine, STAFF, c.id, [(f.TENANT, world["globex"])])
    m.restore_client(engine, STAFF, c.id)
    assert edit.name == "Acme Group"
    with session_scope(engine) as s:
        aid = s.exec(select(AuditLog.id).where(AuditLog.action == "client.update")).one()
    m.undo(engine, STAFF, aid)
    with session_scope(engine) as s:
        got = s.get(Client, c.id)
        assert (got.name, got.notes, got.status) == ("Acme", "n", "active")


def test_bad_input_is_refused_clearly(engine, world) -> None:
    m.create_client(engine, STAFF, "Acme")
    with pytest.raises(ValueError, match="needs a name"):
        m.create_client(engine, STAFF, "   ")
    with pytest.raises(ValueError, match="exists already"):
        m.create_client(engine, STAFF, "  acme ")
    with pytest.raises(ValueError, match="not synced"):
        m.create_client(engine, STAFF, "New", contacts=[(f.TENANT, "no-such-contact")])
    assert [r.name for r in m.client_list(engine)] == ["Acme"]  # nothing half-made


def test_roles_are_checked_on_the_server(engine, world) -> None:
    c = m.create_client(engine, ADMIN, "Acme")
    for call in (
        lambda: m.create_client(engine, PARTNER, "X"),
        lambda: m.link_contacts(engine, PARTNER, c.id, [(f.TENANT, world["acme"])]),
        lambda: m.ignore_contact(engine, PARTNER, f.TENANT, world["globex"]),
        lambda: m.update_client(engine, PARTNER, c.id, name="Y"),
        lambda: m.archive_client(engine, PARTNER, c.id),
        lambda: m.set_suppliers(engine, PARTNER, c.id, []),
    ):
        with pytest.raises(PermissionDenied):
            call()
    aid = m.link_contacts(engine, STAFF, c.id, [(f.TENANT, world["acme"])])
    with pytest.raises(PermissionDenied):
        m.undo(engine, PARTNER, aid)
    assert "Acme Ltd" not in _queued(engine)


def test_merged_contact_link_follows_the_survivor(engine, world) -> None:
    c = m.create_client(engine, STAFF, "Acme")
    dup = f.contact(engine, "Acme Ltd (duplicate)")
    m.link_contacts(engine, STAFF, c.id, [(f.TENANT, dup)])
    with session_scope(engine) as s:  # the next sync sees Xero's merge
        row = s.get(Contact, (f.TENANT, dup))
        row.status, row.merged_to_contact_id = "ARCHIVED", world["acme"]
    with session_scope(engine) as s:
        assert len(m.follow_merges(s)) == 1
    with session_scope(engine) as s:
        assert m.follow_merges(s) == []  # idempotent
    with session_scope(engine) as s:
        assert s.get(ClientContactLink, (f.TENANT, dup)) is None
        assert s.get(ClientContactLink, (f.TENANT, world["acme"])).client_id == c.id
        audit = s.exec(select(AuditLog).where(AuditLog.action == "client.follow_merges")).one()
        assert audit.username == "system"
    assert "Acme Ltd" not in _queued(engine)


def test_archived_contact_stays_linked_and_is_flagged(engine, world) -> None:
    c = m.create_client(engine, STAFF, "Acme", contacts=[(f.TENANT, world["acme"])])
    with session_scope(engine) as s:
        s.get(Contact, (f.TENANT, world["acme"])).status = "ARCHIVED"
    fin = m.client_financials(engine, c.id)
    assert [x.archived for x in fin.contacts] == [True]
    assert len(fin.invoices) == 2
    (row,) = m.client_list(engine)
    assert (row.contacts, row.archived_contacts) == (1, 1)


def test_bench_queue_command_runs_on_generated_data(capsys) -> None:
    from xeroflow_core.bench.queue import main

    assert main(["--contacts", "60", "--invoices", "600", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    assert "unmatched_queue(order=newest)" in out and "client_list()" in out

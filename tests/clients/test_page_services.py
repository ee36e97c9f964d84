"""Core services the Clients and Unmatched Queue pages call instead of composing logic themselves.

Runs on SQLite and PostgreSQL (the `engine` fixture)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from tests.support import factories as f
from xeroflow_core import audit, clients
from xeroflow_core.actor import Actor
from xeroflow_core.clients import financials as client_financials
from xeroflow_core.clients import queue as matching
from xeroflow_core.clients.journal import undo
from xeroflow_core.db import session_scope
from xeroflow_core.models import AuditLog, ClientSupplier, ClientTrackingOption

STAFF = Actor("sam", "staff")
T2 = "22222222-2222-2222-2222-222222222222"


def _mappings(engine) -> tuple[set, set]:
    with session_scope(engine) as s:
        opts = {
            (r.tenant_id, r.tracking_option_id, r.client_id)
            for r in s.exec(select(ClientTrackingOption))
        }
        sups = {(r.tenant_id, r.contact_id, r.client_id) for r in s.exec(select(ClientSupplier))}
    return opts, sups


def test_set_cost_mappings_saves_both_in_one_undoable_action(engine) -> None:
    f.organisation(engine)
    supplier = f.contact(engine, "Print Co", is_supplier=True)
    client = clients.create_client(engine, STAFF, "Acme")
    with session_scope(engine) as s:
        before = len(list(s.exec(select(AuditLog))))
    aid = clients.set_cost_mappings(
        engine, STAFF, client.id, [(f.TENANT, "opt-acme")], [(f.TENANT, supplier)]
    )
    assert aid is not None
    assert _mappings(engine) == (
        {(f.TENANT, "opt-acme", client.id)},
        {(f.TENANT, supplier, client.id)},
    )
    with session_scope(engine) as s:
        rows = list(s.exec(select(AuditLog).order_by(AuditLog.id)))
    assert len(rows) == before + 1 and rows[-1].id == aid  # one entry for the whole save
    undo(engine, STAFF, aid)  # one undo puts back both kinds
    assert _mappings(engine) == (set(), set())
    # nothing changed: no journal entry
    assert clients.set_cost_mappings(engine, STAFF, client.id, [], []) is None


def test_set_cost_mappings_is_all_or_nothing(engine) -> None:
    f.organisation(engine)
    client = clients.create_client(engine, STAFF, "Acme")
    clients.set_cost_mappings(engine, STAFF, client.id, [(f.TENANT, "opt-old")], [])
    with pytest.raises(ValueError):  # a malformed supplier key refuses the whole save
        clients.set_cost_mappings(engine, STAFF, client.id, [(f.TENANT, "opt-new")], [("", "")])
    assert _mappings(engine) == ({(f.TENANT, "opt-old", client.id)}, set())


@pytest.fixture
def queue(engine) -> dict[str, str]:
    f.organisation(engine)
    f.organisation(engine, T2, "AUD")
    c = {
        "acme": f.contact(engine, "Acme Ltd", email="ap@acme.co.nz"),
        "acme_au": f.contact(engine, "ACME Pty Limited", tenant_id=T2),
        "globex": f.contact(engine, "Globex", email="billing@GLOBEX.com"),
    }
    f.invoice(engine, c["acme"], [("200", "100.00")], on=date(2026, 9, 1))
    f.invoice(engine, c["acme_au"], [("200", "10.00")], tenant_id=T2, currency="AUD")
    f.invoice(engine, c["globex"], [("200", "1000.00")], on=date(2026, 6, 1))
    return c


def test_unmatched_queue_filters_by_organisation_and_search(engine, queue) -> None:
    names = lambda rows: sorted(r.name for r in rows)  # noqa: E731
    assert names(matching.unmatched_queue(engine, search="acme")) == [
        "ACME Pty Limited",
        "Acme Ltd",
    ]
    assert names(matching.unmatched_queue(engine, search="  globex.COM ")) == ["Globex"]  # email
    assert names(matching.unmatched_queue(engine, search="acme", tenant_id=f.TENANT)) == [
        "Acme Ltd"
    ]
    assert matching.unmatched_queue(engine, search="nobody") == []
    assert names(matching.unmatched_queue(engine, search="")) == [
        "ACME Pty Limited", "Acme Ltd", "Globex"
    ]  # fmt: skip
    orgs = matching.queue_organisations(engine)
    assert [t for t, _ in orgs] == sorted([f.TENANT, T2], key=lambda t: dict(orgs)[t].lower())


def test_unignore_contacts_returns_many_in_one_undoable_action(engine, queue) -> None:
    keys = [(f.TENANT, queue["acme"]), (f.TENANT, queue["globex"])]
    clients.ignore_contacts(engine, STAFF, keys, "later")
    aid = clients.unignore_contacts(engine, STAFF, keys)
    assert matching.ignored_contacts(engine) == []
    assert len(matching.unmatched_queue(engine)) == 3
    undo(engine, STAFF, aid)
    assert sorted(r.name for r in matching.ignored_contacts(engine)) == ["Acme Ltd", "Globex"]
    assert clients.unignore_contacts(engine, STAFF, [(f.TENANT, queue["acme_au"])]) is None


def test_audit_actions_lists_the_distinct_recorded_actions(engine, queue) -> None:
    assert audit.actions(engine) == []
    clients.ignore_contacts(engine, STAFF, [(f.TENANT, queue["acme"])])
    clients.create_client(engine, STAFF, "Acme")
    clients.create_client(engine, STAFF, "Other")
    assert audit.actions(engine) == ["client.create", "queue.ignore"]
    assert audit.actions(engine, username="sam") == ["client.create", "queue.ignore"]
    assert [a.action for a in audit.recent(engine, username="nobody")] == []
    assert len(audit.recent(engine, action="client.create", username="sam")) == 2


def test_overdue_defaults_to_the_utc_date(engine, queue, monkeypatch) -> None:
    """With no `today`, overdue is judged against the UTC date, never the server's local date."""
    acme = clients.create_client(engine, STAFF, "Acme", contacts=[(f.TENANT, queue["acme"])])
    monkeypatch.setattr(client_financials, "utc_today", lambda: date(2026, 9, 2))
    assert client_financials.client_financials(engine, acme.id).overdue > 0
    assert [r.overdue > 0 for r in client_financials.client_list(engine)] == [True]
    monkeypatch.setattr(client_financials, "utc_today", lambda: date(2026, 8, 1))
    assert client_financials.client_financials(engine, acme.id).overdue == 0
    assert [
        d.overdue for d in client_financials.contact_documents(engine, f.TENANT, queue["acme"])
    ] == [False]


def test_undo_create_archives_a_client_another_feature_refers_to(engine) -> None:
    from xeroflow_core.models import Client
    from xeroflow_core.models.eom import BillingProfile

    client = clients.create_client(engine, STAFF, "Acme")
    with session_scope(engine) as s:
        s.add(BillingProfile(client_id=client.id))
        aid = s.exec(select(AuditLog.id).where(AuditLog.action == "client.create")).one()
    undo(engine, STAFF, aid)  # the delete hits the billing profile's foreign key: archived
    with session_scope(engine) as s:
        assert s.get(Client, client.id).status == "archived"

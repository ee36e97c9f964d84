"""Property: whatever people link, unlink, ignore and undo, every counting invoice is in exactly
one place (a client, the queue, or the ignored list), and the money adds up."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete
from sqlmodel import func, select

from tests.support import factories as f
from xeroflow_core import clients as m
from xeroflow_core.actor import Actor
from xeroflow_core.db import session_scope
from xeroflow_core.models import (
    AuditLog,
    Client,
    ClientChange,
    ClientContactLink,
    IgnoredContact,
    Invoice,
)

STAFF = Actor("sam", "staff")
N_CONTACTS, N_CLIENTS = 6, 3

op = st.one_of(
    st.tuples(
        st.just("link"), st.integers(0, N_CLIENTS - 1), st.sets(st.integers(0, 5), min_size=1)
    ),
    st.tuples(st.just("unlink"), st.integers(0, N_CONTACTS - 1)),
    st.tuples(st.just("ignore"), st.integers(0, N_CONTACTS - 1)),
    st.tuples(st.just("unignore"), st.integers(0, N_CONTACTS - 1)),
    st.tuples(st.just("undo"), st.integers(0, 5)),
    st.tuples(st.just("create"), st.sets(st.integers(0, 5), max_size=2)),
)


@pytest.fixture
def seeded(engine):
    f.organisation(engine)
    contacts = []
    for i in range(N_CONTACTS):
        cid = f.contact(engine, f"Customer {i}")
        contacts.append(cid)
        for j in range(i % 3 + 1):
            f.invoice(engine, cid, [("200", f"{10 * (i + 1) + j}.25")], on=date(2026, 1 + j, 5))
        f.invoice(engine, cid, [("200", "5.00")], status="VOIDED")
    return engine, contacts


def _places(engine) -> tuple[int, Decimal]:
    queue = m.unmatched_queue(engine)
    ignored = m.ignored_contacts(engine)
    n = sum(r.invoice_count for r in queue + ignored)
    total = sum((r.total for r in queue + ignored), Decimal(0))
    for row in m.client_list(engine):
        fin = m.client_financials(engine, row.id)
        counted = [d for d in fin.invoices if d.status not in ("VOIDED", "DELETED")]
        assert len(counted) == row.invoice_count
        n += len(counted)
        total += sum((d.base_total for d in counted), Decimal(0))
    keys = [r.key for r in queue] + [r.key for r in ignored]
    assert len(keys) == len(set(keys)), "a contact is both queued and ignored"
    return n, total


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(op, max_size=12))
def test_every_invoice_is_in_exactly_one_place(seeded, ops) -> None:
    engine, contacts = seeded
    with session_scope(engine) as s:  # each example starts from "nothing linked"
        for model in (ClientChange, ClientContactLink, IgnoredContact):
            s.exec(delete(model))
        s.exec(delete(Client))
        s.exec(delete(AuditLog))
        expected_n = s.exec(
            select(func.count()).select_from(Invoice).where(m.counted_invoice_filter())
        ).one()
        expected_total = s.exec(
            select(func.sum(Invoice.total)).where(m.counted_invoice_filter())
        ).one()
    clients = [m.create_client(engine, STAFF, f"Client {k}").id for k in range(N_CLIENTS)]
    done: list[int] = []
    for step in ops:
        kind = step[0]
        try:
            if kind == "link":
                aid = m.link_contacts(
                    engine, STAFF, clients[step[1]], [(f.TENANT, contacts[i]) for i in step[2]]
                )
            elif kind == "unlink":
                aid = m.unlink_contact(engine, STAFF, f.TENANT, contacts[step[1]])
            elif kind == "ignore":
                aid = m.ignore_contact(engine, STAFF, f.TENANT, contacts[step[1]])
            elif kind == "unignore":
                aid = m.unignore_contact(engine, STAFF, f.TENANT, contacts[step[1]])
            elif kind == "create":
                c = m.create_client(
                    engine, STAFF, f"New {len(clients)}",
                    contacts=[(f.TENANT, contacts[i]) for i in step[1]],
                )  # fmt: skip
                clients.append(c.id)
                aid = None
            else:
                if not done:
                    continue
                m.undo(engine, STAFF, done[step[1] % len(done)])
                aid = None
        except (ValueError, m.UndoError):
            continue  # refused with a clear error: nothing may have changed half-way
        if aid:
            done.append(aid)
        n, total = _places(engine)
        assert n == expected_n
        assert total == expected_total

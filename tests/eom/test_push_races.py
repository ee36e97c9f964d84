"""Exactly once under races, on SQLite and PostgreSQL against the sandbox over HTTP: a pusher
taken over while it waits out 429s finishes late; an edit or a regeneration meets a push
between its read and its write; two databases push to one organisation."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from tests.eom.builders import ADMIN, OCT
from tests.eom.sandbox_ledger import billed_clients, in_xero, puts
from tests.eom.test_push import NO_WAIT, approved_month, arm
from tests.support.connect import connect_sandbox
from xeroflow_core.db import make_engine, migrate, session_scope
from xeroflow_core.eom import engine as eom_engine
from xeroflow_core.eom import review
from xeroflow_core.eom.engine import generate
from xeroflow_core.eom.push import XeroGateway, push_month
from xeroflow_core.models.eom import BillingItem, EomDraft
from xeroflow_core.xero.governor import Governor


@pytest.fixture
def tenant(engine, settings, sandbox) -> str:
    return connect_sandbox(engine, settings, tenant_names=["Demo Agency Ltd"])[0]


def impatient(engine: Engine) -> Engine:
    """A second connection pool on the same database that waits at most ~0.3 s for a lock, so
    a push run inside another transaction's window fails fast instead of waiting for it."""
    url = engine.url.render_as_string(hide_password=False)
    if engine.dialect.name == "postgresql":
        return make_engine(url, connect_args={"options": "-c lock_timeout=300"})
    other = make_engine(url)
    event.listen(other, "connect", lambda conn, _rec: conn.execute("PRAGMA busy_timeout=300"))
    return other


def draft_row(engine: Engine, draft_id: int) -> EomDraft:
    with session_scope(engine) as s:
        return s.get(EomDraft, draft_id)


def line_row(d: review.DraftView, unit_amount: str) -> dict:
    ln = d.lines[0]
    return {"id": ln.id, "description": ln.description, "quantity": "1",
            "unit_amount": unit_amount, "account_code": ln.account_code, "tax_type": ln.tax_type}  # fmt: skip


# --- 1. a takeover, then the first pusher's late finish ------------------------------------------


def test_a_pusher_that_lost_its_claim_writes_nothing(engine, settings, sandbox, tenant) -> None:
    """Pusher A is about to PUT when B, taking A's claim for a dead one, takes the draft over
    and pushes it (and Xero would answer A with 429s). A lost its claim: its PUT never leaves,
    it writes nothing and says so; a push after Xero's idempotency window does not PUT again."""
    (d,) = approved_month(engine, sandbox, tenant, ["100.00"])
    taken_over = []

    class TakenOverWhileWaiting(XeroGateway):
        def put_invoice(self, invoice, idempotency_key):
            if not taken_over:
                taken_over.append(
                    push_month(engine, settings, ADMIN, OCT, stale_after=timedelta(0), **NO_WAIT)
                )
                arm(settings, kind="rate_limit", problem="minute", retry_after=0, count=2,
                    path="/Invoices", method="PUT")  # fmt: skip
            return super().put_invoice(invoice, idempotency_key)

    late = push_month(
        engine, settings, ADMIN, OCT, **NO_WAIT,
        gateway_factory=lambda t: TakenOverWhileWaiting(engine, settings, t, minute_waits=1),
    )  # fmt: skip
    assert taken_over[0].pushed == [d.reference]
    (inv,) = in_xero(sandbox, tenant, d.reference)
    row = draft_row(engine, d.id)
    assert (row.state, row.xero_invoice_id, row.uncertain) == ("pushed", inv.id, False)
    assert puts(sandbox) == 1  # B's: A's PUT never left
    sandbox.idempotency.clear()  # Xero's idempotency window has passed
    push_month(engine, settings, ADMIN, OCT, **NO_WAIT)
    assert len(in_xero(sandbox, tenant, d.reference)) == 1
    assert not late.pushed and not late.waiting and d.reference in late.lost
    assert "another pusher" in late.lost[d.reference]
    assert taken_over[0].took_over == [d.reference]


def test_a_pusher_waiting_on_retry_after_keeps_its_claim(engine, settings, sandbox, tenant) -> None:
    """A 429 with a Retry-After of 10 minutes (twice the takeover limit): while A waits, other
    pushes try to take the draft over with the default limit and must not, as A renews its claim
    during the wait. The governor's clock and sleep are A's; each sleep ages A's claim by as much."""
    (d,) = approved_month(engine, sandbox, tenant, ["100.00"])
    now, others = [0.0], []

    def sleep(seconds: float) -> None:
        now[0] += seconds
        with session_scope(engine) as s:
            row = s.get(EomDraft, d.id)
            row.updated_at = row.updated_at - timedelta(seconds=seconds)
        others.append(push_month(engine, settings, ADMIN, OCT, **NO_WAIT))

    governor = Governor(clock=lambda: now[0], sleep=sleep)
    arm(settings, kind="rate_limit", problem="minute", retry_after=600, count=1,
        path="/Invoices", method="PUT")  # fmt: skip
    result = push_month(
        engine, settings, ADMIN, OCT, **NO_WAIT,
        gateway_factory=lambda t: XeroGateway(engine, settings, t, governor=governor),
    )  # fmt: skip
    assert now[0] >= 600 and others
    assert [r.pushed + r.adopted for r in others] == [[]] * len(others)
    assert result.pushed == [d.reference] and len(in_xero(sandbox, tenant, d.reference)) == 1


# --- 2. edits and pushes exclude each other --------------------------------------------------------


def test_a_push_between_an_edits_read_and_write_wins(
    engine, settings, sandbox, tenant, monkeypatch
) -> None:
    """The push lands after the edit read the draft and before it writes: the edit is refused,
    and the draft stays pushed with Xero's total."""
    (d,) = approved_month(engine, sandbox, tenant, ["100.00"])
    pusher, pushed = impatient(engine), []
    real = review.existing_lines

    def push_meanwhile(s, draft_id):
        if not pushed:
            try:
                pushed.append(push_month(pusher, settings, ADMIN, OCT, **NO_WAIT))
            except OperationalError as exc:  # the edit holds a lock it should not
                pushed.append(exc)
        return real(s, draft_id)

    monkeypatch.setattr(review, "existing_lines", push_meanwhile)
    try:
        with pytest.raises(review.ReviewError, match="pushed"):
            review.update_lines(engine, ADMIN, d.id, [line_row(d, "999.00")])
    finally:
        pusher.dispose()
    (inv,) = in_xero(sandbox, tenant, d.reference)
    row = draft_row(engine, d.id)
    assert (row.state, row.total, inv.total) == ("pushed", D("115.00"), D("115.00"))
    assert review.approve(engine, ADMIN, [d.id]) == [f"{d.reference} is pushed"]


def test_an_edit_holding_the_draft_makes_the_push_wait(
    engine, settings, sandbox, tenant, monkeypatch
) -> None:
    """The push arrives after the edit took hold of the draft: the claim waits for the edit's
    commit (here it gives up after 0.3 s), and the edited draft is pushed with its new total."""
    (d,) = approved_month(engine, sandbox, tenant, ["100.00"])
    pusher, attempts = impatient(engine), []
    real = review.reprice

    def push_meanwhile(s, draft, rounding):  # the edit holds the draft and is pricing it
        try:
            attempts.append(push_month(pusher, settings, ADMIN, OCT, **NO_WAIT))
        except OperationalError as exc:
            attempts.append(exc)
        return real(s, draft, rounding)

    monkeypatch.setattr(review, "reprice", push_meanwhile)
    try:
        review.update_lines(engine, ADMIN, d.id, [line_row(d, "200.00")])
    finally:
        pusher.dispose()
    monkeypatch.undo()
    assert isinstance(attempts[0], OperationalError) or not attempts[0].pushed
    assert in_xero(sandbox, tenant, d.reference) == []
    assert review.approve(engine, ADMIN, [d.id]) == []
    assert push_month(engine, settings, ADMIN, OCT, **NO_WAIT).pushed == [d.reference]
    (inv,) = in_xero(sandbox, tenant, d.reference)
    assert inv.total == draft_row(engine, d.id).total == D("230.00")


def test_a_push_during_regeneration_is_never_overwritten(
    engine, settings, sandbox, tenant, monkeypatch
) -> None:
    """Generating again reads an approved draft whose fee changed; a push lands before it
    writes. The pushed draft is left alone (skipped), its total still Xero's."""
    (d,) = approved_month(engine, sandbox, tenant, ["100.00"])
    with session_scope(engine) as s:
        for item in s.exec(select(BillingItem)):
            item.unit_amount = D("500.00")
    pusher, pushed = impatient(engine), []
    real = eom_engine.linked_contacts  # read after the draft, before the draft is written

    def push_meanwhile(s, client_id):
        if not pushed:
            try:
                pushed.append(push_month(pusher, settings, ADMIN, OCT, **NO_WAIT))
            except OperationalError as exc:
                pushed.append(exc)
        return real(s, client_id)

    monkeypatch.setattr(eom_engine, "linked_contacts", push_meanwhile)
    try:
        result = generate(engine, ADMIN, OCT)
    finally:
        pusher.dispose()
    (inv,) = in_xero(sandbox, tenant, d.reference)
    row = draft_row(engine, d.id)
    assert (row.state, row.total, inv.total) == ("pushed", D("115.00"), D("115.00"))
    assert result.count("skipped") == 1


# --- 3. two databases on one Xero organisation -------------------------------------------------


def test_two_installations_never_share_an_idempotency_key(
    engine, settings, sandbox, tenant, tmp_path
) -> None:
    """A second XeroFlow database (another installation, or a restored copy confirmed as a new
    one) on the same organisation: its first client, month and revision are the same numbers as
    ours, but its invoice is a different one. Xero must create both."""
    (ours,) = approved_month(engine, sandbox, tenant, ["100.00"])
    assert push_month(engine, settings, ADMIN, OCT, **NO_WAIT).pushed == [ours.reference]
    other = make_engine(f"sqlite:///{tmp_path / 'other-installation.db'}")
    migrate(other)
    try:
        connect_sandbox(other, settings, tenant_names=["Demo Agency Ltd"])
        billed_clients(other, sandbox, tenant, ["250.00"])
        with session_scope(other) as s:  # another firm's name for its first client
            from xeroflow_core.models import Client

            s.get(Client, 1).name = "Other Firm Client"
        generate(other, ADMIN, OCT)
        (theirs,) = review.list_drafts(other, ADMIN, OCT)
        assert theirs.client_id == ours.client_id and theirs.reference != ours.reference
        assert review.approve(other, ADMIN, [theirs.id]) == []
        before = puts(sandbox)
        result = push_month(other, settings, ADMIN, OCT, **NO_WAIT)
        assert not result.failed, result.failed
        assert result.pushed == [theirs.reference] and puts(sandbox) == before + 1
        (inv,) = in_xero(sandbox, tenant, theirs.reference)
        assert inv.total == D("287.50")
        assert len(in_xero(sandbox, tenant, ours.reference)) == 1
        with session_scope(engine) as s, session_scope(other) as t:
            assert (
                s.get(EomDraft, ours.id).idempotency_key
                != t.get(EomDraft, theirs.id).idempotency_key
            )
    finally:
        other.dispose()


def test_a_draft_sent_before_is_looked_up_before_any_put(engine, settings, sandbox, tenant) -> None:
    """A push met 429s (Xero took nothing); long after, the next push of that draft asks Xero
    for its reference before it PUTs, as it would after a takeover."""
    (d,) = approved_month(engine, sandbox, tenant, ["100.00"])
    arm(settings, kind="rate_limit", problem="minute", retry_after=0, count=6, path="/Invoices",
        method="PUT")  # fmt: skip
    assert list(push_month(engine, settings, ADMIN, OCT, **NO_WAIT).waiting) == [d.reference]
    row = draft_row(engine, d.id)
    assert (row.state, row.uncertain) == ("approved", False)
    sandbox.idempotency.clear()  # Xero's idempotency window has passed
    sandbox.access_log.clear()
    assert push_month(engine, settings, ADMIN, OCT, **NO_WAIT).pushed == [d.reference]
    calls = [e["method"] for e in sandbox.access_log if e["path"].endswith("/Invoices")]
    assert calls == ["GET", "PUT"]

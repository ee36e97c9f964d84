"""Exactly-once push to the sandbox over real HTTP, under injected faults: a timeout after Xero
created the invoice, 500s, 429s, dropped connections, a slow answer, a crash between the call
and the commit, a 403, and validation errors. Every invoice must exist in Xero exactly once
(counted by Reference at the sandbox)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

import httpx
import pytest
from sqlmodel import select

from tests.eom.builders import ADMIN, OCT
from tests.eom.sandbox_ledger import billed_clients, in_xero, puts
from tests.support.connect import connect_sandbox
from xero_sandbox.testing import control
from xeroflow_core.db import session_scope
from xeroflow_core.eom import review
from xeroflow_core.eom.engine import generate
from xeroflow_core.eom.push import XeroGateway, handle_push_request, push_month
from xeroflow_core.models.eom import EomDraft, EomDraftLine

NO_WAIT = {"backoff": lambda n: 0.0}


@pytest.fixture
def tenant(engine, settings, sandbox) -> str:
    return connect_sandbox(engine, settings, tenant_names=["Demo Agency Ltd"])[0]


def approved_month(engine, sandbox, tenant, amounts) -> list[review.DraftView]:
    billed_clients(engine, sandbox, tenant, amounts)
    result = generate(engine, ADMIN, OCT)
    assert not result.with_problems, result.with_problems
    drafts = review.list_drafts(engine, ADMIN, OCT)
    assert review.approve(engine, ADMIN, [d.id for d in drafts]) == []
    return drafts


def gateway_with(engine, settings, transport: httpx.BaseTransport, **opts):
    return lambda t: XeroGateway(
        engine, settings, t, http=httpx.Client(transport=transport), **opts
    )


class LoseResponses(httpx.HTTPTransport):
    """The PUT reaches Xero and is processed, then the answer is lost (a read timeout)."""

    def __init__(self, times: int = 1) -> None:
        super().__init__(retries=0)
        self.times = times

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if request.method == "PUT" and self.times > 0:
            self.times -= 1
            response.read()
            raise httpx.ReadTimeout("the answer was lost", request=request)
        return response


def arm(settings, **fault) -> None:
    control(settings.xero_api_url, "/_sandbox/faults", fault)


def test_push_creates_each_draft_once_with_xeros_totals(engine, settings, sandbox, tenant) -> None:
    drafts = approved_month(engine, sandbox, tenant, ["2500.00", "25.06", "1234.5678"])
    result = push_month(engine, settings, ADMIN, OCT, **NO_WAIT)
    assert len(result.pushed) == 3 and not result.failed and not result.stopped
    for d in review.list_drafts(engine, ADMIN, OCT, settings):
        (inv,) = in_xero(sandbox, tenant, d.reference)
        assert d.state == "pushed" and d.xero_invoice_id == inv.id
        assert d.xero_invoice_number == inv.number and d.xero_status == "DRAFT"
        assert (inv.sub_total, inv.total_tax, inv.total) == (d.sub_total, d.total_tax, d.total)
        assert inv.status == "DRAFT" and inv.due_date.isoformat() == "2026-11-14"
        assert d.xero_url.endswith(inv.id)
    assert {d.total for d in drafts} == {D("2875.00"), D("28.82"), D("1419.76")}
    before = puts(sandbox)
    again = push_month(engine, settings, ADMIN, OCT, **NO_WAIT)
    assert again.pushed == [] and puts(sandbox) == before  # nothing approved is left


def test_lost_answer_after_xero_created_it_is_adopted(engine, settings, sandbox, tenant) -> None:
    (d,) = approved_month(engine, sandbox, tenant, ["100.00"])
    result = push_month(engine, settings, ADMIN, OCT, gateway_factory=gateway_with(
        engine, settings, LoseResponses()), **NO_WAIT)  # fmt: skip
    assert result.adopted == [d.reference]
    assert len(in_xero(sandbox, tenant, d.reference)) == 1
    (after,) = review.list_drafts(engine, ADMIN, OCT)
    assert after.state == "pushed" and after.xero_invoice_id


def test_500s_are_retried_after_a_lookup(engine, settings, sandbox, tenant) -> None:
    (d,) = approved_month(engine, sandbox, tenant, ["100.00"])
    arm(settings, kind="status", status=500, count=2, path="/Invoices", method="PUT")
    result = push_month(engine, settings, ADMIN, OCT, **NO_WAIT)
    assert result.pushed == [d.reference]
    assert len(in_xero(sandbox, tenant, d.reference)) == 1
    assert puts(sandbox) == 3


def test_more_500s_than_attempts_wait_for_the_next_run(engine, settings, sandbox, tenant) -> None:
    (d,) = approved_month(engine, sandbox, tenant, ["100.00"])
    arm(settings, kind="status", status=503, count=3, path="/Invoices", method="PUT")
    result = push_month(engine, settings, ADMIN, OCT, **NO_WAIT)
    assert list(result.waiting) == [d.reference] and in_xero(sandbox, tenant, d.reference) == []
    (mid,) = review.list_drafts(engine, ADMIN, OCT)
    assert mid.state == "approved" and "looked up by reference" in mid.error
    result = push_month(engine, settings, ADMIN, OCT, **NO_WAIT)
    assert result.pushed == [d.reference] and len(in_xero(sandbox, tenant, d.reference)) == 1


def test_minute_429_is_waited_out(engine, settings, sandbox, tenant) -> None:
    (d,) = approved_month(engine, sandbox, tenant, ["100.00"])
    arm(settings, kind="rate_limit", problem="minute", retry_after=1, count=1, path="/Invoices",
        method="PUT")  # fmt: skip
    result = push_month(engine, settings, ADMIN, OCT, **NO_WAIT)
    assert result.pushed == [d.reference] and len(in_xero(sandbox, tenant, d.reference)) == 1


def test_dropped_connection_and_slow_answer(engine, settings, sandbox, tenant) -> None:
    """Three ways a PUT goes unanswered, over real HTTP: the connection drops before the sandbox
    reads the request (nothing is created); the sandbox creates the invoice and closes the
    connection before a byte of the answer (`lose_answer`: the look-up finds and adopts it);
    the answer is slower than our timeout (the sandbox reads the request only after the delay,
    so a client that gave up created nothing and the next PUT creates it)."""
    a, b, c = approved_month(engine, sandbox, tenant, ["100.00", "200.00", "300.00"])
    # the PUTs in order: a (dropped), a again, b (answer lost), c (too slow), c again
    arm(settings, kind="drop", count=1, path="/Invoices", method="PUT")
    arm(settings, kind="lose_answer", after=1, count=1, path="/Invoices", method="PUT")
    arm(settings, kind="slow", seconds=5.0, after=2, count=1, path="/Invoices", method="PUT")
    result = push_month(
        engine, settings, ADMIN, OCT,
        gateway_factory=lambda t: XeroGateway(engine, settings, t, timeout=2.0), **NO_WAIT,
    )  # fmt: skip
    assert not result.failed and not result.waiting
    assert b.reference in result.adopted  # Xero had it although we never heard back
    assert sorted(result.pushed + result.adopted) == sorted(d.reference for d in (a, b, c))
    assert [f["kind"] for f in sandbox.faults.fired] == ["drop", "lose_answer", "slow"]
    for d in (a, b, c):
        assert len(in_xero(sandbox, tenant, d.reference)) == 1


class Crash(Exception):
    """The process dies between Xero's answer and our commit."""


class CrashAfterPut(XeroGateway):
    def put_invoice(self, invoice, idempotency_key):
        super().put_invoice(invoice, idempotency_key)
        raise Crash


def test_crash_between_call_and_commit_is_recovered_by_lookup(
    engine, settings, sandbox, tenant
) -> None:
    (d,) = approved_month(engine, sandbox, tenant, ["100.00"])
    with pytest.raises(Crash):
        push_month(engine, settings, ADMIN, OCT,
                   gateway_factory=lambda t: CrashAfterPut(engine, settings, t))  # fmt: skip
    (mid,) = review.list_drafts(engine, ADMIN, OCT)
    assert mid.state == "pushing" and len(in_xero(sandbox, tenant, d.reference)) == 1
    # a fresh 'pushing' row belongs to a push that may still be running: left alone
    assert push_month(engine, settings, ADMIN, OCT).adopted == []
    result = push_month(engine, settings, ADMIN, OCT, stale_after=timedelta(0), **NO_WAIT)
    assert result.adopted == [d.reference] and result.took_over == [d.reference]
    assert len(in_xero(sandbox, tenant, d.reference)) == 1


def test_403_stops_the_push_without_a_retry_storm(engine, settings, sandbox, tenant) -> None:
    drafts = approved_month(engine, sandbox, tenant, ["100.00", "200.00", "300.00"])
    control(settings.xero_api_url, "/_sandbox/user", {"read_only": True})
    before = puts(sandbox)
    result = push_month(engine, settings, ADMIN, OCT, **NO_WAIT)
    assert "403" in result.stopped and "AuthorizationUnsuccessful" in result.stopped
    assert puts(sandbox) - before == 1
    states = {d.state for d in review.list_drafts(engine, ADMIN, OCT)}
    assert states == {"approved"}
    assert all(in_xero(sandbox, tenant, d.reference) == [] for d in drafts)
    again = push_month(engine, settings, ADMIN, OCT, **NO_WAIT)
    assert again.stopped and puts(sandbox) - before == 1  # no call at all until reconnected


def test_validation_errors_stay_on_their_invoice(engine, settings, sandbox, tenant) -> None:
    drafts = approved_month(engine, sandbox, tenant, ["100.00", "200.00"])
    bad = drafts[0]
    with session_scope(engine) as s:  # Xero refuses what our copy of the ledger did not know
        line = s.exec(select(EomDraftLine).where(EomDraftLine.draft_id == bad.id)).one()
        line.account_code = "999"
    result = push_month(engine, settings, ADMIN, OCT, **NO_WAIT)
    assert result.pushed == [drafts[1].reference]
    assert "Account code '999' is not a valid code" in result.failed[bad.reference]
    with session_scope(engine) as s:
        row = s.get(EomDraft, bad.id)
        assert row.state == "failed" and "999" in row.error
    assert in_xero(sandbox, tenant, bad.reference) == []


def test_worker_entry_point_pushes_the_requested_drafts(engine, settings, sandbox, tenant) -> None:
    drafts = approved_month(engine, sandbox, tenant, ["100.00", "200.00"])
    out = handle_push_request(
        engine,
        settings,
        {"tenant_id": tenant, "params": {"month": "2026-10", "draft_ids": [drafts[1].id]}},
    )
    assert out["pushed"] == [drafts[1].reference] and "1 in Xero" in out["summary"]
    assert in_xero(sandbox, tenant, drafts[0].reference) == []


def test_two_pushers_at_once_create_each_invoice_once(engine, settings, sandbox, tenant) -> None:
    import threading

    drafts = approved_month(engine, sandbox, tenant, ["100.00", "200.00", "300.00", "400.00"])
    # one call first: the API budget row's first insert is not race-safe yet (sync/budget.py)
    XeroGateway(engine, settings, tenant).find_by_reference("warm-up")
    sandbox.access_log.clear()
    results, errors = [], []

    def run() -> None:
        try:
            results.append(push_month(engine, settings, ADMIN, OCT, **NO_WAIT))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert sorted(ref for r in results for ref in r.pushed) == sorted(d.reference for d in drafts)
    for d in drafts:
        assert len(in_xero(sandbox, tenant, d.reference)) == 1
    assert puts(sandbox) == 4


KILL_AFTER_PUT = """
import os, sys
from xeroflow_core.db import make_engine
from xeroflow_core.eom import push
from xeroflow_core.settings import get_settings
from xeroflow_core.actor import SYSTEM

class Dies(push.XeroGateway):
    def put_invoice(self, invoice, key):
        super().put_invoice(invoice, key)
        os._exit(9)  # killed after Xero answered, before our commit

engine = make_engine(get_settings().database_url)
push.push_month(engine, get_settings(), SYSTEM, "2026-10",
                gateway_factory=lambda t: Dies(engine, get_settings(), t))
"""


def test_process_killed_after_the_call_is_recovered(engine, settings, sandbox, tenant) -> None:
    import os
    import subprocess
    import sys

    (d,) = approved_month(engine, sandbox, tenant, ["100.00"])
    env = {**os.environ, "DATABASE_URL": engine.url.render_as_string(hide_password=False),
           "XEROFLOW_SANDBOX_URL": settings.xero_api_url}  # fmt: skip
    proc = subprocess.run(
        [sys.executable, "-c", KILL_AFTER_PUT], env=env, capture_output=True, timeout=120
    )
    assert proc.returncode == 9, proc.stderr.decode()[-2000:]
    with session_scope(engine) as s:
        assert s.get(EomDraft, d.id).state == "pushing"
    assert len(in_xero(sandbox, tenant, d.reference)) == 1
    result = push_month(engine, settings, ADMIN, OCT, stale_after=timedelta(0), **NO_WAIT)
    assert result.adopted == [d.reference] and len(in_xero(sandbox, tenant, d.reference)) == 1

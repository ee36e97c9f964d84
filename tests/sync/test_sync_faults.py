"""Reliability against the sandbox over HTTP: rate limits, 5xx storms, timeouts, dropped
connections, a malformed page, a revoked connection and an expired token in the middle of a
run. After every fault the database ends equal to Xero (now or on the next run)."""

from __future__ import annotations

import dataclasses

from sqlalchemy import func, select

from tests.support.sync import (
    FAST_RETRIES,
    connect,
    db_invoices,
    sandbox_invoices,
)
from xeroflow_core.db import session_scope
from xeroflow_core.models import Invoice, XeroConnection
from xeroflow_core.models.sync import ApiBudget, SyncResourceState, SyncRun
from xeroflow_core.sync.budget import client_hooks
from xeroflow_core.sync.engine import sync_tenant
from xeroflow_core.xero.client import ClientOptions, Governor

from .conftest import api_calls


class FakeTime:
    """A clock that only moves when the governor sleeps."""

    def __init__(self) -> None:
        self.t, self.sleeps = 1000.0, []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.t += seconds


def _res(result, name):
    return next(r for r in result.resources if r.name == name)


def _agency(engine, url):
    synced = connect(engine, url)
    return synced, synced.tenants["Demo Agency Ltd"]


def test_minute_429_waits_retry_after_and_completes(sqlite_engine, sandbox, sandbox_url):
    synced, agency = _agency(sqlite_engine, sandbox_url)
    sandbox.faults.arm(
        {
            "kind": "rate_limit",
            "problem": "minute",
            "retry_after": 1,
            "path": "Invoices",
            "count": 2,
        }
    )
    fake = FakeTime()
    gov = Governor(clock=fake.now, sleep=fake.sleep)
    opts = dataclasses.replace(FAST_RETRIES, governor=gov)
    res = sync_tenant(sqlite_engine, synced.settings, agency, full=True, options=opts)
    assert res.status == "ok"
    assert fake.sleeps == [1.0, 1.0]  # waited Retry-After each time rather than failing the run
    assert db_invoices(sqlite_engine, agency) == sandbox_invoices(sandbox, agency)


def test_day_429_stops_cleanly_and_next_run_spends_nothing(sqlite_engine, sandbox, sandbox_url):
    synced, agency = _agency(sqlite_engine, sandbox_url)
    sandbox.faults.arm(
        {"kind": "rate_limit", "problem": "day", "path": "Invoices", "tenant": agency}
    )
    res = sync_tenant(sqlite_engine, synced.settings, agency, full=True, options=FAST_RETRIES)
    assert res.status == "stopped"
    assert _res(res, "Invoices").error["problem"] == "rate_limit_day"
    assert "daily limit" in res.error
    assert all(
        r.status == "skipped"
        for r in res.resources[res.resources.index(_res(res, "Invoices")) + 1 :]
    )
    assert _res(res, "Contacts").status == "ok"  # what came before is kept
    with session_scope(sqlite_engine) as s:
        budget = s.get(ApiBudget, agency)
        assert budget.problem == "day" and budget.retry_at is not None
        state = s.get(SyncResourceState, (agency, "Invoices"))
        assert state.problem == "rate_limit_day" and "daily" in state.what_to_do
    before = api_calls(sandbox, agency)
    again = sync_tenant(sqlite_engine, synced.settings, agency, options=FAST_RETRIES)
    assert again.status == "stopped" and api_calls(sandbox, agency) == before


def test_5xx_storm_retried_within_bounds(sqlite_engine, sandbox, sandbox_url):
    synced, agency = _agency(sqlite_engine, sandbox_url)
    sandbox.faults.arm({"kind": "status", "status": 503, "path": "Invoices", "count": 2})
    sandbox.faults.arm({"kind": "status", "status": 500, "path": "Contacts", "count": 2})
    res = sync_tenant(sqlite_engine, synced.settings, agency, full=True, options=FAST_RETRIES)
    assert res.status == "ok"
    assert db_invoices(sqlite_engine, agency) == sandbox_invoices(sandbox, agency)


def test_5xx_storm_beyond_retries_fails_resource_then_converges(engine, sandbox, sandbox_url):
    synced, agency = _agency(engine, sandbox_url)
    sandbox.faults.arm({"kind": "status", "status": 503, "path": "Invoices", "count": 50})
    before = api_calls(sandbox, agency)
    res = sync_tenant(engine, synced.settings, agency, full=True, options=FAST_RETRIES)
    inv = _res(res, "Invoices")
    assert res.status == "partial" and inv.status == "error"
    assert inv.error["problem"] == "unavailable" and inv.calls == FAST_RETRIES.retries + 1
    assert _res(res, "CreditNotes").status == "ok"  # the rest still synced
    assert api_calls(sandbox, agency) - before == res.calls  # bounded: no hidden retries
    sandbox.faults.clear()
    again = sync_tenant(engine, synced.settings, agency, options=FAST_RETRIES)
    assert again.status == "ok"
    assert db_invoices(engine, agency) == sandbox_invoices(sandbox, agency)


def test_timeouts_and_dropped_connections_are_retried(sqlite_engine, sandbox, sandbox_url):
    synced, agency = _agency(sqlite_engine, sandbox_url)
    sandbox.faults.arm({"kind": "slow", "seconds": 1.5, "path": "Invoices", "count": 1})
    sandbox.faults.arm({"kind": "drop", "path": "Contacts", "count": 2})
    opts = dataclasses.replace(FAST_RETRIES, timeout=0.5)
    before = api_calls(sandbox, agency)
    res = sync_tenant(sqlite_engine, synced.settings, agency, full=True, options=opts)
    assert res.status == "ok"
    assert _res(res, "Contacts").calls == 3  # two dropped, one answered: exactly our retries
    assert api_calls(sandbox, agency) - before == res.calls
    assert db_invoices(sqlite_engine, agency) == sandbox_invoices(sandbox, agency)


def test_malformed_page_keeps_earlier_pages_and_next_run_converges(engine, sandbox, sandbox_url):
    synced, agency = _agency(engine, sandbox_url)
    sandbox.faults.arm({"kind": "malformed", "path": "Invoices", "after": 1, "tenant": agency})
    res = sync_tenant(engine, synced.settings, agency, full=True, options=FAST_RETRIES)
    inv = _res(res, "Invoices")
    assert res.status == "partial" and inv.status == "error"
    assert inv.error["problem"] == "malformed" and "not valid JSON" in inv.error["error"]
    with session_scope(engine) as s:
        stored = s.exec(
            select(func.count()).select_from(Invoice).where(Invoice.tenant_id == agency)
        ).one()[0]
        state = s.get(SyncResourceState, (agency, "Invoices"))
        run = s.get(SyncRun, res.run_id)
    assert stored == 1000  # page 1 intact
    assert state.status == "error" and "not valid JSON" in state.error and state.cursor is not None
    assert run.status == "partial" and "Invoices" in run.error
    again = sync_tenant(engine, synced.settings, agency, options=FAST_RETRIES)
    assert again.status == "ok"
    assert db_invoices(engine, agency) == sandbox_invoices(sandbox, agency)


def test_revoked_connection_mid_run(sqlite_engine, sandbox, sandbox_url):
    synced, agency = _agency(sqlite_engine, sandbox_url)

    def revoke_when_contacts(p):
        if p["resource"] == "Contacts":
            with sandbox.lock:
                for cid in [
                    c for c, v in sandbox.identity.connections.items() if v.tenant_id == agency
                ]:
                    del sandbox.identity.connections[cid]

    res = sync_tenant(
        sqlite_engine,
        synced.settings,
        agency,
        full=True,
        options=FAST_RETRIES,
        progress=revoke_when_contacts,
    )
    assert res.status == "failed"
    inv = _res(res, "Invoices")
    assert inv.status == "error" and inv.error["status"] == 403
    assert "Reconnect" in inv.error["what_to_do"]
    assert _res(res, "Contacts").status == "ok"
    with session_scope(sqlite_engine) as s:
        assert s.get(XeroConnection, agency).status == "needs_reconnect"


def test_expired_token_mid_run_is_refreshed_once(sqlite_engine, sandbox, sandbox_url):
    synced, agency = _agency(sqlite_engine, sandbox_url)

    def expire(p):
        if p["resource"] == "Accounts":
            with sandbox.lock:
                for rec in sandbox.identity.access.values():
                    rec.expired_by_control = True

    res = sync_tenant(
        sqlite_engine, synced.settings, agency, full=True, options=FAST_RETRIES, progress=expire
    )
    assert res.status == "ok"
    assert db_invoices(sqlite_engine, agency) == sandbox_invoices(sandbox, agency)


def test_reserve_is_kept_for_interactive_work(sqlite_engine, sandbox, sandbox_url):
    synced, agency = _agency(sqlite_engine, sandbox_url)
    settings = dataclasses.replace(synced.settings, api_reserve_calls=200)
    sandbox.limits.use(agency, 5000 - 205)
    res = sync_tenant(sqlite_engine, settings, agency, full=True, options=FAST_RETRIES)
    assert res.status == "stopped" and "reserved" in res.error
    assert sum(r.calls for r in res.resources) <= 6
    from xeroflow_core.xero.client import XeroClient

    gov = Governor()
    with XeroClient(
        sqlite_engine,
        settings,
        agency,
        purpose="interactive",
        options=ClientOptions(governor=gov),
        hooks=client_hooks(sqlite_engine),
    ) as client:
        gov.day_remaining = 150
        assert client.get("Organisation").status_code == 200


def test_403_on_a_write_marks_lost_write_access_and_reads_go_on(
    sqlite_engine, sandbox, sandbox_url
):
    import pytest

    from xeroflow_core.xero.client import XeroClient
    from xeroflow_core.xero.errors import XeroForbidden

    synced, agency = _agency(sqlite_engine, sandbox_url)
    sandbox.demo_user.read_only = True
    try:
        with XeroClient(
            sqlite_engine,
            synced.settings,
            agency,
            purpose="interactive",
            hooks=client_hooks(sqlite_engine),
        ) as client:
            with pytest.raises(XeroForbidden) as err:
                client.put("Invoices", json={"Invoices": [{"Type": "ACCREC"}]})
            assert "lost the role or scope" in err.value.what_to_do
            assert client.get("Organisation").status_code == 200  # reading goes on
    finally:
        sandbox.demo_user.read_only = False
    with session_scope(sqlite_engine) as s:
        assert s.get(XeroConnection, agency).status == "read_only"

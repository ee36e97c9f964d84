"""Workers as real processes against the sandbox over HTTP: a worker killed with SIGKILL in the
middle of a sync is replaced and the database then equals the sandbox's snapshot exactly; two
workers started at once never sync one organisation at the same time and run each request
once. SQLite and PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from tests.support.sync import connect, db_contacts, db_invoices, sandbox_contacts
from xero_sandbox.server import serve_in_thread
from xero_sandbox.testing import control, sandbox_config
from xeroflow_core import work as wr
from xeroflow_core.actor import SYSTEM
from xeroflow_core.db import session_scope
from xeroflow_core.models.sync import SyncResourceState, SyncRun, WorkRequest
from xeroflow_core.sync.jobs import request_sync

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def big_sandbox() -> Iterator[tuple[str, object]]:
    with serve_in_thread(sandbox_config(seed=5, invoices=6000, rate_limits=False)) as url:
        yield url, serve_in_thread.last_app.state.sandbox  # type: ignore[attr-defined]


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _worker(
    engine: Engine, sandbox_url: str, tmp_path: Path, name: str, ttl: str = "3"
) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": _url(engine),
        "XEROFLOW_SANDBOX_URL": sandbox_url,
        "XEROFLOW_LEASE_SECONDS": ttl,
        "XEROFLOW_LOG_LEVEL": "INFO",
    }
    log = (tmp_path / f"{name}.log").open("w")
    return subprocess.Popen(
        [sys.executable, "-m", "xeroflow_core", "worker", "--poll-seconds", "0.3"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip


def _wait(cond, timeout: float = 90, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _snapshot(sandbox_url: str, tenant: str) -> dict[str, dict]:
    rows = control(sandbox_url, f"/_sandbox/state/{tenant}/invoices", method="GET").json()
    keys = ("id", "number", "type", "status", "contactId", "date", "currency", "subTotal",
            "totalTax", "total", "amountDue", "lines", "updatedMs")  # fmt: skip
    return {r["id"]: {k: r[k] for k in keys} for r in rows}


def _stop(*procs: subprocess.Popen) -> None:
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            p.kill()


@pytest.mark.slow
def test_worker_killed_mid_sync_then_restarted_converges(engine, big_sandbox, tmp_path):
    url, sb = big_sandbox
    sb.faults.clear()
    synced = connect(engine, url)
    agency = synced.tenants["Demo Agency Ltd"]
    rid = request_sync(engine, SYSTEM, agency, full=True)
    # Each invoice page takes 0.7 s, so the kill lands between pages.
    sb.faults.arm({"kind": "slow", "seconds": 0.7, "path": "Invoices", "count": 20})

    def invoices_started() -> bool:
        with session_scope(engine) as s:
            st = s.get(SyncResourceState, (agency, "Invoices"))
            return st is not None and st.cursor is not None

    first = _worker(engine, url, tmp_path, "first")
    try:
        _wait(invoices_started, what="the first invoice page to commit")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        _stop(first)
    partial = len(db_invoices(engine, agency))
    assert 0 < partial < len(sb.orgs[agency].invoices)
    second = _worker(engine, url, tmp_path, "second")
    try:
        _wait(lambda: wr.get_request(engine, rid).status == "done", what="the request to finish")
    finally:
        _stop(second)
    mine = {k: {kk: vv for kk, vv in v.items()} for k, v in db_invoices(engine, agency).items()}
    assert mine == _snapshot(url, agency)  # no gap, no duplicate
    assert db_contacts(engine, agency) == sandbox_contacts(sb, agency)
    with session_scope(engine) as s:
        runs = list(s.exec(select(SyncRun).where(SyncRun.tenant_id == agency)))
    assert sorted(r.status for r in runs) == ["interrupted", "ok"]


@pytest.mark.slow
def test_two_workers_at_once_never_share_an_organisation(engine, big_sandbox, tmp_path):
    url, sb = big_sandbox
    sb.faults.clear()
    synced = connect(engine, url)
    agency, studio = synced.tenants["Demo Agency Ltd"], synced.tenants["Demo Studio Pty"]
    ids = [
        wr.submit(engine, SYSTEM, "sync", agency, {"full": True, "trigger": "manual"}),
        wr.submit(engine, SYSTEM, "sync", agency, {"full": False, "trigger": "manual"}),
        wr.submit(engine, SYSTEM, "sync", studio, {"full": True, "trigger": "manual"}),
    ]
    sb.faults.arm({"kind": "slow", "seconds": 0.3, "path": "Invoices", "count": 12})
    a, b = _worker(engine, url, tmp_path, "a", "15"), _worker(engine, url, tmp_path, "b", "15")
    try:
        _wait(
            lambda: all(wr.get_request(engine, i).status == "done" for i in ids),
            what="all requests to finish",
        )
    finally:
        _stop(a, b)
    with session_scope(engine) as s:
        reqs = list(s.exec(select(WorkRequest).where(WorkRequest.id.in_(ids))))  # type: ignore[union-attr]
        runs = list(s.exec(select(SyncRun).order_by(SyncRun.started_at)))
    assert all(r.status == "done" for r in reqs)
    for tenant in (agency, studio):
        mine = [r for r in runs if r.tenant_id == tenant and r.status == "ok"]
        for earlier, later in zip(mine, mine[1:], strict=False):
            assert earlier.finished_at <= later.started_at  # one at a time per organisation
    assert len([r for r in runs if r.tenant_id == agency]) == 2
    assert db_invoices(engine, agency) == _snapshot(url, agency)


def test_a_missing_handler_module_fails_the_worker_at_startup(monkeypatch):
    """No silent fallback: if the reports module cannot be imported, the worker does not start
    instead of quietly dropping the hourly job (its handlers are imported with it)."""
    import importlib

    monkeypatch.setitem(sys.modules, "xeroflow_core.profitability.xero_report", None)
    monkeypatch.delitem(sys.modules, "xeroflow_core.worker", raising=False)
    with pytest.raises(ImportError):
        importlib.import_module("xeroflow_core.worker")


def test_every_kind_of_work_has_a_handler():
    from xeroflow_core import work
    from xeroflow_core.worker import HANDLERS

    assert set(HANDLERS) == set(work.KINDS)


def test_the_scheduler_has_every_job(sqlite_engine):
    from xeroflow_core.settings import load_settings
    from xeroflow_core.worker import build_scheduler

    scheduler = build_scheduler(sqlite_engine, load_settings())
    jobs = {j.id for j in scheduler.get_jobs()}
    assert jobs == {"requests", "sync_fast", "sync_slow", "keep_alive", "reports"}

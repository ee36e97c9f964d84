"""Work requests: only admins ask for a resync (checked on the server, audited), the initial
sync needs no permission, a waiting request is reused, each request is claimed by one worker,
and a kind without an installed handler fails with a clear error instead of hanging."""

from __future__ import annotations

import pytest
from sqlmodel import select

from xeroflow_core import work as wr
from xeroflow_core.actor import SYSTEM, Actor
from xeroflow_core.db import session_scope
from xeroflow_core.models import AuditLog
from xeroflow_core.settings import load_settings
from xeroflow_core.sync.jobs import request_sync
from xeroflow_core.users import PermissionDenied
from xeroflow_core.worker import process_pending

ADMIN, PARTNER, STAFF = Actor("ada", "admin"), Actor("pat", "partner"), Actor("sam", "staff")


def test_only_admins_request_a_resync_and_it_is_audited(engine):
    for who in (PARTNER, STAFF):
        with pytest.raises(PermissionDenied):
            request_sync(engine, who, "t1", full=False)
    rid = request_sync(engine, ADMIN, "t1", full=True)
    req = wr.get_request(engine, rid)
    assert (req.kind, req.tenant_id, req.status, req.requested_by) == (
        "sync",
        "t1",
        "pending",
        "ada",
    )
    assert req.params == {"full": True, "trigger": "manual"}
    # Only the system needs no resync permission (the Connect flow asks as the system, after
    # its own manage_connection check).
    assert request_sync(engine, SYSTEM, "t2", full=True, trigger="initial")
    assert request_sync(engine, SYSTEM, "t3", full=False)
    with session_scope(engine) as s:
        audited = s.exec(select(AuditLog).where(AuditLog.action == "sync.requested")).all()
    assert {a.username for a in audited} == {"ada", "system"}


def test_trigger_initial_does_not_bypass_the_permission_check(engine):
    for who in (PARTNER, STAFF):
        with pytest.raises(PermissionDenied):
            request_sync(engine, who, "t1", full=True, trigger="initial")
    assert wr.recent_requests(engine) == []


def test_the_connect_flow_requests_the_initial_sync_as_the_system(engine):
    from xeroflow_core.sync.jobs import request_initial_sync

    with pytest.raises(PermissionDenied):
        request_initial_sync(engine, STAFF, ["t1"])
    assert request_initial_sync(engine, ADMIN, ["t1"]) == ["t1"]
    (req,) = wr.recent_requests(engine)
    assert (req.tenant_id, req.params["trigger"], req.requested_by) == ("t1", "initial", "system")


def test_a_waiting_request_is_reused_not_duplicated(engine):
    full = request_sync(engine, ADMIN, "t1", full=True)
    assert request_sync(engine, ADMIN, "t1", full=False) == full  # covered by the full one
    assert request_sync(engine, ADMIN, "t1", full=True) == full
    assert request_sync(engine, ADMIN, "t9", full=False) != full


def test_a_request_is_claimed_once(engine):
    rid = wr.submit(engine, ADMIN, "sync", "t1", {"full": False})
    assert wr.claim(engine, rid, "w1") is True
    assert wr.claim(engine, rid, "w2") is False
    wr.unclaim(engine, rid, "w2")  # not w2's to give back
    assert wr.get_request(engine, rid).status == "running"
    wr.unclaim(engine, rid, "w1")
    assert wr.get_request(engine, rid).status == "pending"


def test_missing_handler_fails_the_request_clearly(engine, monkeypatch):
    from xeroflow_core import worker

    monkeypatch.delitem(worker.HANDLERS, "report")
    rid = wr.submit(engine, ADMIN, "report", "t1", {"month": "2026-10"})
    assert process_pending(engine, load_settings()) == 0
    req = wr.get_request(engine, rid)
    assert req.status == "failed" and "not installed" in req.error and "report" in req.error
    with pytest.raises(ValueError, match="unknown work kind"):
        wr.submit(engine, ADMIN, "teleport", None, {})

"""Refresh over real HTTP: single-flight across threads and processes, a lost response,
Xero's grace period, invalid_grant, and the keep-alive job."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update
from sqlmodel import select

from tests.connect.conftest import token_calls
from tests.support.connect import connect_sandbox
from xeroflow_core.db import session_scope
from xeroflow_core.models import XeroConnection, XeroToken
from xeroflow_core.models.core import utcnow
from xeroflow_core.xero.connections import keep_alive
from xeroflow_core.xero.tokens import (
    NeedsReconnect,
    decrypt_token,
    force_refresh,
    get_access_token,
)

ROOT = Path(__file__).resolve().parents[2]


def _expire(engine) -> None:
    """Make our stored access token look expired (Xero's copy stays valid)."""
    with session_scope(engine) as s:
        s.execute(update(XeroToken).values(access_expires_at=utcnow() - timedelta(seconds=5)))


def _token_row(engine) -> XeroToken:
    with session_scope(engine) as s:
        return s.exec(select(XeroToken)).one()


def _works(settings, tenant: str, access: str) -> bool:
    resp = httpx.get(
        f"{settings.accounting_url}/Organisation",
        headers={"Authorization": f"Bearer {access}", "xero-tenant-id": tenant,
                 "Accept": "application/json"},
    )  # fmt: skip
    return resp.status_code == 200


@pytest.fixture
def connected(engine, settings, sandbox):
    name = sorted(o.name for o in sandbox.orgs.values())[0]
    [tenant] = connect_sandbox(engine, settings, tenant_names=[name])
    return tenant


def test_fresh_token_is_used_without_a_refresh(engine, settings, sandbox, connected):
    before = token_calls(sandbox)
    first = get_access_token(engine, settings, connected)
    assert get_access_token(engine, settings, connected) == first
    assert token_calls(sandbox) == before


def test_many_threads_one_refresh(engine, settings, sandbox, connected):
    version = _token_row(engine).version
    _expire(engine)
    del sandbox.access_log[:]
    barrier = threading.Barrier(12)
    results: list[str] = []
    errors: list[BaseException] = []

    def ask() -> None:
        barrier.wait()
        try:
            results.append(get_access_token(engine, settings, connected))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert token_calls(sandbox) == 1
    assert len(set(results)) == 1 and len(results) == 12
    assert _works(settings, connected, results[0])
    row = _token_row(engine)
    assert row.version == version + 1 and row.refresh_lock_owner == ""
    assert decrypt_token(settings, row.encrypted_token)["access_token"] == results[0]


def test_two_processes_one_refresh(engine, settings, sandbox, sandbox_url, connected):
    _expire(engine)
    del sandbox.access_log[:]
    url = engine.url.render_as_string(hide_password=False)
    t0 = time.time() + 4.0  # both processes start their threads at this instant
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.connect.refresher",
                url,
                sandbox_url,
                connected,
                "4",
                str(t0),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=90) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1][-2000:] for o in outputs]
    tokens = {line for out, _ in outputs for line in out.split()}
    assert token_calls(sandbox) == 1
    assert len(tokens) == 1
    assert _works(settings, connected, tokens.pop())


class DropRefreshResponses(httpx.BaseTransport):
    """Delivers refresh requests to the server, then loses the answer (a dropped connection
    after Xero rotated the token)."""

    def __init__(self, drops: int = 1) -> None:
        self.inner = httpx.HTTPTransport()
        self.drops = drops

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        refresh = request.url.path == "/connect/token" and b"refresh_token" in request.content
        if refresh and self.drops > 0:
            self.drops -= 1
            response.read()
            response.close()
            raise httpx.ReadError("connection reset by peer", request=request)
        return response


def test_lost_refresh_response_is_recovered_in_the_grace_period(
    engine, settings, sandbox, connected
):
    version = _token_row(engine).version
    _expire(engine)
    del sandbox.access_log[:]
    with httpx.Client(transport=DropRefreshResponses(drops=1)) as http:
        access = get_access_token(engine, settings, connected, http=http)
    assert token_calls(sandbox) == 2  # the lost one and the retry with the same token
    assert _works(settings, connected, access)
    assert _token_row(engine).version == version + 1
    # the chain goes on from the recovered pair
    _expire(engine)
    assert _works(settings, connected, get_access_token(engine, settings, connected))


def test_refresh_lost_by_a_crashed_process_is_recovered(engine, settings, sandbox, connected):
    """Another process refreshed at Xero and died before saving: the stored refresh token is
    now superseded, and Xero still honours it for 30 minutes."""
    stored = decrypt_token(settings, _token_row(engine).encrypted_token)
    resp = httpx.post(
        settings.token_endpoint,
        data={"grant_type": "refresh_token", "refresh_token": stored["refresh_token"]},
        auth=(settings.xero_client_id, settings.xero_client_secret),
    )
    assert resp.status_code == 200
    _expire(engine)
    assert _works(settings, connected, get_access_token(engine, settings, connected))


def test_invalid_grant_marks_needs_reconnect_and_deletes_nothing(
    engine, settings, sandbox, connected
):
    stored = decrypt_token(settings, _token_row(engine).encrypted_token)
    httpx.post(
        settings.revocation_endpoint,
        data={"token": stored["refresh_token"]},
        auth=(settings.xero_client_id, settings.xero_client_secret),
    ).raise_for_status()
    _expire(engine)
    with pytest.raises(NeedsReconnect) as info:
        get_access_token(engine, settings, connected)
    assert "invalid_grant" in info.value.reason
    assert stored["refresh_token"] not in str(info.value)
    row = _token_row(engine)
    assert row.status == "needs_reconnect" and row.refresh_lock_owner == ""
    assert decrypt_token(settings, row.encrypted_token)["refresh_token"] == stored["refresh_token"]
    with session_scope(engine) as s:
        conn = s.get(XeroConnection, connected)
        assert conn.status == "needs_reconnect" and "invalid_grant" in conn.status_reason
    # later callers get the same answer without another call to Xero
    before = token_calls(sandbox)
    with pytest.raises(NeedsReconnect):
        get_access_token(engine, settings, connected)
    assert token_calls(sandbox) == before


def test_force_refresh_skips_when_someone_already_rotated(engine, settings, sandbox, connected):
    old = get_access_token(engine, settings, connected)
    new = force_refresh(engine, settings, connected)
    assert new != old and _works(settings, connected, new)
    before = token_calls(sandbox)
    assert force_refresh(engine, settings, connected, rejected_token=old) == new
    assert token_calls(sandbox) == before


def test_keep_alive_refreshes_only_idle_connections(engine, settings, sandbox, connected):
    assert keep_alive(engine, settings, older_than_days=30) == 0
    with session_scope(engine) as s:
        s.execute(update(XeroToken).values(refreshed_at=utcnow() - timedelta(days=45)))
    version = _token_row(engine).version
    assert keep_alive(engine, settings, older_than_days=30) == 1
    row = _token_row(engine)
    assert row.version == version + 1
    assert utcnow() - row.refreshed_at.replace(tzinfo=utcnow().tzinfo) < timedelta(minutes=1)
    assert _works(settings, connected, get_access_token(engine, settings, connected))


def test_unknown_or_disconnected_tenant_needs_reconnect(engine, settings, connected):
    with pytest.raises(NeedsReconnect, match="not connected"):
        get_access_token(engine, settings, "00000000-0000-0000-0000-000000000000")
    with session_scope(engine) as s:
        s.get(XeroConnection, connected).status = "disconnected"
    with pytest.raises(NeedsReconnect):
        get_access_token(engine, settings, connected)


class FailFirstRefresh(httpx.BaseTransport):
    """Answers the first refresh with a 503 of its own (Xero's identity service having a bad
    moment), then lets requests through."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.failed = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/connect/token" and not self.failed:
            self.failed += 1
            return httpx.Response(503, text="Service Unavailable", request=request)
        return self.inner.handle_request(request)


def test_a_5xx_from_the_token_endpoint_is_retried(engine, settings, sandbox, connected):
    _expire(engine)
    del sandbox.access_log[:]
    transport = FailFirstRefresh()
    with httpx.Client(transport=transport) as http:
        access = get_access_token(engine, settings, connected, http=http)
    assert transport.failed == 1 and token_calls(sandbox) == 1
    assert _works(settings, connected, access)


def test_a_changed_token_key_asks_for_a_reconnect(engine, settings, connected):
    import dataclasses

    other = dataclasses.replace(settings, token_key="a-different-secret")
    with pytest.raises(NeedsReconnect, match="XEROFLOW_TOKEN_KEY"):
        get_access_token(engine, other, connected)
    assert _token_row(engine).status == "needs_reconnect"


def test_keep_alive_also_notices_organisations_gone_from_xero(engine, settings, sandbox):
    tenants = connect_sandbox(engine, settings)
    with sandbox.lock:
        for cid, c in list(sandbox.identity.connections.items()):
            if c.tenant_id == tenants[1]:
                del sandbox.identity.connections[cid]
    assert keep_alive(engine, settings) == 0  # nothing idle, but the check runs
    with session_scope(engine) as s:
        assert s.get(XeroConnection, tenants[1]).status == "removed"
        assert s.get(XeroConnection, tenants[0]).status == "connected"


def test_refresh_does_not_ask_for_changed_scopes(engine, settings, sandbox, connected):
    """An admin adding a scope to XERO_SCOPES must not break refreshes of the existing grant
    (asking Xero for scopes beyond the grant is an invalid_grant)."""
    import dataclasses

    wider = dataclasses.replace(settings, xero_scopes=settings.xero_scopes + " accounting.payments")
    _expire(engine)
    assert _works(settings, connected, get_access_token(engine, wider, connected))


def test_wrong_client_secret_is_a_configuration_error_not_a_dead_grant(engine, settings, connected):
    import dataclasses

    from xeroflow_core.xero.tokens import XeroAuthError

    wrong = dataclasses.replace(settings, xero_client_secret="not-the-secret")
    _expire(engine)
    with pytest.raises(XeroAuthError, match="XERO_CLIENT_SECRET"):
        get_access_token(engine, wrong, connected)
    assert _token_row(engine).status == "active"
    assert _works(settings, connected, get_access_token(engine, settings, connected))

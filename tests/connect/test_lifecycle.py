"""After connecting: revoked access and reconnect (links intact), a read-only Xero user (lost
write access), disconnecting one organisation or everything, organisations gone from Xero."""

from __future__ import annotations

import httpx
import pytest
from sqlmodel import select

from tests.support.connect import connect_sandbox, put_draft_invoice
from xeroflow_core import audit
from xeroflow_core.actor import Actor
from xeroflow_core.db import session_scope
from xeroflow_core.models import Client, ClientContactLink, XeroConnection, XeroToken
from xeroflow_core.users import PermissionDenied
from xeroflow_core.xero.connections import refresh_connections
from xeroflow_core.xero.oauth import active_tenants, disconnect
from xeroflow_core.xero.overview import overview
from xeroflow_core.xero.tokens import NeedsReconnect, decrypt_token, get_access_token

ADMIN = Actor("admin", "admin")
PARTNER = Actor("partner", "partner")


def _conn(engine, tenant: str) -> XeroConnection:
    with session_scope(engine) as s:
        return s.get(XeroConnection, tenant)


def _token(engine) -> XeroToken:
    with session_scope(engine) as s:
        return s.exec(select(XeroToken)).one()


def _link(engine, tenant: str, contact_id: str) -> None:
    with session_scope(engine) as s:
        client = Client(name="Acme")
        s.add(client)
        s.flush()
        s.add(ClientContactLink(tenant_id=tenant, contact_id=contact_id, client_id=client.id))


def _links(engine) -> list[tuple[str, str]]:
    with session_scope(engine) as s:
        return [(r.tenant_id, r.contact_id) for r in s.exec(select(ClientContactLink))]


def _reads(settings, tenant: str, access: str) -> int:
    return httpx.get(
        f"{settings.accounting_url}/Organisation",
        headers={"Authorization": f"Bearer {access}", "xero-tenant-id": tenant,
                 "Accept": "application/json"},
    ).status_code  # fmt: skip


def _contact_of(sandbox, tenant: str) -> str:
    return next(iter(sandbox.orgs[tenant].contacts.items.values())).id


def test_revoked_access_needs_reconnect_and_reconnect_restores_with_links(
    engine, settings, sandbox
):
    tenants = connect_sandbox(engine, settings)
    _link(engine, tenants[0], "contact-1")
    token_id = _token(engine).id
    # someone disconnects XeroFlow inside Xero: the refresh chain dies
    stored = decrypt_token(settings, _token(engine).encrypted_token)
    httpx.post(
        settings.revocation_endpoint,
        data={"token": stored["refresh_token"]},
        auth=(settings.xero_client_id, settings.xero_client_secret),
    ).raise_for_status()
    from tests.connect.test_refresh import _expire

    _expire(engine)
    with pytest.raises(NeedsReconnect):
        get_access_token(engine, settings, tenants[0])
    view = overview(engine)
    assert view.state == "needs_reconnect" and view.label == "Needs reconnect"
    assert any("invalid_grant" in r for r in view.reasons)
    assert active_tenants(engine) == []
    # Reconnect: the same flow; every link and choice kept
    assert sorted(connect_sandbox(engine, settings)) == sorted(tenants)
    assert overview(engine).state == "connected"
    assert _links(engine) == [(tenants[0], "contact-1")]
    assert _token(engine).id == token_id  # same authorisation row, new tokens
    assert {c.tenant_id for c in active_tenants(engine)} == set(tenants)
    for tid in tenants:
        assert _reads(settings, tid, get_access_token(engine, settings, tid)) == 200


def test_read_only_xero_user_means_lost_write_access(engine, settings, sandbox):
    tenants = connect_sandbox(engine, settings)
    tenant = tenants[0]
    contact = _contact_of(sandbox, tenant)
    assert put_draft_invoice(engine, settings, tenant, contact).status_code == 200
    sandbox.demo_user.read_only = True
    try:
        assert put_draft_invoice(engine, settings, tenant, contact).status_code == 403
        view = overview(engine)
        assert view.state == "read_only" and view.label == "Lost write access"
        org = next(o for o in view.organisations if o.tenant_id == tenant)
        assert org.status_label == "Lost write access"
        # reading goes on
        assert tenant in {c.tenant_id for c in active_tenants(engine)}
        assert _reads(settings, tenant, get_access_token(engine, settings, tenant)) == 200
        assert audit.recent(engine, action="xero.lost_write_access")
    finally:
        sandbox.demo_user.read_only = False
    # an admin with write access reconnects: connected again
    connect_sandbox(engine, settings)
    assert _conn(engine, tenant).status == "connected"
    assert put_draft_invoice(engine, settings, tenant, contact).status_code == 200


def test_disconnect_one_organisation_keeps_the_other_and_the_data(engine, settings, sandbox):
    tenants = connect_sandbox(engine, settings)
    gone, kept = tenants
    _link(engine, gone, "contact-9")
    with pytest.raises(PermissionDenied):
        disconnect(engine, settings, PARTNER, gone)
    assert disconnect(engine, settings, ADMIN, gone) == [gone]
    conn = _conn(engine, gone)
    assert conn.status == "disconnected" and not conn.sync_enabled
    assert [c.tenant_id for c in active_tenants(engine)] == [kept]
    assert _links(engine) == [(gone, "contact-9")]
    access = get_access_token(engine, settings, kept)
    assert _reads(settings, kept, access) == 200
    assert _reads(settings, gone, access) == 403  # Xero no longer lets us in
    with pytest.raises(NeedsReconnect):
        get_access_token(engine, settings, gone)
    assert audit.recent(engine, action="xero.disconnect")[0].target == gone


def test_disconnect_everything_revokes_at_xero_and_keeps_rows(engine, settings, sandbox):
    tenants = connect_sandbox(engine, settings)
    _link(engine, tenants[1], "contact-2")
    stored = decrypt_token(settings, _token(engine).encrypted_token)
    assert sorted(disconnect(engine, settings, ADMIN, None)) == sorted(tenants)
    view = overview(engine)
    assert view.state == "disconnected"
    assert {o.status for o in view.organisations} == {"disconnected"}
    assert _token(engine).status == "revoked"
    assert "refresh_token" not in decrypt_token(settings, _token(engine).encrypted_token)
    assert _links(engine) == [(tenants[1], "contact-2")]
    resp = httpx.post(
        settings.token_endpoint,
        data={"grant_type": "refresh_token", "refresh_token": stored["refresh_token"]},
        auth=(settings.xero_client_id, settings.xero_client_secret),
    )
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_grant"
    # connecting again brings them back
    connect_sandbox(engine, settings)
    assert overview(engine).state == "connected"


def test_organisation_gone_from_xero_is_shown_as_removed(engine, settings, sandbox):
    tenants = connect_sandbox(engine, settings)
    victim = tenants[0]
    # the organisation disappears from /connections (a Demo Company reset, or removed in Xero)
    with sandbox.lock:
        for cid, c in list(sandbox.identity.connections.items()):
            if c.tenant_id == victim:
                del sandbox.identity.connections[cid]
    assert refresh_connections(engine, settings) == [victim]
    org = next(o for o in overview(engine).organisations if o.tenant_id == victim)
    assert org.status == "removed" and org.status_label == "Removed in Xero"
    assert "Demo Company" in org.reason
    assert victim not in {c.tenant_id for c in active_tenants(engine)}
    assert overview(engine).state == "connected"  # the other organisation is fine


def test_overview_shows_the_last_finished_sync(engine, settings, sandbox):
    from datetime import timedelta

    from xeroflow_core.models.core import utcnow
    from xeroflow_core.models.sync import SyncRun

    tenants = connect_sandbox(engine, settings)
    done = utcnow() - timedelta(minutes=5)
    with session_scope(engine) as s:
        s.add(SyncRun(tenant_id=tenants[0], status="ok", started_at=done, finished_at=done))
        s.add(SyncRun(tenant_id=tenants[0], status="failed", started_at=utcnow(),
                      finished_at=utcnow()))  # fmt: skip
    orgs = {o.tenant_id: o for o in overview(engine).organisations}
    assert orgs[tenants[0]].last_sync == done  # the finished run, not the later failed one
    assert orgs[tenants[1]].last_sync is None


def test_single_organisation_reconnected_after_a_disconnect_syncs_again(engine, settings, sandbox):
    from tests.support.connect import connect_sandbox_result

    name = sorted(o.name for o in sandbox.orgs.values())[0]
    [tenant] = connect_sandbox(engine, settings, tenant_names=[name])
    disconnect(engine, settings, ADMIN, None)
    assert active_tenants(engine) == []
    result = connect_sandbox_result(engine, settings, tenant_names=[name])
    assert result.ok
    assert [c.tenant_id for c in active_tenants(engine)] == [tenant]


def test_consent_by_another_xero_user_retires_the_old_authorisation(engine, settings, sandbox):
    """Reconnecting with a different Xero user moves the organisations to the new consent; the
    old authorisation (here dead: needs reconnect) no longer colours the page nor is refreshed."""
    from xeroflow_core.xero.tokens import encrypt_token

    with session_scope(engine) as s:
        s.add(XeroToken(xero_userid="someone-else", status="needs_reconnect",
                        status_reason="invalid_grant", encrypted_token=encrypt_token(settings, {"refresh_token": "x"})))  # fmt: skip
    connect_sandbox(engine, settings)
    view = overview(engine)
    assert view.state == "connected" and view.reasons == []
    with session_scope(engine) as s:
        old = s.exec(select(XeroToken).where(XeroToken.xero_userid == "someone-else")).one()
        assert old.status == "revoked"
        assert decrypt_token(settings, old.encrypted_token) == {}


def test_a_refresh_finishing_after_a_disconnect_does_not_revive_the_token(
    engine, settings, sandbox
):
    """The refresher held the lease when the admin disconnected: its rotated pair is dropped."""
    from xeroflow_core.xero.tokens import _store_rotated

    connect_sandbox(engine, settings)
    with session_scope(engine) as s:
        row = s.exec(select(XeroToken)).one()
        row.refresh_lock_owner = "refresher-1"  # mid-refresh, lease held
        token_id = row.id
    disconnect(engine, settings, ADMIN, None)
    rotated = {"access_token": "live", "refresh_token": "live-rt", "expires_in": 1800}
    assert _store_rotated(engine, settings, token_id, "refresher-1", {}, rotated) is False
    tok = _token(engine)
    assert tok.status == "revoked"
    assert decrypt_token(settings, tok.encrypted_token) == {}


def test_disconnect_everything_audits_each_token_with_its_own_tenants(engine, settings):
    from xeroflow_core.models import AuditLog
    from xeroflow_core.xero.tokens import encrypt_token

    with session_scope(engine) as s:
        for user, tenant in (("u1", "tenant-a"), ("u2", "tenant-b")):
            tok = XeroToken(xero_userid=user, status="needs_reconnect",
                            encrypted_token=encrypt_token(settings, {}))  # fmt: skip
            s.add(tok)
            s.flush()
            s.add(XeroConnection(tenant_id=tenant, tenant_name=tenant, token_id=tok.id,
                                 status="needs_reconnect"))  # fmt: skip
    assert sorted(disconnect(engine, settings, ADMIN, None)) == ["tenant-a", "tenant-b"]
    with session_scope(engine) as s:
        rows = s.exec(select(AuditLog).where(AuditLog.action == "xero.disconnect")).all()
        seen = sorted(tuple(r.detail["tenants"]) for r in rows)
    assert seen == [("tenant-a",), ("tenant-b",)]


def test_disconnecting_the_last_organisation_of_an_authorisation_retires_it(
    engine, settings, sandbox
):
    name = sorted(o.name for o in sandbox.orgs.values())[0]
    [tenant] = connect_sandbox(engine, settings, tenant_names=[name])
    assert disconnect(engine, settings, ADMIN, tenant) == [tenant]
    tok = _token(engine)
    assert tok.status == "revoked"  # keep_alive never refreshes it again
    assert decrypt_token(settings, tok.encrypted_token) == {}

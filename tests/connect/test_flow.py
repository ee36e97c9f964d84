"""The consent over real HTTP against the sandbox: connect, several organisations, cancel,
forged / replayed / expired / foreign state, the callback run twice, choosing organisations."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import select

from tests.support.connect import connect_sandbox, connect_sandbox_result, consent
from xeroflow_core import audit
from xeroflow_core.actor import Actor
from xeroflow_core.db import session_scope
from xeroflow_core.models import AuditLog, OAuthFlow, WorkRequest, XeroConnection, XeroToken
from xeroflow_core.models.core import utcnow
from xeroflow_core.users import PermissionDenied
from xeroflow_core.xero.oauth import (
    active_tenants,
    choose_organisations,
    handle_callback,
    start_authorization,
)
from xeroflow_core.xero.overview import overview
from xeroflow_core.xero.tokens import get_access_token

ADMIN = Actor("admin", "admin")
OTHER_ADMIN = Actor("ops", "admin")
STAFF = Actor("staff", "staff")


def _rows(engine, model):
    with session_scope(engine) as s:
        return list(s.exec(select(model)))


def test_whole_flow_connects_both_organisations_and_tokens_work(engine, settings, sandbox):
    tenants = connect_sandbox(engine, settings)
    names = {o.name for o in sandbox.orgs.values()}
    assert set(tenants) == set(sandbox.orgs)
    assert {c.tenant_name for c in active_tenants(engine)} == names
    view = overview(engine)
    assert view.state == "connected"
    assert {o.tenant_type for o in view.organisations} == {"ORGANISATION"}
    assert "offline_access" in view.scopes and "accounting.invoices" in view.scopes
    assert view.last_refresh is not None
    # the stored token reads that organisation's data with its tenant header
    import httpx

    for tid in tenants:
        token = get_access_token(engine, settings, tid)
        resp = httpx.get(
            f"{settings.accounting_url}/Organisation",
            headers={"Authorization": f"Bearer {token}", "xero-tenant-id": tid,
                     "Accept": "application/json"},
        )  # fmt: skip
        assert resp.status_code == 200, resp.text
        assert resp.json()["Organisations"][0]["Name"] == sandbox.orgs[tid].name
    actions = [a.action for a in audit.recent(engine)]
    assert "xero.connected" in actions and "xero.choose_organisations" in actions


def test_the_organisations_ticked_on_xeros_page_sync_at_once(engine, settings, sandbox):
    """The consent page is the choice: every ticked organisation syncs, its first sync is
    requested, and nothing waits for a second selection."""
    result = connect_sandbox_result(engine, settings)
    assert result.ok and len(result.tenant_ids) == 2
    assert "first sync of 2 organisations has started" in result.message
    assert sorted(c.tenant_id for c in active_tenants(engine)) == sorted(result.tenant_ids)
    assert not overview(engine).awaiting_choice
    with session_scope(engine) as s:
        asked = {
            r.tenant_id
            for r in s.exec(select(WorkRequest).where(WorkRequest.kind == "sync"))
            if r.params.get("full")
        }
    assert asked == set(result.tenant_ids)


def test_the_choice_can_be_changed_later(engine, settings, sandbox):
    result = connect_sandbox_result(engine, settings)
    first = result.tenant_ids[0]
    assert choose_organisations(engine, ADMIN, [first]) == []  # already syncing: no new sync
    assert [c.tenant_id for c in active_tenants(engine)] == [first]
    with pytest.raises(PermissionDenied):
        choose_organisations(engine, STAFF, result.tenant_ids)
    with pytest.raises(ValueError, match="not connected"):
        choose_organisations(engine, ADMIN, ["00000000-0000-0000-0000-000000000000"])


def test_one_organisation_is_chosen_by_itself(engine, settings, sandbox):
    name = sorted(o.name for o in sandbox.orgs.values())[0]
    result = connect_sandbox_result(engine, settings, tenant_names=[name])
    assert result.ok
    assert [c.tenant_name for c in active_tenants(engine)] == [name]


def test_cancel_says_so_and_changes_nothing(engine, settings):
    url = start_authorization(engine, settings, ADMIN)
    query = consent(settings, url, allow=False)
    assert query["error"] == "access_denied"
    result = handle_callback(engine, settings, ADMIN, query)
    assert result.kind == "cancelled" and "cancelled" in result.message
    assert _rows(engine, XeroToken) == [] and _rows(engine, XeroConnection) == []


def test_callback_run_twice_gives_the_same_answer_without_a_second_exchange(
    engine, settings, sandbox
):
    url = start_authorization(engine, settings, ADMIN)
    query = consent(settings, url)
    first = handle_callback(engine, settings, ADMIN, query)
    version = _rows(engine, XeroToken)[0].version
    calls = sum(1 for e in list(sandbox.access_log) if e["path"] == "/connect/token")
    second = handle_callback(engine, settings, ADMIN, query)
    assert first.ok and second.ok and second.repeated
    assert second.tenant_ids == first.tenant_ids
    assert _rows(engine, XeroToken)[0].version == version  # nothing stored again
    assert _rows(engine, OAuthFlow)[0].code_verifier == ""  # the PKCE secret is not kept
    assert sum(1 for e in list(sandbox.access_log) if e["path"] == "/connect/token") == calls


def _state_of(url: str) -> str:
    from urllib.parse import parse_qs, urlsplit

    return parse_qs(urlsplit(url).query)["state"][0]


def _assert_refused(engine, result, words: str) -> None:
    assert result.kind == "refused" and words in result.message, result.message
    assert "Nothing was changed" in result.message
    assert _rows(engine, XeroToken) == [] and _rows(engine, XeroConnection) == []
    assert audit.recent(engine, action="xero.callback_refused")


def test_forged_state_is_refused(engine, settings):
    url = start_authorization(engine, settings, ADMIN)
    query = consent(settings, url)
    query["state"] = "forged-" + query["state"][7:]
    _assert_refused(engine, handle_callback(engine, settings, ADMIN, query), "does not match")


def test_missing_state_is_refused(engine, settings):
    url = start_authorization(engine, settings, ADMIN)
    query = consent(settings, url)
    del query["state"]
    result = handle_callback(engine, settings, ADMIN, query)
    assert result.kind == "refused" and "no state" in result.message


def test_foreign_state_is_refused_and_stays_usable_by_its_owner(engine, settings):
    url = start_authorization(engine, settings, ADMIN)
    query = consent(settings, url)
    _assert_refused(engine, handle_callback(engine, settings, OTHER_ADMIN, query), "another user")
    assert handle_callback(engine, settings, ADMIN, query).ok


def test_expired_state_is_refused(engine, settings):
    url = start_authorization(engine, settings, ADMIN)
    query = consent(settings, url)
    with session_scope(engine) as s:
        s.execute(
            update(OAuthFlow)
            .where(OAuthFlow.state == _state_of(url))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    _assert_refused(engine, handle_callback(engine, settings, ADMIN, query), "expired")


def test_replayed_state_with_another_code_is_refused(engine, settings):
    url = start_authorization(engine, settings, ADMIN)
    query = consent(settings, url)
    assert handle_callback(engine, settings, ADMIN, query).ok
    before = [(c.tenant_id, c.connection_id) for c in _rows(engine, XeroConnection)]
    version = _rows(engine, XeroToken)[0].version
    # a second consent answer replayed against the first, already used state
    other = consent(settings, start_authorization(engine, settings, ADMIN))
    replay = {"code": other["code"], "state": query["state"]}
    result = handle_callback(engine, settings, ADMIN, replay)
    assert result.kind == "refused" and "already used" in result.message
    assert [(c.tenant_id, c.connection_id) for c in _rows(engine, XeroConnection)] == before
    assert _rows(engine, XeroToken)[0].version == version


def test_staff_cannot_start_or_finish_a_consent(engine, settings):
    with pytest.raises(PermissionDenied):
        start_authorization(engine, settings, STAFF)
    url = start_authorization(engine, settings, ADMIN)
    with pytest.raises(PermissionDenied):
        handle_callback(engine, settings, STAFF, consent(settings, url))


def test_no_callback_in_the_query_does_nothing(engine, settings):
    assert handle_callback(engine, settings, STAFF, {}).kind == "none"
    assert _rows(engine, AuditLog) == []


def test_authorize_url_carries_pkce_state_and_the_configured_scopes(engine, settings):
    from urllib.parse import parse_qs, urlsplit

    url = start_authorization(engine, settings, ADMIN)
    q = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert url.startswith(settings.authorize_endpoint)
    assert q["code_challenge_method"] == "S256" and len(q["code_challenge"]) >= 43
    assert q["scope"] == settings.xero_scopes and "payroll" not in q["scope"]
    assert q["redirect_uri"] == settings.xero_redirect_uri and q["response_type"] == "code"
    flow = _rows(engine, OAuthFlow)[0]
    assert flow.state == q["state"] and flow.username == "admin"
    assert flow.code_verifier not in url  # only the S256 challenge leaves the server
    assert timedelta(minutes=9) < flow.expires_at - flow.created_at <= timedelta(minutes=10)


def test_callback_run_twice_at_once_exchanges_the_code_once(engine, settings, sandbox):
    import threading

    url = start_authorization(engine, settings, ADMIN)
    query = consent(settings, url)
    del sandbox.access_log[:]
    results = []
    barrier = threading.Barrier(2)

    def run() -> None:
        barrier.wait()
        results.append(handle_callback(engine, settings, ADMIN, query))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.ok for r in results] == [True, True]
    assert sorted(r.repeated for r in results) == [False, True]
    assert sum(1 for e in list(sandbox.access_log) if e["path"] == "/connect/token") == 1
    assert len(_rows(engine, XeroToken)) == 1

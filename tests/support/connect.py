"""Connect a test database to a running sandbox, the way a person would, over HTTP.

`connect_sandbox` starts the consent, loads the sandbox's consent page, posts its form as
"Allow access" with the chosen organisations, reads the redirect's query and hands it to
`handle_callback`, then chooses every connected organisation for sync.
"""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
from sqlalchemy import Engine

from xeroflow_core.actor import Actor
from xeroflow_core.settings import Settings
from xeroflow_core.sync.jobs import request_initial_sync
from xeroflow_core.users import get_user
from xeroflow_core.xero.oauth import (
    CallbackResult,
    active_tenants,
    choose_organisations,
    handle_callback,
)
from xeroflow_core.xero.oauth import start_authorization as _start


def _actor(engine: Engine, username: str) -> Actor:
    user = get_user(engine, username)
    return Actor(username, user.role if user else "admin")


def consent_form(page_html: str) -> tuple[str, dict[str, str], dict[str, str]]:
    """(form action, hidden fields, {organisation name: tenant id}) of the consent page."""
    action = re.search(r'<form[^>]*action="([^"]+)"', page_html)
    hidden = dict(
        (unescape(n), unescape(v))
        for n, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page_html)
    )
    orgs = {
        unescape(name).strip(): tid
        for tid, name in re.findall(
            r'name="tenant" value="([^"]+)"[^>]*>\s*([^<(]+?)\s*\(', page_html
        )
    }
    return (action.group(1) if action else ""), hidden, orgs


def consent(
    settings: Settings,
    url: str,
    *,
    tenant_names: list[str] | None = None,
    allow: bool = True,
    http: httpx.Client | None = None,
) -> dict[str, str]:
    """Answer the sandbox's consent page at `url`; returns the redirect's query (code/state
    or error/state)."""
    client = http or httpx.Client(timeout=30)
    try:
        page = client.get(url)
        page.raise_for_status()
        action, hidden, orgs = consent_form(page.text)
        if tenant_names is None:
            chosen = list(orgs.values())
        else:
            missing = [n for n in tenant_names if n not in orgs]
            assert not missing, f"sandbox has no organisation named {missing}; it has {list(orgs)}"
            chosen = [orgs[n] for n in tenant_names]
        form: dict[str, str | list[str]] = {**hidden, "action": "allow" if allow else "cancel"}
        form["tenant"] = chosen
        resp = client.post(urljoin(url, action), data=form, follow_redirects=False)
        assert resp.status_code in (302, 303), f"consent answered {resp.status_code}: {resp.text}"
        location = resp.headers["location"]
    finally:
        if http is None:
            client.close()
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def connect_sandbox_result(
    engine: Engine,
    settings: Settings,
    *,
    username: str = "admin",
    tenant_names: list[str] | None = None,
    http: httpx.Client | None = None,
) -> CallbackResult:
    """The whole consent, returning the callback's result (no organisation choice made)."""
    actor = _actor(engine, username)
    url = _start(engine, settings, actor)
    query = consent(settings, url, tenant_names=tenant_names, http=http)
    return handle_callback(
        engine, settings, actor, query, http=http, on_new_organisations=request_initial_sync
    )


def connect_sandbox(
    engine: Engine,
    settings: Settings,
    *,
    username: str = "admin",
    tenant_names: list[str] | None = None,
    http: httpx.Client | None = None,
) -> list[str]:
    """Connect the sandbox's organisations (all, or those named) and choose them for sync;
    returns the connected tenant ids. The database needs the user `username` or is given an
    admin actor of that name (tests on a bare migrated database have no users)."""
    result = connect_sandbox_result(
        engine, settings, username=username, tenant_names=tenant_names, http=http
    )
    assert result.ok, result.message
    already = [c.tenant_id for c in active_tenants(engine)]
    actor = _actor(engine, username)
    enabled = choose_organisations(engine, actor, sorted({*already, *result.tenant_ids}))
    request_initial_sync(engine, actor, enabled)
    return result.tenant_ids


def put_draft_invoice(
    engine: Engine,
    settings: Settings,
    tenant_id: str,
    contact_id: str,
    *,
    http: httpx.Client | None = None,
) -> httpx.Response:
    """PUT one DRAFT sales invoice with the stored token, the way a write to Xero does; a 403
    marks the connection "lost write access" (as the API client does on any write)."""
    from xeroflow_core.xero.connections import mark_lost_write_access
    from xeroflow_core.xero.tokens import get_access_token

    token = get_access_token(engine, settings, tenant_id, http=http)
    body = {
        "Invoices": [
            {
                "Type": "ACCREC",
                "Contact": {"ContactID": contact_id},
                "Status": "DRAFT",
                "Date": "2026-11-30",
                "LineItems": [
                    {"Description": "Test", "Quantity": 1, "UnitAmount": 10, "AccountCode": "200"}
                ],
            }
        ]
    }
    client = http or httpx.Client(timeout=30)
    try:
        resp = client.put(
            f"{settings.accounting_url}/Invoices",
            json=body,
            headers={"Authorization": f"Bearer {token}", "xero-tenant-id": tenant_id,
                     "Accept": "application/json"},
        )  # fmt: skip
    finally:
        if http is None:
            client.close()
    if resp.status_code == 403:
        mark_lost_write_access(engine, tenant_id, "Xero refused a write with 403")
    return resp

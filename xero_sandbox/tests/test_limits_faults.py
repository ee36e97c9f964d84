"""Rate limits (minute, day, concurrent) with Xero's headers and Retry-After, a movable clock,
and every injectable fault: forced 429s, 5xx, slow, dropped, malformed, changes while paging."""

from __future__ import annotations

import concurrent.futures
import threading

import httpx
import pytest

from xero_sandbox.server import serve_in_thread
from xero_sandbox.testing import HEADERS, sandbox_config

from .conftest import AS_OF, connect

API = "/api.xro/2.0"


def test_minute_limit_and_window(fresh):
    _, client, conn = fresh
    h = conn.headers(conn.agency)
    last = None
    for _i in range(60):
        last = client.get(f"{API}/Organisation", headers=h)
        assert last.status_code == 200
    assert (
        last.headers["X-MinLimit-Remaining"] == "0"
        and last.headers["X-DayLimit-Remaining"] == "4940"
    )
    r = client.get(f"{API}/Organisation", headers=h)
    assert r.status_code == 429 and r.headers["X-Rate-Limit-Problem"] == "minute"
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    # Other tenants have their own budget.
    assert client.get(f"{API}/Organisation", headers=conn.headers(conn.studio)).status_code == 200
    client.post("/_sandbox/clock", json={"advance_seconds": int(r.headers["Retry-After"])})
    ok = client.get(f"{API}/Organisation", headers=h)
    assert ok.status_code == 200 and ok.headers["X-AppMinLimit-Remaining"]


def test_day_limit(fresh):
    _, client, conn = fresh
    h = conn.headers(conn.agency)
    client.post(
        "/_sandbox/limits", json={"day_limit": 1000, "use_calls": 999, "tenant_id": conn.agency}
    )
    r = client.get(f"{API}/Organisation", headers=h)
    assert r.status_code == 200 and r.headers["X-DayLimit-Remaining"] == "0"
    r = client.get(f"{API}/Organisation", headers=h)
    assert (
        r.status_code == 429
        and r.headers["X-Rate-Limit-Problem"] == "day"
        and int(r.headers["Retry-After"]) > 3600
    )
    client.post("/_sandbox/clock", json={"advance_seconds": 86_401})
    fresh_token = client.post(
        "/connect/token",
        data={"grant_type": "refresh_token", "refresh_token": conn.refresh_token},
        auth=("xeroflow-demo", "xeroflow-demo-secret"),
    ).json()
    h["Authorization"] = f"Bearer {fresh_token['access_token']}"
    assert client.get(f"{API}/Organisation", headers=h).status_code == 200


def test_limits_can_be_switched_off():
    from .conftest import make_client

    _, client = make_client(
        sandbox_config(as_of=AS_OF, size="small", rate_limits=False, frozen_clock=True)
    )
    conn = connect(client)
    for _ in range(70):
        r = client.get(f"{API}/Organisation", headers=conn.headers(conn.agency))
    assert r.status_code == 200 and r.headers["X-MinLimit-Remaining"] == "0"


def test_forced_429s_and_5xx(fresh):
    _, client, conn = fresh
    h = conn.headers(conn.agency)
    client.post(
        "/_sandbox/faults", json={"kind": "rate_limit", "problem": "minute", "retry_after": 7}
    )
    r = client.get(f"{API}/Invoices", headers=h)
    assert (
        r.status_code == 429
        and r.headers["Retry-After"] == "7"
        and r.headers["X-Rate-Limit-Problem"] == "minute"
    )
    client.post("/_sandbox/faults", json={"kind": "rate_limit", "problem": "day"})
    assert client.get(f"{API}/Invoices", headers=h).headers["X-Rate-Limit-Problem"] == "day"
    client.post(
        "/_sandbox/faults", json={"kind": "status", "status": 503, "count": 2, "path": "/Invoices"}
    )
    assert client.get(f"{API}/Contacts", headers=h).status_code == 200
    assert [client.get(f"{API}/Invoices", headers=h).status_code for _ in range(3)] == [
        503,
        503,
        200,
    ]
    client.post("/_sandbox/faults", json={"kind": "status", "status": 500, "after": 1})
    assert [client.get(f"{API}/Invoices", headers=h).status_code for _ in range(3)] == [
        200,
        500,
        200,
    ]
    client.post("/_sandbox/faults", json={"kind": "malformed"})
    bad = client.get(f"{API}/Invoices", headers=h)
    with pytest.raises(ValueError):
        bad.json()
    assert client.get("/_sandbox/faults").json()["armed"] == []


def test_touch_while_paging_shifts_offset_pages(fresh):
    _, client, conn = fresh
    h = conn.headers(conn.agency)
    params = {"order": "UpdatedDateUTC ASC", "pageSize": 50}
    before = client.get(f"{API}/Invoices", params=params | {"page": 1}, headers=h).json()
    total = before["pagination"]["itemCount"]
    client.post(
        "/_sandbox/faults",
        json={"kind": "touch_while_paging", "resource": "invoices", "records": 1},
    )
    seen = {i["InvoiceID"] for i in before["Invoices"]}
    for page in range(2, before["pagination"]["pageCount"] + 1):
        seen |= {
            i["InvoiceID"]
            for i in client.get(
                f"{API}/Invoices", params=params | {"page": page}, headers=h
            ).json()["Invoices"]
        }
    # A page-number client misses the record that moved from page 2 onto page 1's ground.
    assert len(seen) == total - 1


def test_slow_and_dropped_and_concurrent_over_http():
    config = sandbox_config(as_of=AS_OF, size="small", frozen_clock=True)
    with (
        serve_in_thread(config) as base,
        httpx.Client(base_url=base, timeout=10, headers=HEADERS) as client,
    ):
        conn = connect(client)
        h = conn.headers(conn.agency)
        client.post("/_sandbox/faults", json={"kind": "drop"})
        with pytest.raises(httpx.TransportError):
            client.get(f"{API}/Invoices", headers=h)
        client.post("/_sandbox/faults", json={"kind": "slow", "seconds": 0.6, "count": 6})
        barrier = threading.Barrier(6)

        def call(_: int) -> int:
            with httpx.Client(base_url=base, timeout=10) as c:
                barrier.wait()
                return c.get(f"{API}/Organisation", headers=h).status_code

        with concurrent.futures.ThreadPoolExecutor(6) as pool:
            codes = sorted(pool.map(call, range(6)))
        assert codes.count(200) == 5 and codes.count(429) == 1
        assert client.get(f"{API}/Organisation", headers=h).status_code == 200


def test_touch_while_paging_waits_for_its_resource(fresh):
    _, client, conn = fresh
    h = conn.headers(conn.agency)
    client.post("/_sandbox/faults", json={"kind": "touch_while_paging", "resource": "contacts"})
    client.get(f"{API}/Invoices", params={"page": 2, "pageSize": 10}, headers=h)
    assert len(client.get("/_sandbox/faults").json()["armed"]) == 1
    client.get(f"{API}/Contacts", params={"page": 2, "pageSize": 5}, headers=h)
    assert client.get("/_sandbox/faults").json()["armed"] == []


def test_lose_answer_creates_the_invoice_then_hangs_up_over_http():
    """The PUT is processed (the invoice exists), then the connection closes with no answer."""
    from .test_writes import _draft

    config = sandbox_config(as_of=AS_OF, size="small", frozen_clock=True)
    with (
        serve_in_thread(config) as base,
        httpx.Client(base_url=base, timeout=10, headers=HEADERS) as client,
    ):
        sb = serve_in_thread.last_app.state.sandbox
        conn = connect(client)
        h = conn.headers(conn.agency)
        cid = client.get(
            f"{API}/Contacts", params={"where": 'IsCustomer==true AND ContactStatus=="ACTIVE"'},
            headers=h,
        ).json()["Contacts"][0]["ContactID"]  # fmt: skip
        client.post("/_sandbox/faults", json={"kind": "lose_answer", "method": "PUT"})
        with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
            client.put(f"{API}/Invoices", json={"Invoices": [_draft(cid, ref="LOST-1")]}, headers=h)
        found = client.get(
            f"{API}/Invoices", params={"where": 'Reference=="LOST-1"'}, headers=h
        ).json()["Invoices"]
        assert len(found) == 1 and found[0]["Status"] == "DRAFT"
        assert [f["kind"] for f in sb.faults.fired] == ["lose_answer"]
        snap = client.get(f"/_sandbox/state/{conn.agency}/invoices").json()
        assert [r["reference"] for r in snap].count("LOST-1") == 1


def test_lose_answer_in_process_is_a_protocol_error(fresh):
    from .test_writes import _draft

    _, client, conn = fresh
    h = conn.headers(conn.agency)
    cid = client.get(
        f"{API}/Contacts", params={"where": 'IsCustomer==true AND ContactStatus=="ACTIVE"'},
        headers=h,
    ).json()["Contacts"][0]["ContactID"]  # fmt: skip
    client.post("/_sandbox/faults", json={"kind": "lose_answer", "method": "PUT"})
    with pytest.raises(httpx.RemoteProtocolError):
        client.put(f"{API}/Invoices", json={"Invoices": [_draft(cid, ref="LOST-2")]}, headers=h)
    found = client.get(f"{API}/Invoices", params={"where": 'Reference=="LOST-2"'}, headers=h)
    assert len(found.json()["Invoices"]) == 1

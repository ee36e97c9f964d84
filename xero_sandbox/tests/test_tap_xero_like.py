"""A client that behaves as tap-xero (the Singer tap) does, over real HTTP, without depending on
it: refresh with Basic auth, a credentials check on /Currencies with no Accept header, then
paged streams (`page` without `pageSize`, 100 a page, stop on a short page), bookmarked streams
and pull-everything streams, each with If-Modified-Since from the last record's UpdatedDateUTC,
a minute 429 honoured through Retry-After, and Xero's 404 on the streams the sandbox lacks."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from xero_sandbox.server import serve_in_thread
from xero_sandbox.testing import HEADERS, sandbox_config

from .conftest import AS_OF, connect

BASE = "/api.xro/2.0"
PAGE = 100  # tap-xero's FULL_PAGE_SIZE: Xero's default page size
PAGED = ["contacts", "credit_notes", "invoices"]
BOOKMARKED = ["accounts", "expense_claims", "receipts", "users"]
EVERYTHING = ["currencies", "organisations", "tax_rates", "tracking_categories"]
MISSING = ["bank_transactions", "manual_journals", "payments", "items", "branding_themes"]


def resource(stream: str) -> str:
    """tap-xero's URL name for a stream: `credit_notes` -> `CreditNotes`."""
    return stream.title().replace("_", "")


def iso(ms_date: str) -> str:
    """tap-xero turns `/Date(ms+0000)/` into RFC 3339 with microseconds before bookmarking."""
    ms = int(re.match(r"/Date\((-?\d+)", ms_date)[1])
    when = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Tap:
    def __init__(self, base_url: str, refresh_token: str, tenant: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30)
        self.refresh_token, self.tenant, self.access = refresh_token, tenant, ""
        self.waits: list[float] = []

    def refresh(self) -> None:
        basic = base64.b64encode(b"xeroflow-demo:xeroflow-demo-secret").decode()
        r = self.http.post(
            "/connect/token",
            data={"grant_type": "refresh_token", "refresh_token": self.refresh_token},
            headers={"Authorization": f"Basic {basic}"},
        )
        r.raise_for_status()
        self.refresh_token, self.access = r.json()["refresh_token"], r.json()["access_token"]

    def check_platform_access(self) -> httpx.Response:
        return self.http.get(
            f"{BASE}/Currencies",
            headers={
                "Authorization": f"Bearer {self.access}",
                "Xero-Tenant-Id": self.tenant,
                "Content-Type": "application/json",
            },
        )

    def filter(self, stream: str, since: str | None = None, **params) -> list[dict]:
        headers = {
            "Accept": "application/json",
            "Authorization": f"Bearer {self.access}",
            "Xero-tenant-id": self.tenant,
        }
        if since:
            headers["If-Modified-Since"] = since
        for _ in range(3):
            r = self.http.get(f"{BASE}/{resource(stream)}", params=params, headers=headers)
            if r.status_code == 429 and r.headers.get("X-Rate-Limit-Problem") == "minute":
                self.waits.append(float(r.headers["Retry-After"]))  # tap-xero sleeps this long
                continue
            r.raise_for_status()
            return r.json()[resource(stream)]
        raise AssertionError("still rate limited")

    def paged(self, stream: str, since: str) -> tuple[list[dict], list[int]]:
        records, sizes, page = [], [], 1
        while True:
            got = self.filter(stream, since, order="UpdatedDateUTC ASC", page=page)
            records += got
            sizes.append(len(got))
            if not got or len(got) < PAGE:
                return records, sizes
            page += 1


@pytest.fixture(scope="module")
def tap() -> Iterator[tuple[Tap, str]]:
    config = sandbox_config(as_of=AS_OF, frozen_clock=True, rate_limits=False)
    with serve_in_thread(config) as url, httpx.Client(base_url=url, headers=HEADERS) as client:
        conn = connect(client)
        t = Tap(url, conn.refresh_token, conn.agency)
        t.refresh()
        yield t, url


def test_credentials_check_without_accept_header_succeeds(tap) -> None:
    t, _ = tap
    r = t.check_platform_access()
    assert r.status_code == 200  # Xero answers it in XML; tap-xero only looks at the status
    assert r.headers["content-type"].startswith("text/xml") and b"<Currency>" in r.content


def test_paged_streams_read_100_a_page_and_stop_on_a_short_page(tap) -> None:
    t, _ = tap
    start = "2000-01-01T00:00:00Z"
    for stream in PAGED:
        records, sizes = t.paged(stream, start)
        assert all(n == PAGE for n in sizes[:-1]) and sizes[-1] < PAGE, (stream, sizes)
        key = {"contacts": "ContactID", "credit_notes": "CreditNoteID"}.get(stream, "InvoiceID")
        assert len({r[key] for r in records}) == len(records)  # nothing twice, nothing skipped
        stamps = [iso(r["UpdatedDateUTC"]) for r in records]
        assert stamps == sorted(stamps)
    invoices, sizes = t.paged("invoices", start)
    assert len(sizes) > 2 and all("LineItems" in r for r in invoices)  # paged: with lines


def test_if_modified_since_from_a_bookmark_is_inclusive(tap) -> None:
    t, url = tap
    records, _ = t.paged("invoices", "2000-01-01T00:00:00Z")
    bookmark = iso(records[-1]["UpdatedDateUTC"])
    again, _ = t.paged("invoices", bookmark)
    # >= at second precision: the bookmarked record comes back (upserted again by the tap)
    assert records[-1]["InvoiceID"] in {r["InvoiceID"] for r in again}
    assert all(iso(r["UpdatedDateUTC"])[:19] >= bookmark[:19] for r in again)
    touched = records[0]["InvoiceID"]
    tenant = t.tenant
    httpx.post(
        f"{url}/_sandbox/orgs/{tenant}/invoices/{touched}/touch", headers=HEADERS
    ).raise_for_status()
    after, _ = t.paged("invoices", bookmark)
    assert touched in {r["InvoiceID"] for r in after}
    for stream in BOOKMARKED:
        rows = t.filter(stream, since="2000-01-01T00:00:00Z")
        newest = max(rows, key=lambda r: iso(r["UpdatedDateUTC"]))
        assert newest in t.filter(stream, since=iso(newest["UpdatedDateUTC"])), stream


def test_pull_everything_streams_and_missing_ones(tap) -> None:
    t, _ = tap
    for stream in EVERYTHING:
        assert t.filter(stream), stream
    assert t.filter("organisations")[0]["ShortCode"]
    for stream in MISSING:
        with pytest.raises(httpx.HTTPStatusError) as err:
            t.filter(stream)
        response = err.value.response
        assert response.status_code == 404
        assert response.json()["Title"] == "Not Found"  # what tap-xero's raise_for_error reads


def test_a_minute_429_is_retried_after_retry_after(tap) -> None:
    t, url = tap
    fault = {"kind": "rate_limit", "problem": "minute", "retry_after": 3, "path": "/Contacts"}
    httpx.post(f"{url}/_sandbox/faults", json=fault, headers=HEADERS).raise_for_status()
    rows = t.filter("contacts", page=1)
    assert rows and t.waits == [3.0]

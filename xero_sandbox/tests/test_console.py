"""The console a person uses as the bookkeeper in Xero, over real HTTP: behind the control key,
every form carries a CSRF token, every action is the Accounting API's own change (so
UpdatedDateUTC, paging and If-Modified-Since see it), and every name is shown as text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape

import httpx
import pytest

from xero_sandbox.msdate import iso_z
from xero_sandbox.server import serve_in_thread
from xero_sandbox.testing import KEY, sandbox_config

from .conftest import AS_OF, connect

API = "/api.xro/2.0"
C = "/_sandbox/console"


class Console:
    """A signed-in browser-like client plus an API client connected to the same sandbox."""

    def __init__(self, base: str, sandbox) -> None:
        self.sb = sandbox
        self.http = httpx.Client(base_url=base, timeout=30, follow_redirects=True)
        self.http.get(C, params={"key": KEY})  # the link make run prints
        self.api = httpx.Client(base_url=base, timeout=30, headers={"X-Sandbox-Key": KEY})
        self.conn = connect(self.api)
        self.tenant = self.conn.agency
        self.org = sandbox.orgs[self.tenant]

    def page(self, path: str, **params) -> str:
        r = self.http.get(C + path, params=params)
        assert r.status_code == 200, r.text
        return r.text

    def post(self, path: str, **data) -> str:
        """Submit a console form as its page does: the CSRF token from a page, the Referer."""
        page = self.http.get(C).text
        data["csrf"] = re.search(r'name="csrf" value="([^"]+)"', page)[1]
        referer = str(self.http.base_url.join(C + path))
        r = self.http.post(C + path, data=data, headers={"Referer": referer})
        assert r.status_code == 200, r.text
        return r.text

    def invoices(self, since: str | None = None) -> list[dict]:
        h = self.conn.headers(self.tenant) | ({"If-Modified-Since": since} if since else {})
        body = self.api.get(f"{API}/Invoices", params={"page": 1, "pageSize": 1000}, headers=h)
        return body.json()["Invoices"]


@pytest.fixture(scope="module")
def console() -> Iterator[Console]:
    config = sandbox_config(as_of=AS_OF, size="small", frozen_clock=True, rate_limits=False)
    with serve_in_thread(config) as base:
        yield Console(base, serve_in_thread.last_app.state.sandbox)  # type: ignore[attr-defined]


def flash(html: str) -> str:
    found = re.search(r'<div class="flash[^"]*" role="status">(.*?)</div>', html)
    return unescape(found[1]) if found else ""


def test_the_console_answers_only_to_the_key(console: Console) -> None:
    base = console.http.base_url
    with httpx.Client(base_url=base, timeout=30) as stranger:
        asks = stranger.get(C + f"/{console.tenant}/invoices")
        assert asks.status_code == 200 and 'name="key"' in asks.text
        assert stranger.get(C, params={"key": "guess"}).status_code == 401
        signed = stranger.get(C, params={"key": KEY, "q": "x"})
        assert signed.status_code == 303 and signed.headers["location"] == C + "?q=x"
        cookie = signed.headers["set-cookie"]
        assert KEY not in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
        assert "Path=/_sandbox/console" in cookie
        assert stranger.get(C).status_code == 200
        # a form posted from another page lacks the token
        refused = stranger.post(C + "/clock", data={"days": "30"})
        assert refused.status_code == 403
    with httpx.Client(base_url=base, timeout=30) as person:
        elsewhere = person.post(C + "/login", data={"key": KEY, "next": "https://evil.example/"})
        assert elsewhere.headers["location"] == C
        back = person.post(
            C + "/login", data={"key": KEY, "next": f"{C}/{console.tenant}/contacts"}
        )
        assert back.headers["location"] == f"{C}/{console.tenant}/contacts"
        assert person.post(C + "/login", data={"key": "guess"}).status_code == 401


def test_lists_search_and_filter_by_status(console: Console) -> None:
    drafts = [
        d for d in console.org.invoices.items.values() if d.type == "ACCREC" and d.status == "DRAFT"
    ]
    page = console.page(f"/{console.tenant}/invoices", type="ACCREC", status="DRAFT")
    assert f"{len(drafts)} found" in page and all(d.number in page for d in drafts)
    one = drafts[0]
    found = console.page(f"/{console.tenant}/invoices", type="ACCREC", q=one.number.lower())
    assert "1 found" in found and one.number in found
    bills = console.page(f"/{console.tenant}/invoices", type="ACCPAY", status="PAID")
    paid = [
        d for d in console.org.invoices.items.values() if d.type == "ACCPAY" and d.status == "PAID"
    ]
    assert f"{len(paid)} found" in bills and bills.count("<td>PAID</td>") == min(50, len(paid))
    assert "Older ›" in bills  # 50 a page


def test_approve_pay_void_delete_are_the_apis_changes(console: Console) -> None:
    t = console.tenant
    drafts = [
        d for d in console.org.invoices.items.values() if d.type == "ACCREC" and d.status == "DRAFT"
    ]
    first, second = drafts[0], drafts[1]
    console.sb.clock.advance(5)
    since = iso_z(console.sb.now())
    page = console.page(f"/{t}/invoices/{first.id}")
    assert ">Approve<" in page and ">Delete<" in page and "Record payment" not in page
    done = console.post(f"/{t}/invoices/{first.id}/approve")
    assert flash(done) == f"Invoice {first.number} is now AUTHORISED."
    assert ">Void<" in done and "Record payment" in done
    changed = console.invoices(since)
    assert [i["InvoiceID"] for i in changed] == [first.id]  # If-Modified-Since sees it
    assert changed[0]["Status"] == "AUTHORISED"
    assert console.invoices()[-1]["InvoiceID"] == first.id  # last in UpdatedDateUTC order

    part = console.post(f"/{t}/invoices/{first.id}/pay", amount="10.00", date="2026-11-26")
    assert "still due" in flash(part) and first.status == "AUTHORISED"
    refused = console.post(f"/{t}/invoices/{first.id}/pay", amount="1e9")
    assert "between 0 and the amount due" in flash(refused)
    full = console.post(f"/{t}/invoices/{first.id}/pay", amount=f"{first.amount_due:.2f}")
    assert flash(full) == "Payment recorded: paid in full." and first.status == "PAID"
    api = next(i for i in console.invoices(since) if i["InvoiceID"] == first.id)
    assert api["Status"] == "PAID" and api["AmountDue"] == 0 and "FullyPaidOnDate" in api

    deleted = console.post(f"/{t}/invoices/{second.id}/delete")
    assert "is now DELETED" in flash(deleted) and second.status == "DELETED"
    third = next(d for d in console.org.invoices.items.values() if d.status == "DRAFT")
    console.post(f"/{t}/invoices/{third.id}/approve")
    voided = console.post(f"/{t}/invoices/{third.id}/void")
    assert "is now VOIDED" in flash(voided)
    no = console.post(f"/{t}/invoices/{first.id}/void")  # paid: Xero's own refusal
    assert "has a payment" in flash(no) and first.status == "PAID"


def test_contacts_rename_archive_and_merge(console: Console) -> None:
    t = console.tenant
    customers = sorted(
        (c for c in console.org.contacts.items.values() if c.is_customer and c.status == "ACTIVE"),
        key=lambda c: c.name,
    )
    a, b = customers[0], customers[1]
    since = iso_z(console.sb.now())
    console.sb.clock.advance(5)
    hostile = '<script>alert("x")</script> & Sons'
    renamed = console.post(f"/{t}/contacts/{a.id}/rename", name=hostile)
    assert "<script>alert" not in renamed and "&lt;script&gt;alert(&quot;x&quot;)" in renamed
    h = console.conn.headers(t) | {"If-Modified-Since": since}
    api = console.api.get(f"{API}/Contacts/{a.id}", headers=h).json()["Contacts"][0]
    assert api["Name"] == hostile
    docs = console.page(f"/{t}/invoices", type="ACCREC", q="alert")
    assert "&lt;script&gt;" in docs and "<script>" not in docs  # shown on its invoices, as text
    archived = console.post(f"/{t}/contacts/{a.id}/archive")
    assert a.status == "ARCHIVED" and ">Restore<" in archived
    console.post(f"/{t}/contacts/{a.id}/unarchive")
    moved = [d.id for d in console.org.invoices.items.values() if d.contact_id == a.id]
    merged = console.post(f"/{t}/contacts/{a.id}/merge", into=b.id)
    assert flash(merged).startswith("Merged") and a.merged_to == b.id
    api = console.api.get(f"{API}/Contacts/{a.id}", headers=console.conn.headers(t)).json()
    assert api["Contacts"][0]["MergedToContactID"] == b.id
    assert all(console.org.invoices.items[i].contact_id == b.id for i in moved)


def test_a_sales_invoice_created_in_the_console(console: Console) -> None:
    t = console.tenant
    contact = next(c for c in console.org.contacts.items.values() if c.status == "ACTIVE")
    form = console.page(f"/{t}/invoices/new", contact=contact.id)
    assert f'value="{contact.id}" selected' in form
    bad = console.post(f"/{t}/invoices/new", contact=contact.id, description="Audit",
                       quantity="2", unit="abc", account="200", tax="OUTPUT2", status="DRAFT")  # fmt: skip
    assert flash(bad) == "UnitAmount must be a number."
    assert 'name="unit" value="abc"' in bad and 'value="Audit"' in bad  # the form comes back
    made = console.post(f"/{t}/invoices/new", contact=contact.id, description="Audit",
                        quantity="2", unit="150.00", account="200", tax="OUTPUT2",
                        reference="WALK-IN", status="DRAFT", date="2026-11-26", due="2026-12-10")  # fmt: skip
    number = re.search(r"Invoice (INV-\d+) created as DRAFT", flash(made))[1]
    api = console.api.get(f"{API}/Invoices/{number}", headers=console.conn.headers(t)).json()
    doc = api["Invoices"][0]
    assert doc["Reference"] == "WALK-IN" and doc["Total"] == 345.0 and doc["Status"] == "DRAFT"


def test_clock_and_reset_with_a_confirmation(console: Console) -> None:
    before = console.sb.now()
    moved = console.post("/clock", days="2")
    assert (console.sb.now() - before).days == 2 and "clock now reads" in flash(moved)
    jumped = console.post("/clock", date="2027-01-15")
    assert console.sb.now().date().isoformat() == "2027-01-15", flash(jumped)
    asks = console.page("/reset")
    assert "Yes, reset the demo data" in asks
    not_yet = console.post("/reset")
    assert "confirm first" in flash(not_yet)
    assert console.sb.identity.connections  # nothing was reset
    done = console.post("/reset", confirm="yes")
    assert "generated again" in flash(done) and not console.sb.identity.connections

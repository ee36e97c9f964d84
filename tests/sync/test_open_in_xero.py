""" "Open in Xero" after a real sync: the organisation's ShortCode is synced (what Xero's deep
links need), and in demo mode each synced document's link opens its own page in the sandbox
console."""

from __future__ import annotations

import dataclasses

import httpx
from sqlmodel import select

from tests.support.sync import synced_sandbox_db
from xero_sandbox.testing import KEY
from xeroflow_core.db import session_scope
from xeroflow_core.models import CreditNote, Invoice, Organisation
from xeroflow_core.xero.links import xero_links


def test_synced_short_code_and_links_that_open(sqlite_engine, sandbox, sandbox_url) -> None:
    synced = synced_sandbox_db(sqlite_engine, sandbox_url)
    with session_scope(sqlite_engine) as s:
        codes = {o.tenant_id: o.short_code for o in s.exec(select(Organisation))}
        invoice = s.exec(select(Invoice).where(Invoice.type == "ACCPAY")).first()
        credit = s.exec(select(CreditNote)).first()
    assert codes == {t: o.short_code for t, o in sandbox.orgs.items()} and all(codes.values())

    real = dataclasses.replace(
        synced.settings, xero_client_id="ABC", xero_api_url="https://api.xero.com"
    )
    deep = xero_links(sqlite_engine, real)(invoice.tenant_id, invoice.type, invoice.invoice_id)
    assert f"shortcode={codes[invoice.tenant_id]}&" in deep and deep.endswith(invoice.invoice_id)

    links = xero_links(sqlite_engine, synced.settings)
    with httpx.Client(timeout=30, follow_redirects=True) as browser:
        browser.get(f"{sandbox_url}/_sandbox/console", params={"key": KEY})
        for tenant, kind, doc_id, number in (
            (invoice.tenant_id, invoice.type, invoice.invoice_id, invoice.invoice_number),
            (credit.tenant_id, credit.type, credit.credit_note_id, credit.credit_note_number),
        ):
            page = browser.get(links(tenant, kind, doc_id))
            assert page.status_code == 200 and number in page.text, kind

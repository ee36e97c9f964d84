""" "Open in Xero": Xero's documented deep links with a real app (organisation by ShortCode), the
sandbox console's pages in demo mode, nothing where no page exists."""

from __future__ import annotations

from tests.support import factories as f
from xeroflow_core.db import session_scope
from xeroflow_core.models import Organisation
from xeroflow_core.settings import Settings
from xeroflow_core.xero.links import xero_link, xero_links

REAL = Settings(xero_client_id="ABC123", xero_api_url="https://api.xero.com")
DEMO = Settings(xero_api_url="http://127.0.0.1:8765")
DOC = "1cf1a11c-a067-4a05-9c8b-06f281f7afed"
TENANT = "f878f6a0-964b-44f2-b340-572ea24cce3c"
GO = "https://go.xero.com/organisationlogin/default.aspx?shortcode=!NLglS&redirecturl="


def test_real_xero_gets_the_documented_deep_links() -> None:
    assert xero_link(REAL, TENANT, "!NLglS", "ACCREC", DOC) == (
        GO + f"/AccountsReceivable/View.aspx?InvoiceID={DOC}"
    )
    assert xero_link(REAL, TENANT, "!NLglS", "bill", DOC) == (
        GO + f"/AccountsPayable/Edit.aspx?InvoiceID={DOC}"
    )
    for kind in ("ACCRECCREDIT", "ACCPAYCREDIT", "credit_note"):
        assert xero_link(REAL, TENANT, "!NLglS", kind, DOC) == (
            GO + f"/AccountsPayable/ViewCreditNote.aspx?creditNoteID={DOC}"
        )
    assert xero_link(REAL, TENANT, "!NLglS", "contact", DOC) == GO + f"/Contacts/View/{DOC}"


def test_no_link_without_a_page_an_id_or_a_short_code() -> None:
    assert xero_link(REAL, TENANT, "!NLglS", "RECEIPT", DOC) == ""
    assert xero_link(REAL, TENANT, "!NLglS", "ACCREC", "") == ""
    assert xero_link(REAL, TENANT, "", "ACCREC", DOC) == ""  # organisation not synced yet


def test_demo_mode_links_to_the_sandbox_console() -> None:
    base = f"http://127.0.0.1:8765/_sandbox/console/{TENANT}"
    assert xero_link(DEMO, TENANT, "!dA9x1", "invoice", DOC) == f"{base}/invoices/{DOC}"
    assert xero_link(DEMO, TENANT, "", "ACCPAY", DOC) == f"{base}/invoices/{DOC}"
    assert xero_link(DEMO, TENANT, "", "ACCRECCREDIT", DOC) == f"{base}/credit-notes/{DOC}"
    assert xero_link(DEMO, TENANT, "", "contact", DOC) == f"{base}/contacts/{DOC}"
    # a real client id pointed at a sandbox (the tests' set-up) still links to the sandbox
    mixed = Settings(xero_client_id="ABC123", xero_api_url="http://127.0.0.1:9999")
    assert xero_link(mixed, TENANT, "x", "ACCREC", DOC).startswith("http://127.0.0.1:9999/_sandbox")


def test_short_codes_come_from_the_synced_organisation(sqlite_engine) -> None:
    f.organisation(sqlite_engine, TENANT)
    with session_scope(sqlite_engine) as s:
        s.get(Organisation, TENANT).short_code = "!dA9x1"
    links = xero_links(sqlite_engine, REAL)
    assert links(TENANT, "ACCREC", DOC) == GO.replace("!NLglS", "!dA9x1") + (
        f"/AccountsReceivable/View.aspx?InvoiceID={DOC}"
    )
    assert links("unknown-tenant", "ACCREC", DOC) == ""

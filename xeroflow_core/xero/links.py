""" "Open in Xero": the one place that knows where a Xero document or contact lives for a person.

With a real Xero app it is Xero's documented deep link, which names the organisation by its
`ShortCode` (synced from `GET /Organisation`):
https://developer.xero.com/documentation/api-guides/deep-link-xero
`https://go.xero.com/organisationlogin/default.aspx?shortcode=!NLglS&redirecturl=/AccountsReceivable/View.aspx?InvoiceID=…`
(bills `/AccountsPayable/Edit.aspx?InvoiceID=`, credit notes
`/AccountsPayable/ViewCreditNote.aspx?creditNoteID=`, contacts `/Contacts/View/{id}`). Against the
sandbox (demo mode) it is the sandbox console's page for the same record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from sqlalchemy import Engine, select

from xeroflow_core.models import Organisation
from xeroflow_core.settings import Settings

DEEP_LINK = "https://go.xero.com/organisationlogin/default.aspx?shortcode={code}&redirecturl={to}"
XERO_PAGES = {
    "ACCREC": "/AccountsReceivable/View.aspx?InvoiceID={id}",
    "ACCPAY": "/AccountsPayable/Edit.aspx?InvoiceID={id}",
    "ACCRECCREDIT": "/AccountsPayable/ViewCreditNote.aspx?creditNoteID={id}",
    "ACCPAYCREDIT": "/AccountsPayable/ViewCreditNote.aspx?creditNoteID={id}",
    "CONTACT": "/Contacts/View/{id}",
}
CONSOLE_PAGES = {
    "ACCREC": "invoices",
    "ACCPAY": "invoices",
    "ACCRECCREDIT": "credit-notes",
    "ACCPAYCREDIT": "credit-notes",
    "CONTACT": "contacts",
}
# The words XeroFlow's own rows use for the same kinds.
ALIASES = {
    "invoice": "ACCREC",
    "bill": "ACCPAY",
    "credit_note": "ACCRECCREDIT",
    "contact": "CONTACT",
    "receipt": "RECEIPT",
}


def uses_sandbox(settings: Settings) -> bool:
    """Whether "Xero" is the local sandbox (demo mode, or any API host that is not Xero's)."""
    return settings.demo_mode or urlsplit(settings.xero_api_url).hostname != "api.xero.com"


def xero_link(
    settings: Settings, tenant_id: str, short_code: str, kind: str, object_id: str
) -> str:
    """Where a person sees this record in Xero; "" when there is no such page (a classic expense
    receipt) or not enough to build it (no id yet, no ShortCode synced yet)."""
    kind = ALIASES.get(kind, kind).upper()
    if not object_id or kind not in XERO_PAGES:
        return ""
    if uses_sandbox(settings):
        if not tenant_id:
            return ""
        return f"{settings.xero_api_url}/_sandbox/console/{tenant_id}/{CONSOLE_PAGES[kind]}/{object_id}"
    if not short_code:
        return ""
    return DEEP_LINK.format(code=short_code, to=XERO_PAGES[kind].format(id=object_id))


@dataclass
class XeroLinks:
    """Links for one page: the organisations' short codes read once."""

    settings: Settings
    short_codes: dict[str, str] = field(default_factory=dict)

    def __call__(self, tenant_id: str, kind: str, object_id: str) -> str:
        code = self.short_codes.get(tenant_id, "")
        return xero_link(self.settings, tenant_id, code, kind, object_id)


def xero_links(engine: Engine, settings: Settings) -> XeroLinks:
    """A link maker for every synced organisation."""
    with engine.connect() as conn:
        t = Organisation.__table__
        codes = {
            r.tenant_id: r.short_code for r in conn.execute(select(t.c.tenant_id, t.c.short_code))
        }
    return XeroLinks(settings, codes)

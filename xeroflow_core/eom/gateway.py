"""The two Xero calls a push makes (PUT a DRAFT invoice, look one up by Reference), the invoice
body, and whether an invoice found under our reference is this draft's."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from sqlalchemy import Engine

from xeroflow_core.models.eom import EomDraft
from xeroflow_core.settings import Settings
from xeroflow_core.sync.budget import client_hooks
from xeroflow_core.xero.client import ClientOptions, XeroClient
from xeroflow_core.xero.errors import XeroMalformed


class InvoiceGateway(Protocol):
    """The two calls a push needs (XeroGateway below; tests may wrap it to inject crashes).
    `heartbeat`, when set, is called right before each request is sent and while a call waits
    on Xero's Retry-After (XeroClient); it raises to stop the call."""

    heartbeat: Callable[[float], None] | None

    def put_invoice(self, invoice: dict[str, Any], idempotency_key: str) -> dict[str, Any]: ...

    def find_by_reference(self, reference: str) -> dict[str, Any] | None: ...


class XeroGateway:
    """PUT and look-up through the XeroClient, for interactive work (it may
    spend the daily reserve) and with no retries of its own on 5xx/timeouts: after those, the
    outbox must look the invoice up before it tries again."""

    def __init__(
        self, engine: Engine, settings: Settings, tenant_id: str, http: Any = None, **opts: Any
    ) -> None:
        options = ClientOptions(retries=0, **opts)
        self.client = XeroClient(
            engine,
            settings,
            tenant_id,
            http=http,
            purpose="interactive",
            options=options,
            hooks=client_hooks(engine),
        )
        self.heartbeat: Callable[[float], None] | None = None

    def close(self) -> None:
        self.client.close()

    def put_invoice(self, invoice: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
        response = self.client.put(
            "Invoices",
            json={"Invoices": [invoice]},
            params={"summarizeErrors": "false", "unitdp": "4"},
            headers={"Idempotency-Key": idempotency_key},
            heartbeat=self.heartbeat,
        )
        body = self.client.json(response)
        items = body.get("Invoices") if isinstance(body, dict) else None
        if not items:
            raise XeroMalformed("Xero answered the invoice push without the invoice")
        return items[0]

    def find_by_reference(self, reference: str) -> dict[str, Any] | None:
        quoted = reference.replace('"', '\\"')
        body = self.client.get_json(
            "Invoices",
            params={"where": f'Type=="ACCREC"&&Reference=="{quoted}"'},
            heartbeat=self.heartbeat,
        )
        found = [i for i in body.get("Invoices") or [] if i.get("Reference") == reference]
        return found[0] if found else None


def _num(value: Decimal) -> str:
    """A quantity or amount for Xero as its exact decimal text (Xero reads numeric strings):
    never through a float, so no digit is lost however long the number is."""
    return format(Decimal(value), "f")


def invoice_body(draft: EomDraft, lines: list) -> dict[str, Any]:
    """The DRAFT invoice as Xero's PUT expects it (Contact by id only, dates as YYYY-MM-DD)."""
    body: dict[str, Any] = {
        "Type": "ACCREC",
        "Status": "DRAFT",
        "Contact": {"ContactID": draft.contact_id},
        "Date": draft.invoice_date.isoformat(),
        "LineAmountTypes": draft.line_amount_types,
        "Reference": draft.reference,
        "LineItems": [
            {
                "Description": ln.description,
                "Quantity": _num(ln.quantity),
                "UnitAmount": _num(ln.unit_amount),
                "AccountCode": ln.account_code,
                "TaxType": ln.tax_type,
            }
            for ln in lines
        ],
    }
    if draft.due_date:
        body["DueDate"] = draft.due_date.isoformat()
    if draft.currency_code:
        body["CurrencyCode"] = draft.currency_code
    return body


def _total(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def adoption_problem(found: dict[str, Any], contact_id: str, total: Decimal, ref: str) -> str:
    """Why the invoice Xero holds under our reference is not this draft's ('' if it is): an
    invoice is adopted only when its contact (case-insensitive) and total are the draft's."""
    number = str(found.get("InvoiceNumber") or found.get("InvoiceID") or "")
    contact = str((found.get("Contact") or {}).get("ContactID") or "")
    if contact.lower() != (contact_id or "").lower():
        return (
            f"Xero already has invoice {number} with reference {ref} for another contact: "
            "change the reference pattern in Billing"
        )
    theirs = _total(found.get("Total"))
    if theirs is None or theirs != total:
        return (
            f"Xero already has invoice {number} with reference {ref} and total {theirs}, but "
            f"this draft's total is {total}: check the invoice in Xero (delete or void it if it "
            "is not this draft's), then approve and push again"
        )
    return ""


def messages(inv: dict[str, Any]) -> list[str]:
    """Xero's validation messages on an invoice and its lines, each once."""
    out = [str(e.get("Message")) for e in inv.get("ValidationErrors") or [] if e.get("Message")]
    for ln in inv.get("LineItems") or []:
        out += [str(e.get("Message")) for e in ln.get("ValidationErrors") or [] if e.get("Message")]
    return list(dict.fromkeys(out))

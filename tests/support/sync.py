"""Start a test from a realistic synced database: connect a running sandbox over HTTP (the
Connect feature's own helper) and run a full sync of every organisation.

    with serve_in_thread(SandboxConfig(seed=7)) as url:
        synced = synced_sandbox_db(engine, url)
        synced.tenants["Demo Agency Ltd"]   # tenant id
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select

from xeroflow_core.models import Contact, DocumentLine, Invoice
from xeroflow_core.settings import Settings, load_settings
from xeroflow_core.sync.engine import SyncRunResult, sync_tenant
from xeroflow_core.xero.client import ClientOptions

FAST_RETRIES = ClientOptions(backoff_base=0.01, backoff_cap=0.05, timeout=10)


def sandbox_settings(base_url: str, **changes: Any) -> Settings:
    """Settings whose Xero addresses all point at the sandbox at `base_url`."""
    return dataclasses.replace(
        load_settings(),
        xero_login_url=base_url,
        xero_identity_url=base_url,
        xero_api_url=base_url,
        xero_redirect_uri="http://localhost:8501/connect",
        **changes,
    )


@dataclass
class Synced:
    settings: Settings
    tenants: dict[str, str]  # organisation name -> tenant id
    runs: dict[str, SyncRunResult] = field(default_factory=dict)  # tenant id -> first run


def connect(engine: Engine, base_url: str, settings: Settings | None = None) -> Synced:
    """Connect every sandbox organisation (no sync yet); the initial-sync requests the connect
    flow queues are marked done so the worker does not repeat them."""
    from tests.support.connect import connect_sandbox
    from xeroflow_core import work as wr
    from xeroflow_core.models import XeroConnection

    settings = settings or sandbox_settings(base_url)
    tenant_ids = connect_sandbox(engine, settings)
    for req in wr.pending(engine, 100):
        if req.kind == "sync" and wr.claim(engine, int(req.id or 0), "tests"):
            wr.finish(engine, int(req.id or 0), result={"skipped": "tests sync directly"})
    with engine.connect() as conn:
        t = XeroConnection.__table__
        names = {
            r.tenant_id: r.tenant_name for r in conn.execute(select(t.c.tenant_id, t.c.tenant_name))
        }
    return Synced(settings, {names.get(t, t): t for t in tenant_ids})


def synced_sandbox_db(
    engine: Engine,
    base_url: str,
    *,
    settings: Settings | None = None,
    options: ClientOptions | None = FAST_RETRIES,
) -> Synced:
    """Connect the sandbox at `base_url` and fully sync every organisation; asserts each run
    finished without error (an unavailable Classic Expenses is not an error)."""
    synced = connect(engine, base_url, settings)
    for tid in synced.tenants.values():
        result = sync_tenant(
            engine, synced.settings, tid, full=True, trigger="initial", options=options
        )
        assert result.status == "ok", f"sync of {tid} ended {result.status}: {result.error}"
        synced.runs[tid] = result
    return synced


def db_invoices(engine: Engine, tenant_id: str) -> dict[str, dict[str, Any]]:
    """Invoices stored for a tenant in the sandbox snapshot's shape (amounts as strings)."""
    t, lines = Invoice.__table__, DocumentLine.__table__
    with engine.connect() as conn:
        counts: dict[str, int] = {}
        for (doc_id,) in conn.execute(
            select(lines.c.document_id).where(
                lines.c.tenant_id == tenant_id, lines.c.document_kind == "invoice"
            )
        ):
            counts[doc_id] = counts.get(doc_id, 0) + 1
        out = {}
        for r in conn.execute(select(t).where(t.c.tenant_id == tenant_id)):
            out[r.invoice_id] = {
                "id": r.invoice_id,
                "number": r.invoice_number,
                "type": r.type,
                "status": r.status,
                "contactId": r.contact_id,
                "date": r.date.isoformat() if r.date else None,
                "currency": r.currency_code,
                "subTotal": str(r.sub_total.quantize(_CENT)),
                "totalTax": str(r.total_tax.quantize(_CENT)),
                "total": str(r.total.quantize(_CENT)),
                "amountDue": str(r.amount_due.quantize(_CENT)),
                "lines": counts.get(r.invoice_id, 0),
                "updatedMs": int(r.updated_utc.timestamp() * 1000) if r.updated_utc else None,
            }
        return out


def sandbox_invoices(sandbox: Any, tenant_id: str) -> dict[str, dict[str, Any]]:
    """The sandbox's own invoices in the same shape (its state, not an API call)."""
    from xero_sandbox.msdate import dt_ms

    org = sandbox.orgs[tenant_id]
    out = {}
    for d in list(org.invoices.items.values()):
        out[d.id] = {
            "id": d.id,
            "number": d.number,
            "type": d.type,
            "status": d.status,
            "contactId": d.contact_id,
            "date": d.date.isoformat() if d.date else None,
            "currency": d.currency_code,
            "subTotal": str(d.sub_total.quantize(_CENT)),
            "totalTax": str(d.total_tax.quantize(_CENT)),
            "total": str(d.total.quantize(_CENT)),
            "amountDue": str(d.amount_due.quantize(_CENT)),
            "lines": len(d.lines),
            "updatedMs": dt_ms(d.updated),
        }
    return out


def db_contacts(engine: Engine, tenant_id: str) -> dict[str, tuple]:
    t = Contact.__table__
    with engine.connect() as conn:
        return {
            r.contact_id: (r.name, r.status, r.merged_to_contact_id)
            for r in conn.execute(select(t).where(t.c.tenant_id == tenant_id))
        }


def sandbox_contacts(sandbox: Any, tenant_id: str) -> dict[str, tuple]:
    org = sandbox.orgs[tenant_id]
    return {c.id: (c.name, c.status, c.merged_to) for c in list(org.contacts.items.values())}


from decimal import Decimal  # noqa: E402

_CENT = Decimal("0.01")

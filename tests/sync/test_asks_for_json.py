"""XeroFlow's own client always asks Xero for JSON: without `Accept: application/json` Xero (and
the sandbox) answers XML. Proven on the sandbox's access log over a connect, a full sync of
every organisation and a write whose caller tried to ask for something else."""

from __future__ import annotations

from tests.support.sync import synced_sandbox_db
from xeroflow_core.xero.client import XeroClient


def test_every_call_xeroflow_makes_asks_for_json(sqlite_engine, sandbox, sandbox_url) -> None:
    sandbox.access_log.clear()
    synced = synced_sandbox_db(sqlite_engine, sandbox_url)
    tenant = synced.tenants["Demo Agency Ltd"]
    contact = next(c for c in sandbox.orgs[tenant].contacts.items.values() if c.is_customer)
    body = {
        "Invoices": [
            {
                "Type": "ACCREC",
                "Contact": {"ContactID": contact.id},
                "LineItems": [{"Description": "x", "UnitAmount": "1.00", "AccountCode": "200"}],
            }
        ]
    }
    with XeroClient(sqlite_engine, synced.settings, tenant, purpose="eom") as client:
        made = client.put("Invoices", body, headers={"accept": "application/xml", "X-Note": "n"})
        assert client.json(made)["Invoices"][0]["Status"] == "DRAFT"
    calls = [
        e
        for e in list(sandbox.access_log)
        if e["path"].lower().startswith(("/api.xro/", "/connections"))
    ]
    assert len(calls) > 10 and any(e["method"] == "PUT" for e in calls)
    assert {e["accept"] for e in calls} == {"application/json"}

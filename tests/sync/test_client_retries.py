"""The API client never retries a write on its own unless it carries an Idempotency-Key (Xero
may have applied the first attempt; only the key makes a repeat safe). Reads still retry."""

from __future__ import annotations

import pytest

from tests.support.sync import FAST_RETRIES, connect
from xeroflow_core.xero.client import XeroClient
from xeroflow_core.xero.errors import XeroUnavailable

from .conftest import api_calls


def _invoice(sandbox, tenant: str) -> dict:
    contact = next(iter(sandbox.orgs[tenant].contacts.items.values())).id
    line = {"Description": "Retry test", "Quantity": 1, "UnitAmount": 10, "AccountCode": "200"}
    return {
        "Invoices": [
            {
                "Type": "ACCREC",
                "Contact": {"ContactID": contact},
                "Status": "DRAFT",
                "Date": "2026-11-30",
                "LineItems": [line],
            }
        ]
    }


@pytest.mark.parametrize("kind", ["status", "drop"])
def test_a_write_without_idempotency_key_is_not_retried(sqlite_engine, sandbox, sandbox_url, kind):
    synced = connect(sqlite_engine, sandbox_url)
    tenant = synced.tenants["Demo Agency Ltd"]
    sandbox.faults.arm({"kind": kind, "status": 503, "path": "Invoices", "method": "PUT"})
    before = api_calls(sandbox, tenant)
    client = XeroClient(sqlite_engine, synced.settings, tenant, options=FAST_RETRIES)
    with client, pytest.raises(XeroUnavailable):
        client.put("Invoices", _invoice(sandbox, tenant))
    assert api_calls(sandbox, tenant) - before <= 1  # one attempt, no automatic repeat


def test_a_write_with_idempotency_key_is_retried(sqlite_engine, sandbox, sandbox_url):
    synced = connect(sqlite_engine, sandbox_url)
    tenant = synced.tenants["Demo Agency Ltd"]
    sandbox.faults.arm({"kind": "status", "status": 503, "path": "Invoices", "method": "PUT"})
    with XeroClient(sqlite_engine, synced.settings, tenant, options=FAST_RETRIES) as client:
        resp = client.put(
            "Invoices", _invoice(sandbox, tenant), headers={"Idempotency-Key": "retry-test-1"}
        )
    assert resp.status_code == 200


def test_a_read_is_still_retried(sqlite_engine, sandbox, sandbox_url):
    synced = connect(sqlite_engine, sandbox_url)
    tenant = synced.tenants["Demo Agency Ltd"]
    sandbox.faults.arm({"kind": "status", "status": 503, "path": "Organisation", "count": 2})
    with XeroClient(sqlite_engine, synced.settings, tenant, options=FAST_RETRIES) as client:
        assert client.get("Organisation").status_code == 200

"""The happy path end to end in-process: consent, token, connections, a page of invoices."""

from __future__ import annotations


def test_connect_and_read_invoices(shared):
    app, client, conn = shared
    assert set(conn.tenants) == {"Demo Agency Ltd", "Demo Studio Pty"}
    r = client.get(
        "/api.xro/2.0/Invoices",
        params={"page": 1, "pageSize": 1000},
        headers=conn.headers(conn.agency),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["Status"] == "OK" and body["pagination"]["page"] == 1
    assert body["Invoices"] and "LineItems" in body["Invoices"][0]
    assert r.headers["X-DayLimit-Remaining"] and r.headers["X-MinLimit-Remaining"]
    for res in (
        "Organisation",
        "Accounts",
        "TaxRates",
        "TrackingCategories",
        "Contacts",
        "CreditNotes",
        "ExpenseClaims",
        "Reports/ProfitAndLoss",
    ):
        r = client.get(f"/api.xro/2.0/{res}", headers=conn.headers(conn.agency))
        assert r.status_code == 200, (res, r.text)

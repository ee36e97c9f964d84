"""Test controls (approve, pay, void, delete, archive, merge, snapshots, reset) and the P&L
report tying to the cent with the documents the API serves."""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

API = "/api.xro/2.0"
C = Decimal("0.01")


def _all(client, h, path, key):
    out, page = [], 1
    while True:
        body = client.get(
            f"{API}/{path}", params={"page": page, "pageSize": 1000}, headers=h
        ).json()
        out += body[key]
        if page >= body["pagination"]["pageCount"]:
            return out
        page += 1


def _expected_pnl(client, h, start, end):
    """What the app's reconciliation does: posted lines, ex-tax, in base currency, per account."""
    sums: dict[str, Decimal] = defaultdict(Decimal)
    sign = {"ACCREC": 1, "ACCPAYCREDIT": 1, "ACCPAY": -1, "ACCRECCREDIT": -1}
    docs = _all(client, h, "Invoices", "Invoices") + _all(client, h, "CreditNotes", "CreditNotes")
    receipts = []
    for claim in client.get(f"{API}/ExpenseClaims", headers=h).json()["ExpenseClaims"]:
        if claim["Status"] in ("AUTHORISED", "PAID"):
            detail = client.get(f"{API}/ExpenseClaims/{claim['ExpenseClaimID']}", headers=h).json()[
                "ExpenseClaims"
            ][0]
            receipts += [
                dict(r, Type="RECEIPT") for r in detail["Receipts"] if r["Status"] == "AUTHORISED"
            ]
    sign["RECEIPT"] = -1
    for d in docs + receipts:
        if d["Status"] not in ("AUTHORISED", "PAID") and d["Type"] != "RECEIPT":
            continue
        day = int(d["Date"][6:-7]) // 86_400_000
        if not (start <= day <= end):
            continue
        rate = Decimal(str(d.get("CurrencyRate", 1)))
        for ln in d["LineItems"]:
            net = Decimal(str(ln["LineAmount"]))
            if d["LineAmountTypes"] == "Inclusive":
                net -= Decimal(str(ln["TaxAmount"]))
            base = net if rate == 1 else (net / rate).quantize(C, ROUND_HALF_UP)
            sums[ln["AccountCode"]] += sign[d["Type"]] * base
    return sums


def test_pnl_ties_to_documents(shared):
    from datetime import date

    _, client, conn = shared
    h = conn.headers(conn.agency)
    accounts = {
        a["AccountID"]: a for a in client.get(f"{API}/Accounts", headers=h).json()["Accounts"]
    }
    start, end = date(2025, 12, 1), date(2026, 10, 31)
    epoch = date(1970, 1, 1)
    expected = _expected_pnl(client, h, (start - epoch).days, (end - epoch).days)
    report = client.get(
        f"{API}/Reports/ProfitAndLoss",
        params={"fromDate": start.isoformat(), "toDate": end.isoformat()},
        headers=h,
    ).json()["Reports"][0]
    assert report["Rows"][0]["RowType"] == "Header"
    got = {}
    for section in report["Rows"][1:]:
        for row in section["Rows"]:
            cell = row["Cells"][0]
            if row["RowType"] == "Row" and cell.get("Attributes"):
                acc = accounts[cell["Attributes"][0]["Value"]]
                income = acc["Type"] in ("REVENUE", "SALES", "OTHERINCOME")
                got[acc["Code"]] = Decimal(row["Cells"][1]["Value"]) * (1 if income else -1)
    assert got == {k: v for k, v in expected.items() if v}
    assert {"200", "210", "310", "320"} <= set(got)
    net = next(
        r for s in report["Rows"][1:] for r in s["Rows"] if r["Cells"][0]["Value"] == "Net Profit"
    )
    assert Decimal(net["Cells"][1]["Value"]) == sum(got.values())
    snap = client.get(
        f"/_sandbox/state/{conn.agency}/pnl",
        params={"fromDate": start.isoformat(), "toDate": end.isoformat()},
    ).json()
    assert {k: Decimal(v) for k, v in snap.items() if Decimal(v)} == got


def test_person_edits_in_xero(fresh):
    _, client, conn = fresh
    h = conn.headers(conn.agency)
    t = conn.agency
    cid = client.get(f"{API}/Contacts", headers=h).json()["Contacts"][0]["ContactID"]
    inv = client.post(
        f"/_sandbox/orgs/{t}/invoices",
        json={
            "Type": "ACCREC",
            "Contact": {"ContactID": cid},
            "Date": "2026-11-02",
            "DueDate": "2026-11-20",
            "LineItems": [
                {"Description": "x", "Quantity": 2, "UnitAmount": 50, "AccountCode": "200"}
            ],
        },
    ).json()
    assert inv["Status"] == "DRAFT" and inv["Total"] == 115.0
    iid = inv["InvoiceID"]
    approved = client.post(f"/_sandbox/orgs/{t}/invoices/{iid}/approve").json()
    assert approved["Status"] == "AUTHORISED"
    part = client.post(f"/_sandbox/orgs/{t}/invoices/{iid}/pay", json={"amount": "15.00"}).json()
    assert part["Status"] == "AUTHORISED" and part["AmountDue"] == 100.0
    paid = client.post(f"/_sandbox/orgs/{t}/invoices/{iid}/pay").json()
    assert paid["Status"] == "PAID" and "FullyPaidOnDate" in paid
    assert client.post(f"/_sandbox/orgs/{t}/invoices/{iid}/void").status_code == 400
    stamps = [int(x["UpdatedDateUTC"][6:-7]) for x in (inv, approved, part, paid)]
    assert stamps == sorted(set(stamps))
    # Incremental read sees the change.
    since = client.get(
        f"{API}/Invoices", headers=h | {"If-Modified-Since": "2026-11-26T00:00:00"}
    ).json()["Invoices"]
    assert iid in {i["InvoiceID"] for i in since}
    snap = {r["id"]: r for r in client.get(f"/_sandbox/state/{t}/invoices").json()}
    assert snap[iid]["status"] == "PAID" and snap[iid]["total"] == "115.00"


def test_contact_archive_and_merge(fresh):
    _, client, conn = fresh
    h = conn.headers(conn.agency)
    t = conn.agency
    contacts = client.get(f"{API}/Contacts", headers=h).json()["Contacts"]
    a, b = contacts[0]["ContactID"], contacts[1]["ContactID"]
    a_invoices = {
        i["InvoiceID"]
        for i in client.get(f"{API}/Invoices", params={"ContactIDs": a}, headers=h).json()[
            "Invoices"
        ]
    }
    merged = client.post(f"/_sandbox/orgs/{t}/contacts/{a}/merge", json={"into": b}).json()
    assert merged["ContactStatus"] == "ARCHIVED" and merged["MergedToContactID"] == b
    moved = {
        i["InvoiceID"]
        for i in client.get(f"{API}/Invoices", params={"ContactIDs": b}, headers=h).json()[
            "Invoices"
        ]
    }
    assert a_invoices <= moved
    c = contacts[2]["ContactID"]
    client.post(f"/_sandbox/orgs/{t}/contacts/{c}/archive")
    assert c not in {
        x["ContactID"] for x in client.get(f"{API}/Contacts", headers=h).json()["Contacts"]
    }
    created = client.post(
        f"/_sandbox/orgs/{t}/contacts", json={"Name": "New Client Ltd", "IsCustomer": True}
    ).json()
    assert (
        client.get(f"{API}/Contacts/{created['ContactID']}", headers=h).json()["Contacts"][0][
            "Name"
        ]
        == "New Client Ltd"
    )
    renamed = client.post(f"/_sandbox/orgs/{t}/contacts/{b}", json={"Name": "Renamed Ltd"}).json()
    assert renamed["Name"] == "Renamed Ltd"


def test_token_controls_and_disconnect(fresh):
    _, client, conn = fresh
    h = conn.headers(conn.agency)
    assert client.post("/_sandbox/tokens/expire").json()["expired"] >= 1
    assert client.get(f"{API}/Organisation", headers=h).status_code == 401
    new = client.post(
        "/connect/token",
        data={"grant_type": "refresh_token", "refresh_token": conn.refresh_token},
        auth=("xeroflow-demo", "xeroflow-demo-secret"),
    ).json()
    h["Authorization"] = f"Bearer {new['access_token']}"
    assert client.get(f"{API}/Organisation", headers=h).status_code == 200
    client.post("/_sandbox/disconnect", json={"tenant_id": conn.agency})
    assert client.get(f"{API}/Organisation", headers=h).status_code == 403
    client.post("/_sandbox/tokens/revoke", json={"refresh_token": new["refresh_token"]})
    bad = client.post(
        "/connect/token",
        data={"grant_type": "refresh_token", "refresh_token": new["refresh_token"]},
        auth=("xeroflow-demo", "xeroflow-demo-secret"),
    )
    assert bad.json() == {"error": "invalid_grant"}


def test_expense_modes_and_reset(fresh):
    _, client, conn = fresh
    h = conn.headers(conn.agency)
    client.post(f"/_sandbox/orgs/{conn.agency}/expenses", json={"mode": "empty"})
    assert client.get(f"{API}/ExpenseClaims", headers=h).json()["ExpenseClaims"] == []
    client.post(f"/_sandbox/orgs/{conn.agency}/expenses", json={"mode": "unauthorized"})
    assert client.get(f"{API}/ExpenseClaims", headers=h).status_code == 401
    state = client.post("/_sandbox/reset").json()
    assert state["connections"] == [] and state["organisations"][0]["classicExpenses"] == "enabled"
    assert client.get(f"{API}/Organisation", headers=h).status_code == 401  # tokens forgotten


def test_access_log_records_accept_header(fresh):
    _, client, conn = fresh
    client.delete("/_sandbox/access-log")
    client.get(f"{API}/Organisation", headers=conn.headers(conn.agency))
    log = client.get("/_sandbox/access-log").json()
    assert log[0]["accept"] == "application/json" and log[0]["tenant"] == conn.agency


def test_controls_are_off_unless_asked_for():
    from xero_sandbox.app import SandboxConfig

    from .conftest import AS_OF, make_client

    _, client = make_client(SandboxConfig(as_of=AS_OF, size="small"))
    assert client.get("/_sandbox/state").status_code == 404
    assert client.get("/_sandbox/console").status_code == 404


def test_determinism():
    from datetime import UTC, date, datetime

    from xero_sandbox.generator import generate

    a = generate(7, date(2026, 11, 26), datetime(2026, 11, 26, 12, tzinfo=UTC), "small")
    b = generate(7, date(2026, 11, 26), datetime(2026, 11, 26, 12, tzinfo=UTC), "small")
    assert [(d.id, d.total, d.updated) for d in a[0].invoices.since(None)] == [
        (d.id, d.total, d.updated) for d in b[0].invoices.since(None)
    ]
    c = generate(8, date(2026, 11, 26), datetime(2026, 11, 26, 12, tzinfo=UTC), "small")
    assert a[0].tenant_id != c[0].tenant_id
    months = {
        d.date.strftime("%Y-%m")
        for d in generate(7, date(2026, 11, 26), datetime(2026, 11, 26, 12, tzinfo=UTC), "demo")[
            0
        ].invoices.items.values()
    }
    assert "2026-10" in months and "2026-11" not in months and "2023-11" in months


def test_pnl_tracking_split_sums_to_total(shared):
    _, client, conn = shared
    h = conn.headers(conn.agency)
    cat = client.get(
        f"{API}/TrackingCategories", params={"includeArchived": "true"}, headers=h
    ).json()["TrackingCategories"][0]
    params = {
        "fromDate": "2026-01-01",
        "toDate": "2026-10-31",
        "trackingCategoryID": cat["TrackingCategoryID"],
    }
    report = client.get(f"{API}/Reports/ProfitAndLoss", params=params, headers=h).json()["Reports"][
        0
    ]
    header = [c["Value"] for c in report["Rows"][0]["Cells"]]
    assert header[1:] == [o["Name"] for o in cat["Options"]] + ["Unassigned", "Total"]
    plain = client.get(
        f"{API}/Reports/ProfitAndLoss",
        params={"fromDate": "2026-01-01", "toDate": "2026-10-31"},
        headers=h,
    ).json()["Reports"][0]
    plain_rows = {
        r["Cells"][0]["Value"]: r["Cells"][1]["Value"] for s in plain["Rows"][1:] for r in s["Rows"]
    }
    for section in report["Rows"][1:]:
        for row in section["Rows"]:
            values = [Decimal(c["Value"]) for c in row["Cells"][1:]]
            assert sum(values[:-1]) == values[-1]  # options + Unassigned = Total
            assert values[-1] == Decimal(plain_rows[row["Cells"][0]["Value"]])
    one = cat["Options"][0]["TrackingOptionID"]
    single = client.get(
        f"{API}/Reports/ProfitAndLoss", params=params | {"trackingOptionID": one}, headers=h
    ).json()["Reports"][0]
    assert len(single["Rows"][0]["Cells"]) == 2

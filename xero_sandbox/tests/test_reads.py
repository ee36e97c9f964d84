"""Accounting API reads: envelope, paging, line items only when paged, If-Modified-Since,
filters, `where`/`order`, 401/403/404 shapes, scopes, expense claims per org, dates."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from .conftest import GRANULAR, connect

API = "/api.xro/2.0"
MSDATE = re.compile(r"^/Date\(\d+\+0000\)/$")


def get(client, conn, path, tenant=None, **kw):
    headers = conn.headers(tenant or conn.agency) | kw.pop("headers", {})
    return client.get(f"{API}/{path}", headers=headers, **kw)


def test_envelope_and_dates(shared):
    _, client, conn = shared
    body = get(client, conn, "Invoices", params={"page": 1}).json()
    assert set(body) >= {"Id", "Status", "ProviderName", "DateTimeUTC", "pagination", "Invoices"}
    assert re.fullmatch(r"/Date\(\d+\)/", body["DateTimeUTC"])
    inv = body["Invoices"][0]
    assert MSDATE.match(inv["Date"]) and MSDATE.match(inv["UpdatedDateUTC"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", inv["UpdatedDateUTCString"])
    assert inv["DateString"].endswith("T00:00:00")
    ms = int(inv["Date"][6:-7])
    assert ms % 86_400_000 == 0  # UTC midnight of the calendar date


def test_paging_and_line_items(shared):
    _, client, conn = shared
    unpaged = get(client, conn, "Invoices").json()
    assert "pagination" not in unpaged and all("LineItems" not in i for i in unpaged["Invoices"])
    total = len(unpaged["Invoices"])
    p1 = get(client, conn, "Invoices", params={"page": 1, "pageSize": 500}).json()
    assert p1["pagination"] == {
        "page": 1,
        "pageSize": 500,
        "pageCount": -(-total // 500),
        "itemCount": total,
    }
    assert all("LineItems" in i for i in p1["Invoices"])
    seen = set()
    for page in range(1, p1["pagination"]["pageCount"] + 1):
        seen |= {
            i["InvoiceID"]
            for i in get(client, conn, "Invoices", params={"page": page, "pageSize": 500}).json()[
                "Invoices"
            ]
        }
    assert len(seen) == total
    past = get(client, conn, "Invoices", params={"page": 99, "pageSize": 500}).json()
    assert past["Invoices"] == []
    clamp = get(client, conn, "Invoices", params={"page": 1, "pageSize": 5000}).json()
    assert clamp["pagination"]["pageSize"] == 1000
    default = get(client, conn, "Invoices", params={"page": 1}).json()
    assert default["pagination"]["pageSize"] == 100 and len(default["Invoices"]) == 100


def test_single_invoice_has_lines_and_404(shared):
    _, client, conn = shared
    inv = get(client, conn, "Invoices", params={"page": 1, "pageSize": 1}).json()["Invoices"][0]
    one = get(client, conn, f"Invoices/{inv['InvoiceID']}").json()
    assert one["Invoices"][0]["LineItems"] == inv["LineItems"]
    by_number = (
        get(client, conn, f"Invoices/{inv['InvoiceNumber']}").json()
        if inv["Type"] == "ACCREC"
        else one
    )
    assert by_number["Invoices"][0]["InvoiceID"] == inv["InvoiceID"]
    r = get(client, conn, "Invoices/00000000-0000-0000-0000-000000000001")
    assert r.status_code == 404
    assert get(client, conn, "NoSuchThing").status_code == 404


def test_invoice_arithmetic(shared):
    _, client, conn = shared
    rates = {
        t["TaxType"]: Decimal(str(t["EffectiveRate"]))
        for t in get(client, conn, "TaxRates").json()["TaxRates"]
    }
    for inv in get(client, conn, "Invoices", params={"page": 1, "pageSize": 1000}).json()[
        "Invoices"
    ]:
        lines = inv["LineItems"]
        sub = sum(Decimal(str(ln["LineAmount"])) for ln in lines)
        tax = sum(Decimal(str(ln["TaxAmount"])) for ln in lines)
        for ln in lines:
            rate = rates[ln["TaxType"]] / 100
            amount = Decimal(str(ln["LineAmount"]))
            expect = (
                amount * rate / (1 + rate)
                if inv["LineAmountTypes"] == "Inclusive"
                else amount * rate
            )
            assert Decimal(str(ln["TaxAmount"])) == expect.quantize(
                Decimal("0.01"), "ROUND_HALF_UP"
            )
        assert Decimal(str(inv["TotalTax"])) == tax
        total = sub if inv["LineAmountTypes"] == "Inclusive" else sub + tax
        assert Decimal(str(inv["Total"])) == total
        assert Decimal(str(inv["AmountDue"])) == Decimal(str(inv["Total"])) - Decimal(
            str(inv["AmountPaid"])
        ) - Decimal(str(inv["AmountCredited"]))


def test_amounts_have_two_decimals_in_the_raw_json(shared):
    _, client, conn = shared
    raw = get(client, conn, "Invoices", params={"page": 1, "pageSize": 5}).text
    assert re.search(r'"Total":\d+\.\d\d[,}]', raw) and re.search(
        r'"CurrencyRate":\d+\.\d{6}[,}]', raw
    )


def test_filters_statuses_ids_contacts_where(shared):
    _, client, conn = shared
    allinv = get(client, conn, "Invoices").json()["Invoices"]
    statuses = {i["Status"] for i in allinv}
    assert {"DRAFT", "SUBMITTED", "AUTHORISED", "PAID", "VOIDED", "DELETED"} <= statuses
    drafts = get(client, conn, "Invoices", params={"Statuses": "DRAFT,SUBMITTED"}).json()[
        "Invoices"
    ]
    assert drafts and {i["Status"] for i in drafts} == {"DRAFT", "SUBMITTED"}
    some = [i["InvoiceID"] for i in allinv[:3]]
    assert {
        i["InvoiceID"]
        for i in get(client, conn, "Invoices", params={"IDs": ",".join(some)}).json()["Invoices"]
    } == set(some)
    cid = allinv[0]["Contact"]["ContactID"]
    by_contact = get(client, conn, "Invoices", params={"ContactIDs": cid}).json()["Invoices"]
    assert by_contact and all(i["Contact"]["ContactID"] == cid for i in by_contact)
    w = get(
        client,
        conn,
        "Invoices",
        params={"where": f'Type=="ACCREC" AND Contact.ContactID==guid("{cid.upper()}")'},
    ).json()["Invoices"]
    assert {i["InvoiceID"] for i in w} == {
        i["InvoiceID"] for i in by_contact if i["Type"] == "ACCREC"
    }
    ref = next(i["Reference"] for i in allinv if i["Reference"])
    assert all(
        i["Reference"] == ref
        for i in get(client, conn, "Invoices", params={"where": f'Reference=="{ref}"'}).json()[
            "Invoices"
        ]
    )
    paid = get(
        client, conn, "Invoices", params={"where": 'Status=="PAID" && Type=="ACCPAY"'}
    ).json()["Invoices"]
    assert paid and all(i["Status"] == "PAID" and i["Type"] == "ACCPAY" for i in paid)
    dated = get(
        client,
        conn,
        "Invoices",
        params={"where": "Date >= DateTime(2026, 10, 01) AND Date < DateTime(2026, 11, 01)"},
    ).json()["Invoices"]
    assert dated and all(i["DateString"].startswith("2026-10") for i in dated)


def test_bad_where_is_query_parse_exception(shared):
    _, client, conn = shared
    for bad in ('Type=="ACCREC" AND', "NoSuchField==1", "Type==="):
        r = get(client, conn, "Invoices", params={"where": bad})
        assert (
            r.status_code == 400
            and r.json()["ErrorNumber"] == 16
            and r.json()["Type"] == "QueryParseException"
        )


def test_order(shared):
    _, client, conn = shared
    rows = get(
        client,
        conn,
        "Invoices",
        params={"order": "UpdatedDateUTC ASC", "page": 1, "pageSize": 1000},
    ).json()["Invoices"]
    ms = [int(i["UpdatedDateUTC"][6:-7]) for i in rows]
    assert ms == sorted(ms)
    desc = get(
        client, conn, "Invoices", params={"order": "Date DESC", "where": 'Type=="ACCREC"'}
    ).json()["Invoices"]
    dates = [int(i["Date"][6:-7]) for i in desc]
    assert dates == sorted(dates, reverse=True)


def test_if_modified_since_second_precision(shared):
    _, client, conn = shared
    rows = get(client, conn, "Invoices", params={"order": "UpdatedDateUTC ASC"}).json()["Invoices"]
    pivot = rows[len(rows) // 2]
    ms = int(pivot["UpdatedDateUTC"][6:-7])
    second = datetime.fromtimestamp(ms // 1000, UTC)
    header = second.strftime("%Y-%m-%dT%H:%M:%S")
    got = get(client, conn, "Invoices", headers={"If-Modified-Since": header}).json()["Invoices"]
    expect = [i["InvoiceID"] for i in rows if int(i["UpdatedDateUTC"][6:-7]) >= (ms // 1000) * 1000]
    assert [i["InvoiceID"] for i in got] == expect and pivot["InvoiceID"] in expect
    future = get(client, conn, "Invoices", headers={"If-Modified-Since": "2099-01-01T00:00:00"})
    assert future.status_code == 200 and future.json()["Invoices"] == []
    with_offset = get(
        client, conn, "Invoices", headers={"If-Modified-Since": second.astimezone().isoformat()}
    ).json()["Invoices"]
    assert len(with_offset) == len(got)


def test_contacts_archived_merged(shared):
    _, client, conn = shared
    active = get(client, conn, "Contacts").json()["Contacts"]
    assert all(c["ContactStatus"] == "ACTIVE" for c in active)
    everyone = get(client, conn, "Contacts", params={"includeArchived": "true", "page": 1}).json()
    assert everyone["pagination"]["itemCount"] > len(active)
    merged = [c for c in everyone["Contacts"] if c.get("MergedToContactID")]
    assert merged and merged[0]["ContactStatus"] == "ARCHIVED"
    unpaged = get(client, conn, "Contacts", params={"includeArchived": "true"}).json()["Contacts"]
    assert not any("MergedToContactID" in c for c in unpaged)
    one = get(client, conn, f"Contacts/{merged[0]['ContactID']}").json()["Contacts"][0]
    assert one["MergedToContactID"] == merged[0]["MergedToContactID"]
    ids = [c["ContactID"] for c in active[:2]]
    assert len(get(client, conn, "Contacts", params={"IDs": ",".join(ids)}).json()["Contacts"]) == 2
    usd = get(client, conn, "Contacts", params={"where": 'DefaultCurrency=="USD"'}).json()[
        "Contacts"
    ]
    assert [c["Name"] for c in usd] == ["Bluewater Outfitters Inc"]


def test_settings_endpoints(shared):
    _, client, conn = shared
    org = get(client, conn, "Organisation").json()
    assert "pagination" not in org and org["Organisations"][0]["BaseCurrency"] == "NZD"
    accounts = {a["Code"]: a for a in get(client, conn, "Accounts").json()["Accounts"]}
    assert (
        accounts["200"]["Type"] == "REVENUE"
        and accounts["320"]["Type"] == "DIRECTCOSTS"
        and accounts["999"]["Status"] == "ARCHIVED"
    )
    cats = get(client, conn, "TrackingCategories").json()["TrackingCategories"]
    assert [c["Name"] for c in cats] == ["Client"] and all(
        o["Status"] == "ACTIVE" for o in cats[0]["Options"]
    )
    with_archived = get(
        client, conn, "TrackingCategories", params={"includeArchived": "true"}
    ).json()["TrackingCategories"]
    assert len(with_archived[0]["Options"]) == len(cats[0]["Options"]) + 1
    studio = get(client, conn, "Organisation", tenant=conn.studio).json()["Organisations"][0]
    assert studio["BaseCurrency"] == "AUD" and studio["Name"] == "Demo Studio Pty"


def test_bills_carry_client_tracking_and_usd_invoice(shared):
    _, client, conn = shared
    bills = get(
        client, conn, "Invoices", params={"page": 1, "pageSize": 1000, "where": 'Type=="ACCPAY"'}
    ).json()["Invoices"]
    tracked = [ln for b in bills for ln in b["LineItems"] if ln["Tracking"]]
    assert tracked and tracked[0]["Tracking"][0]["Name"] == "Client"
    usd = get(client, conn, "Invoices", params={"page": 1, "where": 'CurrencyCode=="USD"'}).json()[
        "Invoices"
    ]
    assert usd and all(Decimal(str(i["CurrencyRate"])) != 1 for i in usd)


def test_expense_claims_per_org(shared):
    _, client, conn = shared
    claims = get(client, conn, "ExpenseClaims").json()
    assert "pagination" not in claims and claims["ExpenseClaims"]
    claim = claims["ExpenseClaims"][0]
    assert "LineItems" not in claim["Receipts"][0]
    detail = get(client, conn, f"ExpenseClaims/{claim['ExpenseClaimID']}").json()["ExpenseClaims"][
        0
    ]
    assert "LineItems" in detail["Receipts"][0]
    receipt = get(client, conn, f"Receipts/{detail['Receipts'][0]['ReceiptID']}").json()[
        "Receipts"
    ][0]
    assert receipt["LineItems"]
    refused = get(client, conn, "ExpenseClaims", tenant=conn.studio)
    assert refused.status_code == 403 and refused.json()["Title"] == "Forbidden"


def test_auth_errors(shared):
    _, client, conn = shared
    missing = client.get(f"{API}/Invoices", headers=conn.headers())
    assert (
        missing.status_code == 403
        and missing.json()["Detail"] == "AuthenticationUnsuccessful"
        and missing.json()["Title"] == "Forbidden"
    )
    wrong = client.get(
        f"{API}/Invoices", headers=conn.headers("00000000-0000-0000-0000-000000000000")
    )
    assert wrong.status_code == 403
    garbage = client.get(
        f"{API}/Invoices", headers={"Authorization": "Bearer nope", "xero-tenant-id": conn.agency}
    )
    assert garbage.status_code == 401
    upper = client.get(
        f"{API}/Invoices",
        headers={
            "Authorization": f"Bearer {conn.access_token}",
            "Xero-Tenant-Id": conn.agency.upper(),
        },
    )
    assert upper.status_code == 200


@pytest.mark.parametrize(
    ("scope", "path", "status"),
    [
        ("openid accounting.settings.read", "Organisation", 200),
        ("openid accounting.settings.read", "Invoices", 401),
        ("openid accounting.contacts.read", "Contacts", 200),
        ("openid accounting.invoices.read", "Invoices", 200),
        ("openid accounting.invoices.read", "CreditNotes", 200),
        ("openid accounting.transactions.read", "ExpenseClaims", 200),
        ("openid accounting.invoices", "ExpenseClaims", 401),
        ("openid accounting.classicexpenses.read", "ExpenseClaims", 200),
        ("openid accounting.reports.profitandloss.read", "Reports/ProfitAndLoss", 200),
        ("openid accounting.reports.read", "Reports/ProfitAndLoss", 200),
        ("openid accounting.invoices", "Reports/ProfitAndLoss", 401),
    ],
)
def test_scope_enforcement(shared, scope, path, status):
    _, client, _ = shared
    conn = connect(client, scope=scope)
    r = get(client, conn, path)
    assert r.status_code == status, r.text
    if status == 401:
        assert (
            "insufficient_scope" in r.headers["www-authenticate"]
            and r.json()["Detail"] == "AuthorizationUnsuccessful"
        )


def test_granular_read_scope_cannot_write(shared):
    _, client, _ = shared
    conn = connect(
        client, scope="openid offline_access accounting.invoices.read accounting.contacts.read"
    )
    r = client.put(f"{API}/Invoices", json={"Invoices": []}, headers=conn.headers(conn.agency))
    assert r.status_code == 401


def test_token_expiry_401_shape(fresh):
    _, client, conn = fresh
    client.post("/_sandbox/clock", json={"advance_seconds": 1801})
    r = get(client, conn, "Invoices")
    assert r.status_code == 401 and r.json()["Detail"].startswith("TokenExpired: token expired at ")
    assert r.json()["Title"] == "Unauthorized" and r.json()["Status"] == 401


def test_granular_scopes_full_set(shared):
    _, client, _ = shared
    conn = connect(client, scope=GRANULAR)
    for path in (
        "Organisation",
        "Accounts",
        "Contacts",
        "Invoices",
        "CreditNotes",
        "ExpenseClaims",
        "Reports/ProfitAndLoss",
    ):
        assert get(client, conn, path).status_code == 200, path

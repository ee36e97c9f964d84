"""The `where` language on its own, and expense claims created and approved through the controls
(their receipts reach the P&L only once the claim is authorised)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from xero_sandbox.query import QueryError, compile_order, compile_where, sort_records

API = "/api.xro/2.0"
ROWS = [
    {
        "name": "Alpha Ltd",
        "n": Decimal("5"),
        "d": date(2026, 1, 5),
        "flag": True,
        "id": "AB4C1C1E-0000-4000-8000-000000000001",
        "email": None,
    },
    {
        "name": "Beta Co",
        "n": Decimal("10"),
        "d": date(2026, 3, 1),
        "flag": False,
        "id": "ab4c1c1e-0000-4000-8000-000000000002",
        "email": "b@x",
    },
]
FIELDS = {
    "name": lambda r: r["name"],
    "amount": lambda r: r["n"],
    "date": lambda r: r["d"],
    "iscustomer": lambda r: r["flag"],
    "contact.contactid": lambda r: r["id"],
    "emailaddress": lambda r: r["email"],
}


@pytest.mark.parametrize(
    ("where", "names"),
    [
        ('Name == "Alpha Ltd"', ["Alpha Ltd"]),
        ('Name != "Alpha Ltd"', ["Beta Co"]),
        ('Name.Contains("ta")', ["Beta Co"]),
        ('Name.StartsWith("Al") OR Name.EndsWith("Co")', ["Alpha Ltd", "Beta Co"]),
        ("Amount > 5", ["Beta Co"]),
        ("Amount >= 5 && IsCustomer == true", ["Alpha Ltd"]),
        ("Date < DateTime(2026, 02, 01)", ["Alpha Ltd"]),
        ('Date >= DateTime.Parse("2026-02-01T00:00:00")', ["Beta Co"]),
        ('Contact.ContactID == Guid("ab4c1c1e-0000-4000-8000-000000000001")', ["Alpha Ltd"]),
        ('Contact.ContactID = GUID("AB4C1C1E-0000-4000-8000-000000000002")', ["Beta Co"]),
        ('EmailAddress != null && EmailAddress.StartsWith("b")', ["Beta Co"]),
        ('!(Name == "Alpha Ltd")', ["Beta Co"]),
        ("IsCustomer", ["Alpha Ltd"]),
    ],
)
def test_where(where, names):
    pred = compile_where(where, FIELDS)
    assert [r["name"] for r in ROWS if pred(r)] == names


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "Name ==",
        'Name == "x" AND',
        "Nope == 1",
        'Name.Explode("x")',
        "DateTime(2026, 13, 1) > Date",
        '(Name == "x"',
    ],
)
def test_bad_where(bad):
    with pytest.raises(QueryError):
        compile_where(bad, FIELDS)


def test_order():
    assert [r["name"] for r in sort_records(list(ROWS), compile_order("Amount DESC", FIELDS))] == [
        "Beta Co",
        "Alpha Ltd",
    ]
    assert [
        r["name"] for r in sort_records(list(ROWS), compile_order("Date ASC, Name", FIELDS))
    ] == ["Alpha Ltd", "Beta Co"]
    with pytest.raises(QueryError):
        compile_order("Amount SIDEWAYS", FIELDS)


def test_expense_claim_controls_and_pnl(fresh):
    _, client, conn = fresh
    t, h = conn.agency, conn.headers(conn.agency)
    supplier = client.get(
        f"{API}/Contacts", params={"where": "IsSupplier==true"}, headers=h
    ).json()["Contacts"][0]["ContactID"]

    def pnl():
        return client.get(
            f"/_sandbox/state/{t}/pnl", params={"fromDate": "2026-11-01", "toDate": "2026-11-30"}
        ).json()

    before = Decimal(pnl().get("420", "0"))
    claim = client.post(
        f"/_sandbox/orgs/{t}/expense-claims",
        json={
            "Status": "SUBMITTED",
            "Receipts": [
                {
                    "Date": "2026-11-10",
                    "Contact": {"ContactID": supplier},
                    "LineAmountTypes": "Inclusive",
                    "LineItems": [
                        {
                            "Description": "Client lunch",
                            "Quantity": 1,
                            "UnitAmount": 115,
                            "AccountCode": "420",
                        }
                    ],
                }
            ],
        },
    )
    assert claim.status_code == 200, claim.text
    cid = claim.json()["ExpenseClaimID"]
    assert Decimal(pnl().get("420", "0")) == before
    approved = client.post(f"/_sandbox/orgs/{t}/expense-claims/{cid}/approve").json()
    assert approved["Status"] == "AUTHORISED" and approved["Receipts"][0]["Status"] == "AUTHORISED"
    assert Decimal(pnl()["420"]) == before - Decimal("100.00")  # a debit: 115 incl. 15% GST
    listed = client.get(
        f"{API}/ExpenseClaims", headers=h | {"If-Modified-Since": "2026-11-26T00:00:00"}
    ).json()["ExpenseClaims"]
    assert cid in {c["ExpenseClaimID"] for c in listed}
    assert client.post(f"/_sandbox/orgs/{t}/expense-claims/{cid}/pay").json()["AmountDue"] == 0.0

"""PUT/POST /Invoices: DRAFT default, Xero arithmetic, ValidationException, summarizeErrors,
non-transactional batches, Idempotency-Key replay, status rules, read-only users."""

from __future__ import annotations

from decimal import Decimal

API = "/api.xro/2.0"


def _setup(fresh):
    app, client, conn = fresh
    h = conn.headers(conn.agency)
    contact = client.get(
        f"{API}/Contacts",
        params={"where": 'IsCustomer==true AND ContactStatus=="ACTIVE"'},
        headers=h,
    ).json()["Contacts"][0]
    return client, conn, h, contact["ContactID"]


def _draft(cid, ref="XF-C1-2026-10", **extra):
    inv = {
        "Type": "ACCREC",
        "Contact": {"ContactID": cid},
        "Date": "2026-10-31",
        "DueDate": "2026-11-20",
        "LineAmountTypes": "Exclusive",
        "Reference": ref,
        "LineItems": [
            {
                "Description": "a",
                "Quantity": 1,
                "UnitAmount": 25.06,
                "AccountCode": "200",
                "TaxType": "OUTPUT2",
            },
            {
                "Description": "b",
                "Quantity": 1,
                "UnitAmount": 25.61,
                "AccountCode": "200",
                "TaxType": "OUTPUT2",
            },
            {
                "Description": "c",
                "Quantity": 1,
                "UnitAmount": 25.63,
                "AccountCode": "200",
                "TaxType": "OUTPUT2",
                "Tracking": [{"Name": "Client", "Option": None}],
            },
        ],
    }
    inv["LineItems"][2].pop("Tracking")
    inv.update(extra)
    return inv


def test_put_creates_draft_with_xero_rounding(fresh):
    client, conn, h, cid = _setup(fresh)
    r = client.put(
        f"{API}/Invoices",
        params={"summarizeErrors": "false"},
        json={"Invoices": [_draft(cid)]},
        headers=h,
    )
    assert r.status_code == 200, r.text
    inv = r.json()["Invoices"][0]
    assert (
        inv["Status"] == "DRAFT"
        and inv["StatusAttributeString"] == "OK"
        and inv["InvoiceNumber"].startswith("INV-")
    )
    assert [Decimal(str(ln["TaxAmount"])) for ln in inv["LineItems"]] == [
        Decimal("3.76"),
        Decimal("3.84"),
        Decimal("3.84"),
    ]
    assert Decimal(str(inv["TotalTax"])) == Decimal("11.44") and Decimal(
        str(inv["Total"])
    ) == Decimal("87.74")
    got = client.get(f"{API}/Invoices/{inv['InvoiceID']}", headers=h).json()["Invoices"][0]
    assert got["Reference"] == "XF-C1-2026-10" and got["DateString"] == "2026-10-31T00:00:00"
    # Reference uniqueness is not enforced by Xero.
    assert (
        client.put(f"{API}/Invoices", json={"Invoices": [_draft(cid)]}, headers=h).status_code
        == 200
    )
    found = client.get(
        f"{API}/Invoices", params={"where": 'Reference=="XF-C1-2026-10"'}, headers=h
    ).json()["Invoices"]
    assert len(found) == 2


def test_validation_exception_and_batch_not_transactional(fresh):
    client, conn, h, cid = _setup(fresh)
    bad = _draft(cid, ref="BAD")
    bad["LineItems"][0]["AccountCode"] = "999"
    bad["LineItems"][1]["TaxType"] = "GST on Income"
    good = _draft(cid, ref="GOOD")
    r = client.put(f"{API}/Invoices", json={"Invoices": [good, bad]}, headers=h)
    assert r.status_code == 400
    body = r.json()
    assert (
        body["ErrorNumber"] == 10
        and body["Type"] == "ValidationException"
        and body["Message"] == "A validation exception occurred"
    )
    el = body["Elements"][0]
    assert el["Reference"] == "BAD" and el["HasErrors"] is True
    msgs = [v["Message"] for v in el["ValidationErrors"]]
    assert "Account code '999' is not a valid code for this document." in msgs
    assert any("The TaxType code 'GST on Income' does not exist" in m for m in msgs)
    # The valid element was saved anyway.
    assert client.get(f"{API}/Invoices", params={"where": 'Reference=="GOOD"'}, headers=h).json()[
        "Invoices"
    ]
    r2 = client.put(
        f"{API}/Invoices",
        params={"summarizeErrors": "false"},
        json={"Invoices": [_draft(cid, ref="GOOD2"), bad]},
        headers=h,
    )
    assert r2.status_code == 200
    assert [i["StatusAttributeString"] for i in r2.json()["Invoices"]] == ["OK", "ERROR"]


def test_other_validation_rules(fresh):
    client, conn, h, cid = _setup(fresh)
    archived = client.get(
        f"{API}/Contacts",
        params={"includeArchived": "true", "where": 'ContactStatus=="ARCHIVED"'},
        headers=h,
    ).json()["Contacts"][0]
    cases = [
        ({"Contact": {"ContactID": archived["ContactID"]}}, "archived"),
        ({"Contact": {}}, "Contact"),
        (
            {
                "Type": "ACCPAY",
                "LineItems": [
                    {
                        "Description": "x",
                        "Quantity": 1,
                        "UnitAmount": 10,
                        "AccountCode": "320",
                        "DiscountRate": 10,
                    }
                ],
            },
            "Discounts",
        ),
        ({"Status": "PAID"}, "valid status"),
        (
            {
                "LineItems": [
                    {
                        "Description": "x",
                        "Quantity": 1,
                        "UnitAmount": 1,
                        "AccountCode": "200",
                        "Tracking": [{"Name": "Client", "Option": "Nobody"}],
                    }
                ]
            },
            "Tracking option",
        ),
    ]
    for extra, needle in cases:
        r = client.put(f"{API}/Invoices", json={"Invoices": [_draft(cid, **extra)]}, headers=h)
        assert r.status_code == 400, extra
        assert needle in " ".join(
            v["Message"] for v in r.json()["Elements"][0]["ValidationErrors"]
        ), (extra, r.text)
    nobody = client.put(
        f"{API}/Invoices",
        content=b'{"Invoice": {}}',
        headers=h | {"Content-Type": "application/json"},
    )
    assert nobody.status_code == 400 and nobody.json()["Type"] == "PostDataInvalidException"


def test_idempotency_key_replay(fresh):
    client, conn, h, cid = _setup(fresh)
    key = {"Idempotency-Key": "eom-2026-10-client-1"}
    body = {"Invoices": [_draft(cid, ref="IDEM")]}
    a = client.put(f"{API}/Invoices", json=body, headers=h | key)
    b = client.put(f"{API}/Invoices", json=body, headers=h | key)
    assert a.status_code == b.status_code == 200
    assert a.json()["Invoices"][0]["InvoiceID"] == b.json()["Invoices"][0]["InvoiceID"]
    assert (
        len(
            client.get(f"{API}/Invoices", params={"where": 'Reference=="IDEM"'}, headers=h).json()[
                "Invoices"
            ]
        )
        == 1
    )
    other = client.put(
        f"{API}/Invoices", json={"Invoices": [_draft(cid, ref="OTHER")]}, headers=h | key
    )
    assert other.status_code == 400 and "different request" in other.json()["Message"]
    client.post("/_sandbox/clock", json={"advance_seconds": 361})
    c = client.put(f"{API}/Invoices", json=body, headers=h | key)
    assert c.json()["Invoices"][0]["InvoiceID"] != a.json()["Invoices"][0]["InvoiceID"]
    long = client.put(f"{API}/Invoices", json=body, headers=h | {"Idempotency-Key": "k" * 129})
    assert long.status_code == 400


def test_status_transitions(fresh):
    client, conn, h, cid = _setup(fresh)
    inv = client.put(f"{API}/Invoices", json={"Invoices": [_draft(cid)]}, headers=h).json()[
        "Invoices"
    ][0]
    iid = inv["InvoiceID"]
    up = client.post(
        f"{API}/Invoices/{iid}", json={"Invoices": [{"Status": "AUTHORISED"}]}, headers=h
    )
    assert up.status_code == 200 and up.json()["Invoices"][0]["Status"] == "AUTHORISED"
    assert int(up.json()["Invoices"][0]["UpdatedDateUTC"][6:-7]) > int(inv["UpdatedDateUTC"][6:-7])
    delete = client.post(
        f"{API}/Invoices/{iid}", json={"Invoices": [{"Status": "DELETED"}]}, headers=h
    )
    assert delete.status_code == 400
    void = client.post(
        f"{API}/Invoices", json={"Invoices": [{"InvoiceID": iid, "Status": "VOIDED"}]}, headers=h
    )
    assert void.status_code == 200 and void.json()["Invoices"][0]["Status"] == "VOIDED"
    again = client.post(f"{API}/Invoices/{iid}", json={"Invoices": [{"Reference": "x"}]}, headers=h)
    assert again.status_code == 400
    d2 = client.put(f"{API}/Invoices", json={"Invoices": [_draft(cid)]}, headers=h).json()[
        "Invoices"
    ][0]
    gone = client.post(
        f"{API}/Invoices/{d2['InvoiceID']}", json={"Invoices": [{"Status": "DELETED"}]}, headers=h
    )
    assert gone.json()["Invoices"][0]["Status"] == "DELETED"
    assert (
        client.post(
            f"{API}/Invoices/00000000-0000-0000-0000-000000000009",
            json={"Invoices": [{}]},
            headers=h,
        ).status_code
        == 404
    )


def test_update_keeps_line_ids(fresh):
    client, conn, h, cid = _setup(fresh)
    inv = client.put(f"{API}/Invoices", json={"Invoices": [_draft(cid)]}, headers=h).json()[
        "Invoices"
    ][0]
    keep = inv["LineItems"][0]
    new = client.post(
        f"{API}/Invoices",
        json={
            "Invoices": [
                {
                    "InvoiceID": inv["InvoiceID"],
                    "LineItems": [
                        {
                            "LineItemID": keep["LineItemID"],
                            "Description": "a",
                            "Quantity": 2,
                            "UnitAmount": 10,
                            "AccountCode": "200",
                        }
                    ],
                }
            ]
        },
        headers=h,
    ).json()["Invoices"][0]
    assert [ln["LineItemID"] for ln in new["LineItems"]] == [keep["LineItemID"]]
    assert Decimal(str(new["SubTotal"])) == Decimal("20.00")


def test_read_only_user_gets_403_on_write(fresh):
    client, conn, h, cid = _setup(fresh)
    client.post("/_sandbox/user", json={"read_only": True})
    assert client.get(f"{API}/Invoices", headers=h).status_code == 200
    r = client.put(f"{API}/Invoices", json={"Invoices": [_draft(cid)]}, headers=h)
    assert r.status_code == 403 and r.json()["Title"] == "Forbidden"
    client.post("/_sandbox/user", json={"read_only": False, "removed": True})
    assert client.get(f"{API}/Invoices", headers=h).status_code == 403


def test_unit_amount_rounded_to_2dp_unless_unitdp4(fresh):
    client, conn, h, cid = _setup(fresh)
    line = {
        "Description": "x",
        "Quantity": 3,
        "UnitAmount": 10.3333,
        "AccountCode": "200",
        "TaxType": "OUTPUT2",
    }
    two = client.put(
        f"{API}/Invoices", json={"Invoices": [_draft(cid, LineItems=[line])]}, headers=h
    ).json()["Invoices"][0]
    assert two["LineItems"][0]["UnitAmount"] == 10.33 and Decimal(str(two["SubTotal"])) == Decimal(
        "30.99"
    )
    four = client.put(
        f"{API}/Invoices",
        params={"unitdp": 4},
        json={"Invoices": [_draft(cid, LineItems=[line])]},
        headers=h,
    ).json()["Invoices"][0]
    assert four["LineItems"][0]["UnitAmount"] == 10.3333 and Decimal(
        str(four["SubTotal"])
    ) == Decimal("31.00")

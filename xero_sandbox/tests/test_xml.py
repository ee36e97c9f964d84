"""XML as Xero speaks it: a request that does not ask for JSON gets XML with Xero's element
names, and a write in XML creates or updates exactly as the same write in JSON does."""

from __future__ import annotations

import json
from decimal import Decimal
from xml.etree import ElementTree as ET

import pytest

from .conftest import connect, make_client

API = "/api.xro/2.0"
ENVELOPE = ["Id", "Status", "ProviderName", "DateTimeUTC"]
# path, params, the collection element, the item element, a path that must exist in an item
READS = [
    ("Invoices", {"page": 1, "pageSize": 5}, "Invoices", "Invoice", "LineItems/LineItem"),
    ("Contacts", {"page": 1}, "Contacts", "Contact", "Addresses/Address"),
    ("CreditNotes", {"page": 1}, "CreditNotes", "CreditNote", "LineItems/LineItem"),
    ("Accounts", {}, "Accounts", "Account", "Code"),
    ("TaxRates", {}, "TaxRates", "TaxRate", "TaxComponents/TaxComponent"),
    ("TrackingCategories", {}, "TrackingCategories", "TrackingCategory", "Options/Option"),
    ("Organisation", {}, "Organisations", "Organisation", "ShortCode"),
    ("Users", {}, "Users", "User", "EmailAddress"),
    ("Currencies", {}, "Currencies", "Currency", "Code"),
    ("ExpenseClaims", {}, "ExpenseClaims", "ExpenseClaim", "Receipts/Receipt"),
    ("Receipts", {}, "Receipts", "Receipt", "LineItems/LineItem"),
    (
        "Reports/ProfitAndLoss",
        {"fromDate": "2026-10-01", "toDate": "2026-10-31"},
        "Reports",
        "Report",
        "Rows/Row/Cells/Cell/Value",
    ),
]


def _headers(conn, tenant: str, accept: str | None) -> dict[str, str]:
    h = {"Authorization": f"Bearer {conn.access_token}", "xero-tenant-id": tenant}
    if accept is not None:
        h["Accept"] = accept
    return h


@pytest.mark.parametrize(("path", "params", "plural", "item", "inner"), READS)
def test_reads_without_a_json_accept_are_xeros_xml(shared, path, params, plural, item, inner):
    _, client, conn = shared
    r = client.get(f"{API}/{path}", params=params, headers=_headers(conn, conn.agency, None))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/xml")
    root = ET.fromstring(r.content)
    assert root.tag == "Response"
    assert [c.tag for c in root][:4] == ENVELOPE and root.findtext("Status") == "OK"
    items = root.findall(f"{plural}/{item}")
    assert items, f"no <{plural}><{item}> in {path}"
    assert any(i.find(inner) is not None for i in items), inner
    with pytest.raises(json.JSONDecodeError):  # a client that forgot the header fails here
        json.loads(r.content)


def test_xml_carries_the_json_values_in_xeros_forms(shared):
    _, client, conn = shared
    params = {"page": 1, "pageSize": 3}
    as_json = client.get(
        f"{API}/Invoices", params=params, headers=_headers(conn, conn.agency, "application/json")
    ).json()["Invoices"]
    for accept in (None, "*/*", "application/xml", "text/html, */*"):
        r = client.get(
            f"{API}/Invoices", params=params, headers=_headers(conn, conn.agency, accept)
        )
        xml = ET.fromstring(r.content).findall("Invoices/Invoice")
        for doc, el in zip(as_json, xml, strict=True):
            assert el.findtext("InvoiceID") == doc["InvoiceID"]
            assert Decimal(el.findtext("Total")) == Decimal(str(doc["Total"]))
            assert el.findtext("Total").count(".") == 1  # exact decimals, not a float's text
            assert el.findtext("Date").endswith("T00:00:00")  # ISO, never /Date()/
            assert "/Date(" not in ET.tostring(el, encoding="unicode")
            assert el.find("DateString") is None  # the ISO twins are JSON-only
            assert el.findtext("Contact/ContactID") == doc["Contact"]["ContactID"]
    for accept in (
        "application/json",
        "application/json; charset=utf-8",
        "text/xml, application/json",
    ):
        r = client.get(f"{API}/Organisation", headers=_headers(conn, conn.agency, accept))
        assert r.json()["Organisations"][0]["Name"] == "Demo Agency Ltd", accept


def _contact(client, conn) -> str:
    h = _headers(conn, conn.agency, "application/json")
    contacts = client.get(
        f"{API}/Contacts", params={"where": 'ContactStatus=="ACTIVE"&&IsCustomer==true'}, headers=h
    ).json()["Contacts"]
    return next(c["ContactID"] for c in contacts if c["DefaultCurrency"] == "NZD")


INVOICE_XML = """<Invoices><Invoice>
  <Type>ACCREC</Type><Contact><ContactID>{cid}</ContactID></Contact>
  <Date>2026-11-20</Date><DueDate>2026-12-04</DueDate><Reference>{ref}</Reference>
  <LineAmountTypes>Exclusive</LineAmountTypes><SentToContact>false</SentToContact>
  <LineItems>
    <LineItem><Description>Design sprint</Description><Quantity>2.5</Quantity>
      <UnitAmount>180.0050</UnitAmount><AccountCode>{code}</AccountCode><TaxType>OUTPUT2</TaxType>
      <Tracking><TrackingCategory><Name>Client</Name><Option>{option}</Option></TrackingCategory></Tracking>
    </LineItem>
    <LineItem><Description>Hosting</Description><Quantity>1</Quantity>
      <UnitAmount>49.99</UnitAmount><AccountCode>200</AccountCode></LineItem>
  </LineItems>
</Invoice></Invoices>"""


def _as_json(cid: str, ref: str, code: str, option: str) -> dict:
    return {
        "Invoices": [
            {
                "Type": "ACCREC",
                "Contact": {"ContactID": cid},
                "Date": "2026-11-20",
                "DueDate": "2026-12-04",
                "Reference": ref,
                "LineAmountTypes": "Exclusive",
                "SentToContact": False,
                "LineItems": [
                    {
                        "Description": "Design sprint",
                        "Quantity": "2.5",
                        "UnitAmount": "180.0050",
                        "AccountCode": code,
                        "TaxType": "OUTPUT2",
                        "Tracking": [{"Name": "Client", "Option": option}],
                    },
                    {
                        "Description": "Hosting",
                        "Quantity": 1,
                        "UnitAmount": "49.99",
                        "AccountCode": "200",
                    },
                ],
            }
        ]
    }


SAME = ("Type", "Status", "Total", "SubTotal", "TotalTax", "Date", "DueDate", "LineAmountTypes")


def test_xml_writes_create_and_update_as_json_writes_do():
    _, client = make_client()
    with client:
        conn = connect(client)
        cid = _contact(client, conn)
        h = _headers(conn, conn.agency, "application/json")
        option = client.get(f"{API}/TrackingCategories", headers=h).json()["TrackingCategories"][0][
            "Options"
        ][0]["Name"]
        xml_h = h | {"Content-Type": "application/xml"}
        body = INVOICE_XML.format(cid=cid, ref="XML-1", code="210", option=option)
        made = client.put(f"{API}/Invoices", content=body.encode(), headers=xml_h)
        assert made.status_code == 200, made.text
        twin = client.put(f"{API}/Invoices", json=_as_json(cid, "JSON-1", "210", option), headers=h)
        a, b = made.json()["Invoices"][0], twin.json()["Invoices"][0]
        assert {k: a[k] for k in SAME} == {k: b[k] for k in SAME}
        assert [ln["LineAmount"] for ln in a["LineItems"]] == [
            ln["LineAmount"] for ln in b["LineItems"]
        ]
        assert a["LineItems"][0]["Tracking"][0]["Option"] == option
        assert a["Reference"] == "XML-1" and a["SentToContact"] is False

        # an update in XML (POST, one element) approves it, as the JSON form would
        approve = (
            f"<Invoice><InvoiceID>{a['InvoiceID']}</InvoiceID><Status>AUTHORISED</Status></Invoice>"
        )
        done = client.post(f"{API}/Invoices", content=approve.encode(), headers=xml_h)
        assert done.status_code == 200 and done.json()["Invoices"][0]["Status"] == "AUTHORISED"

        # the same validation errors, in the same words
        bad_xml = INVOICE_XML.format(cid=cid, ref="XML-2", code="999", option=option)
        bad_json = _as_json(cid, "JSON-2", "999", option)
        e1 = client.put(f"{API}/Invoices", content=bad_xml.encode(), headers=xml_h).json()
        e2 = client.put(f"{API}/Invoices", json=bad_json, headers=h).json()
        messages = [[m["Message"] for m in e["Elements"][0]["ValidationErrors"]] for e in (e1, e2)]
        assert messages[0] == messages[1] and "999" in messages[0][0]

        # and an XML reader gets Xero's ApiException
        e3 = client.put(
            f"{API}/Invoices", content=bad_xml.encode(), headers=xml_h | {"Accept": "text/xml"}
        )
        root = ET.fromstring(e3.content)
        assert root.tag == "ApiException" and root.findtext("ErrorNumber") == "10"
        element = root.find("Elements/DataContractBase")
        assert element.get("{http://www.w3.org/2001/XMLSchema-instance}type") == "Invoice"
        assert "999" in element.findtext("ValidationErrors/ValidationError/Message")

        broken = client.put(f"{API}/Invoices", content=b"<Invoices><Invoice>", headers=xml_h)
        assert broken.status_code == 400 and "not valid XML" in broken.json()["Message"]
        entity = b'<!DOCTYPE x [<!ENTITY a "b">]><Invoices/>'
        assert client.put(f"{API}/Invoices", content=entity, headers=xml_h).status_code == 400

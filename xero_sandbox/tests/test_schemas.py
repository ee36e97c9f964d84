"""Proof of faithfulness: every sandbox response the app uses validates against Xero's own
OpenAPI component schemas (xero_accounting.yaml, xero-identity.yaml), carries no field the
schema does not know (bar the documented ISO twins), and the spec's own examples validate with
the same harness and are accepted by the sandbox's parsers and write endpoint."""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

import jsonschema
import pytest

from xero_sandbox.msdate import ms_to_dt
from xero_sandbox.specs import load_spec

from .conftest import connect, make_client

API = "/api.xro/2.0"
# Fields Xero sends that the schema does not declare: the ISO twins of the date fields, which
# appear in the spec's own examples (see "Xero's quirks" in xero_sandbox/README.md).
DOCUMENTED_EXTRAS = {"DateString", "DueDateString"}
# Spec examples that contradict the spec's own schema (the example, not the sandbox, is off).
EXAMPLE_FIXES = {"getReceipts": ("ReceiptNumber", str), "getReceipt": ("ReceiptNumber", str)}


@cache
def spec(name: str) -> dict[str, Any]:
    """The spec made ready for jsonschema: a copy, because the loader's dict is shared."""
    data = copy.deepcopy(load_spec(name))
    _openapi_to_jsonschema(data["components"])
    return data


def _openapi_to_jsonschema(node: Any) -> None:
    """OpenAPI 3.0 -> JSON Schema: `nullable` becomes a null type; formats stay unasserted."""
    if isinstance(node, dict):
        if node.get("nullable") and "type" in node:
            node["type"] = [node["type"], "null"]
        for v in node.values():
            _openapi_to_jsonschema(v)
    elif isinstance(node, list):
        for v in node:
            _openapi_to_jsonschema(v)


def validate(instance: Any, schema: dict[str, Any], doc: str = "xero_accounting.yaml") -> None:
    root = dict(schema, components=spec(doc)["components"])
    jsonschema.Draft4Validator(root).validate(instance)


def ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def operation(op_id: str, doc: str = "xero_accounting.yaml") -> dict[str, Any]:
    for item in spec(doc)["paths"].values():
        for op in item.values():
            if isinstance(op, dict) and op.get("operationId") == op_id:
                return op
    raise KeyError(op_id)


def response_schema(
    op_id: str, status: str = "200", doc: str = "xero_accounting.yaml"
) -> dict[str, Any]:
    resp = operation(op_id, doc)["responses"][status]
    if "$ref" in resp:
        resp = spec(doc)["components"]["responses"][resp["$ref"].rsplit("/", 1)[1]]
    return resp["content"]["application/json"]["schema"]


def unknown_fields(obj: dict[str, Any], schema_name: str) -> set[str]:
    """Keys of obj that the named component schema does not declare (one level)."""
    props = spec("xero_accounting.yaml")["components"]["schemas"][schema_name].get("properties", {})
    return set(obj) - set(props) - DOCUMENTED_EXTRAS


@pytest.fixture(scope="module")
def sb():
    app, client = make_client()
    with client:
        yield app, client, connect(client)


READS = [
    ("getInvoices", "Invoices", {"page": 1, "pageSize": 200}, "Invoice"),
    ("getInvoices", "Invoices", {}, "Invoice"),
    ("getContacts", "Contacts", {"page": 1, "includeArchived": "true"}, "Contact"),
    ("getContacts", "Contacts", {}, "Contact"),
    ("getCreditNotes", "CreditNotes", {"page": 1}, "CreditNote"),
    ("getAccounts", "Accounts", {}, "Account"),
    ("getTaxRates", "TaxRates", {}, "TaxRate"),
    (
        "getTrackingCategories",
        "TrackingCategories",
        {"includeArchived": "true"},
        "TrackingCategory",
    ),
    ("getOrganisations", "Organisation", {}, "Organisation"),
    ("getCurrencies", "Currencies", {}, "Currency"),
    ("getCurrencies", "Currencies", {"where": 'Code=="USD"', "order": "Code ASC"}, "Currency"),
    ("getExpenseClaims", "ExpenseClaims", {}, "ExpenseClaim"),
    ("getReceipts", "Receipts", {}, "Receipt"),
    (
        "getReportProfitAndLoss",
        "Reports/ProfitAndLoss",
        {"fromDate": "2026-01-01", "toDate": "2026-10-31"},
        None,
    ),
    (
        "getReportProfitAndLoss",
        "Reports/ProfitAndLoss",
        {"fromDate": "2026-10-01", "toDate": "2026-10-31", "periods": 2, "timeframe": "MONTH"},
        None,
    ),
]


@pytest.mark.parametrize(
    ("op_id", "path", "params", "entity"), READS, ids=[f"{r[0]}-{i}" for i, r in enumerate(READS)]
)
def test_read_responses_validate(sb, op_id, path, params, entity):
    _, client, conn = sb
    r = client.get(f"{API}/{path}", params=params, headers=conn.headers(conn.agency))
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    body = r.json()
    validate(body, response_schema(op_id))
    if entity:
        key = next(k for k, v in body.items() if isinstance(v, list) and k != "Warnings")
        assert body[key], f"{path} returned nothing to check"
        for item in body[key]:
            assert not unknown_fields(item, entity), (entity, unknown_fields(item, entity))
            for ln in item.get("LineItems", []):
                assert not unknown_fields(ln, "LineItem")
                for t in ln["Tracking"]:
                    assert not unknown_fields(t, "LineItemTracking")
            if "pagination" in body:
                assert not (
                    set(body["pagination"]) ^ {"page", "pageSize", "pageCount", "itemCount"}
                )


def test_single_gets_validate(sb):
    _, client, conn = sb
    h = conn.headers(conn.agency)
    inv = client.get(f"{API}/Invoices", params={"page": 1, "pageSize": 1}, headers=h).json()[
        "Invoices"
    ][0]
    validate(
        client.get(f"{API}/Invoices/{inv['InvoiceID']}", headers=h).json(),
        response_schema("getInvoice"),
    )
    contact = client.get(f"{API}/Contacts", headers=h).json()["Contacts"][0]
    validate(
        client.get(f"{API}/Contacts/{contact['ContactID']}", headers=h).json(),
        response_schema("getContact"),
    )
    claim = client.get(f"{API}/ExpenseClaims", headers=h).json()["ExpenseClaims"][0]
    detail = client.get(f"{API}/ExpenseClaims/{claim['ExpenseClaimID']}", headers=h).json()
    validate(detail, response_schema("getExpenseClaim"))
    rid = detail["ExpenseClaims"][0]["Receipts"][0]["ReceiptID"]
    validate(client.get(f"{API}/Receipts/{rid}", headers=h).json(), response_schema("getReceipt"))


def test_write_and_error_responses_validate(sb):
    _, client, conn = sb
    h = conn.headers(conn.agency)
    cid = client.get(f"{API}/Contacts", headers=h).json()["Contacts"][0]["ContactID"]
    body = {
        "Invoices": [
            {
                "Type": "ACCREC",
                "Contact": {"ContactID": cid},
                "Date": "2026-10-31",
                "LineItems": [
                    {
                        "Description": "x",
                        "Quantity": 1,
                        "UnitAmount": 10,
                        "AccountCode": "200",
                        "TaxType": "OUTPUT2",
                    }
                ],
            }
        ]
    }
    ok = client.put(f"{API}/Invoices", json=body, headers=h)
    validate(ok.json(), response_schema("createInvoices"))
    body["Invoices"][0]["LineItems"][0]["AccountCode"] = "999"
    bad = client.put(f"{API}/Invoices", json=body, headers=h)
    assert bad.status_code == 400
    validate(bad.json(), response_schema("createInvoices", "400"))
    validate(bad.json(), ref("Error"))
    mixed = client.post(
        f"{API}/Invoices", params={"summarizeErrors": "false"}, json=body, headers=h
    )
    validate(mixed.json(), response_schema("updateOrCreateInvoices"))


def test_identity_responses_validate(sb):
    _, client, conn = sb
    validate(conn.token, ref("AccessToken"), "xero-identity.yaml")
    conns = client.get(
        "/connections", headers={"Authorization": f"Bearer {conn.access_token}"}
    ).json()
    validate(
        conns, response_schema("getConnections", doc="xero-identity.yaml"), "xero-identity.yaml"
    )
    for c in conns:
        assert set(c) == {
            "id",
            "authEventId",
            "tenantId",
            "tenantType",
            "tenantName",
            "createdDateUtc",
            "updatedDateUtc",
        }


EXAMPLE_OPS = [
    "getInvoices",
    "getInvoice",
    "createInvoices",
    "getContacts",
    "getAccounts",
    "getTaxRates",
    "getTrackingCategories",
    "getOrganisations",
    "getCreditNotes",
    "getExpenseClaims",
    "getReceipts",
    "getReportProfitAndLoss",
]


def _msdates(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [x for v in node.values() for x in _msdates(v)]
    if isinstance(node, list):
        return [x for v in node for x in _msdates(v)]
    return [node] if isinstance(node, str) and node.startswith("/Date(") else []


@pytest.mark.parametrize("op_id", EXAMPLE_OPS)
def test_spec_examples_validate_and_parse(op_id):
    """The harness accepts Xero's own example responses, and our date parser reads their dates."""
    source = "getReportTrialBalance" if op_id == "getReportProfitAndLoss" else op_id  # same schema
    content = operation(source)["responses"]["200"]["content"]["application/json"]
    example = copy.deepcopy(content.get("example"))
    if isinstance(example, str):
        import json

        example = json.loads(example)
    assert example, f"no example for {op_id}"
    if op_id in EXAMPLE_FIXES:
        field, fix = EXAMPLE_FIXES[op_id]
        for item in example[next(k for k, v in example.items() if isinstance(v, list))]:
            if field in item:
                item[field] = fix(item[field])
    validate(example, response_schema(op_id))
    from xero_sandbox.msdate import _MS_RE

    for value in _msdates(example):
        m = _MS_RE.match(value)
        assert m, value
        ms_to_dt(int(m.group(1)))


def test_connections_example_validates():
    import json

    content = operation("getConnections", "xero-identity.yaml")["responses"]["200"]["content"][
        "application/json"
    ]
    validate(
        json.loads(content["example"]),
        response_schema("getConnections", doc="xero-identity.yaml"),
        "xero-identity.yaml",
    )


@pytest.mark.parametrize(
    ("op_id", "method"), [("createInvoices", "put"), ("updateOrCreateInvoices", "post")]
)
def test_spec_request_examples_are_accepted(sb, op_id, method):
    """Xero's own request example for PUT/POST /Invoices goes through the sandbox's parser."""
    _, client, conn = sb
    h = conn.headers(conn.agency)
    example = copy.deepcopy(
        operation(op_id)["requestBody"]["content"]["application/json"]["example"]
    )
    validate(example, ref("Invoices"))
    cid = client.get(f"{API}/Contacts", headers=h).json()["Contacts"][0]["ContactID"]
    for inv in example["Invoices"]:
        inv["Contact"] = {"ContactID": cid}  # the example's contact lives in Xero's demo org
        inv.pop("InvoiceID", None)
    r = client.request(method.upper(), f"{API}/Invoices", json=example, headers=h)
    assert r.status_code == 200, r.text
    got = r.json()["Invoices"][0]
    want = example["Invoices"][0]
    assert got["Reference"] == want.get("Reference", got["Reference"]) and got[
        "Status"
    ] == want.get("Status", "DRAFT")
    assert [ln["Description"] for ln in got["LineItems"]] == [
        ln["Description"] for ln in want["LineItems"]
    ]

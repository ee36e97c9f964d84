"""What other Xero clients meet: Currencies, Xero's 404 for paths the sandbox does not serve,
a malformed If-Modified-Since, case-insensitive paths, and the TokenExpired message."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime

import pytest

from xero_sandbox.testing import sandbox_config

from .conftest import AS_OF, connect, make_client
from .test_schemas import spec

API = "/api.xro/2.0"
SERVED = {
    "accounts",
    "contacts",
    "creditnotes",
    "currencies",
    "expenseclaims",
    "invoices",
    "organisation",
    "receipts",
    "reports",
    "taxrates",
    "trackingcategories",
    "users",
}


def test_currencies_answer_like_xero(shared) -> None:
    _, client, conn = shared
    h = conn.headers(conn.agency)
    body = client.get(f"{API}/Currencies", headers=h).json()
    assert set(body) == {"Id", "Status", "ProviderName", "DateTimeUTC", "Currencies"}
    codes = [c["Code"] for c in body["Currencies"]]
    assert codes[0] == "NZD" and "USD" in codes  # the base currency, and the USD customer's
    assert {"Code": "USD", "Description": "United States Dollar"} in body["Currencies"]
    usd = client.get(f"{API}/Currencies", params={"where": 'Code=="USD"'}, headers=h).json()
    assert [c["Code"] for c in usd["Currencies"]] == ["USD"]
    desc = client.get(f"{API}/Currencies", params={"order": "Code DESC"}, headers=h).json()
    assert [c["Code"] for c in desc["Currencies"]] == sorted(codes, reverse=True)
    bad = client.get(f"{API}/Currencies", params={"where": "Rate>1"}, headers=h)
    assert bad.status_code == 400 and bad.json()["Type"] == "QueryParseException"
    studio = client.get(f"{API}/Currencies", headers=conn.headers(conn.studio)).json()
    assert studio["Currencies"][0]["Code"] == "AUD"


def _unserved_spec_paths() -> list[str]:
    """Every collection GET in Xero's accounting spec that the sandbox does not serve."""
    out = []
    for path, item in spec("xero_accounting.yaml")["paths"].items():
        first = path.strip("/").split("/")[0]
        if "get" in item and "{" not in path and first.lower() not in SERVED:
            out.append(path)
    return out


def test_unserved_paths_answer_xeros_404_never_a_framework_page(shared) -> None:
    _, client, conn = shared
    h = conn.headers(conn.agency)
    paths = _unserved_spec_paths()
    assert {"/BrandingThemes", "/Items", "/Payments", "/BankTransactions"} <= set(paths)
    for path in [*paths, "/Reports/BalanceSheet", "/NoSuchThing"]:
        r = client.get(API + path, headers=h)
        assert r.status_code == 404, path
        body = r.json()
        assert body["Status"] == 404 and body["Title"] == "Not Found", path
        assert body["Detail"] == "The resource you're looking for cannot be found"
    for outside in ("/api.xro", "/payroll.xro/1.0/Employees", "/nothing/here"):
        r = client.get(outside, headers=h)
        assert r.status_code == 404 and r.json()["Status"] == 404, outside
    # an unknown record keeps the plain text Xero sends (XeroAPI/Xero-OpenAPI#163)
    missing = client.get(f"{API}/Invoices/00000000-0000-0000-0000-000000000001", headers=h)
    assert missing.status_code == 404
    assert missing.text == "The resource you're looking for cannot be found"


def test_unserved_path_body_can_be_xeros_plain_text() -> None:
    _, client = make_client(sandbox_config(as_of=AS_OF, size="small", unserved_path_body="text"))
    with client:
        conn = connect(client)
        r = client.get(f"{API}/Items", headers=conn.headers(conn.agency))
    assert r.status_code == 404
    assert r.text == "The resource you're looking for cannot be found"


@pytest.mark.parametrize("value", ["yesterday", "2026-13-45T00:00:00", "", "Tue, 99 Foo"])
def test_a_malformed_if_modified_since_is_ignored_and_logged(shared, caplog, value) -> None:
    _, client, conn = shared
    h = conn.headers(conn.agency)
    everything = client.get(f"{API}/Contacts", params={"page": 1}, headers=h).json()
    with caplog.at_level(logging.WARNING, logger="xero_sandbox"):
        r = client.get(
            f"{API}/Contacts", params={"page": 1}, headers=h | {"If-Modified-Since": value}
        )
    assert r.status_code == 200
    assert r.json()["pagination"] == everything["pagination"]
    if value:
        assert "malformed If-Modified-Since" in caplog.text


def test_a_malformed_if_modified_since_can_be_refused() -> None:
    config = sandbox_config(as_of=AS_OF, size="small", malformed_if_modified_since="reject")
    _, client = make_client(config)
    with client:
        conn = connect(client)
        h = conn.headers(conn.agency) | {"If-Modified-Since": "yesterday"}
        r = client.get(f"{API}/Invoices", headers=h)
    assert r.status_code == 400 and "If-Modified-Since" in r.json()["Detail"]


def test_paths_are_case_insensitive(shared) -> None:
    _, client, conn = shared
    h = conn.headers(conn.agency)
    canonical = client.get(f"{API}/Invoices", params={"page": 1}, headers=h).json()["pagination"]
    for path in ("/API.XRO/2.0/INVOICES", "/Api.Xro/2.0/invoices", "/api.xro/2.0/iNvOiCeS"):
        r = client.get(path, params={"page": 1}, headers=h)
        assert r.status_code == 200 and r.json()["pagination"] == canonical, path
    for path in ("Organisation", "organisation", "Organisations", "ORGANISATIONS"):
        r = client.get(f"{API}/{path}", headers=h)
        assert r.json()["Organisations"][0]["Name"] == "Demo Agency Ltd", path
    assert client.get("/Connections", headers=h).status_code == 200


def test_expired_token_says_it_expired_in_the_past(fresh) -> None:
    app, client, conn = fresh
    client.post("/_sandbox/tokens/expire")
    r = client.get(f"{API}/Organisation", headers=conn.headers(conn.agency))
    assert r.status_code == 401
    found = re.fullmatch(r"TokenExpired: token expired at (.+)", r.json()["Detail"])
    assert found, r.json()["Detail"]
    when = datetime.strptime(found[1], "%m/%d/%Y %H:%M:%S").replace(tzinfo=UTC)
    assert when < app.state.sandbox.now()

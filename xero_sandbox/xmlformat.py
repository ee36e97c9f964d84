"""Xero's XML: the format Xero answers in when a request does not ask for JSON, and the body
format several clients write in.

Xero serves XML unless `Accept` asks for JSON (XeroAPI/xero-php-oauth2#60: a non-JSON Accept
gets "the default XML structure"). The XML carries the same fields as the JSON under Xero's element names:
`<Response>` with `Id`, `Status`, `ProviderName`, `DateTimeUTC`, then the collection, each
record in its singular element (`<Invoices><Invoice>…<LineItems><LineItem>…`); errors are
`<ApiException>` with `<Elements><DataContractBase xsi:type="Invoice">`. Dates are ISO
(`2010-10-09T00:00:00`), never `/Date()/`, and the JSON-only `…String` twins are absent.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree as ET

from starlette.requests import Request
from starlette.responses import Response

XSI = "http://www.w3.org/2001/XMLSchema-instance"
XSD = "http://www.w3.org/2001/XMLSchema"
MEDIA_TYPE = "text/xml; charset=utf-8"
# A collection element and the element of each of its items, as Xero names them.
ITEM = {
    "Accounts": "Account",
    "Addresses": "Address",
    "Allocations": "Allocation",
    "Attributes": "Attribute",
    "Cells": "Cell",
    "ContactGroups": "ContactGroup",
    "ContactPersons": "ContactPerson",
    "Contacts": "Contact",
    "CreditNotes": "CreditNote",
    "Currencies": "Currency",
    "Elements": "DataContractBase",
    "ExpenseClaims": "ExpenseClaim",
    "ExternalLinks": "ExternalLink",
    "Fields": "Field",
    "Invoices": "Invoice",
    "LineItems": "LineItem",
    "Options": "Option",
    "Organisations": "Organisation",
    "Overpayments": "Overpayment",
    "Payments": "Payment",
    "Phones": "Phone",
    "Prepayments": "Prepayment",
    "Receipts": "Receipt",
    "ReportTitles": "ReportTitle",
    "Reports": "Report",
    "Rows": "Row",
    "TaxComponents": "TaxComponent",
    "TaxRates": "TaxRate",
    "Tracking": "TrackingCategory",
    "TrackingCategories": "TrackingCategory",
    "Users": "User",
    "ValidationErrors": "ValidationError",
    "Warnings": "Warning",
}
JSON_ONLY = {"DateString", "DueDateString", "UpdatedDateUTCString"}
BOOLEANS = {"SentToContact", "IsCustomer", "IsSupplier", "HasAttachments", "IsDiscounted"}
_MS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def wants_json(request: Request) -> bool:
    """Whether `Accept` names JSON; anything else (absent, `*/*`, XML) gets XML, as on Xero."""
    for part in request.headers.get("accept", "").split(","):
        media = part.split(";")[0].strip().lower()
        if media in ("application/json", "text/json") or media.endswith("+json"):
            return True
    return False


def _iso(value: str, key: str) -> str:
    """A `/Date(ms±zzzz)/` value in Xero's XML form; other strings unchanged."""
    m = _MS_DATE.match(value)
    if not m:
        return value
    when = _EPOCH + timedelta(milliseconds=int(m.group(1)))
    if key == "DateTimeUTC":
        return when.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"
    if when.hour == when.minute == when.second == when.microsecond == 0:
        return when.strftime("%Y-%m-%dT00:00:00")
    return when.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]


def _text(value: Any, key: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _iso(value, key)
    return str(value)


def _fill(parent: ET.Element, key: str, value: Any) -> None:
    """Append `value` under `parent` as element `key` (lists as a collection of items)."""
    if key in JSON_ONLY:
        return
    el = ET.SubElement(parent, key)
    if value is None:
        el.set("xsi:nil", "true")
    elif isinstance(value, dict):
        for k, v in value.items():
            _fill(el, k, v)
    elif isinstance(value, list):
        item = ITEM.get(key, key[:-1] if key.endswith("s") else key)
        for v in value:
            if isinstance(v, dict):
                child = ET.SubElement(el, item)
                if key == "Elements":
                    child.set("xsi:type", _element_type(v))
                for k, w in v.items():
                    _fill(child, k, w)
            else:
                ET.SubElement(el, item).text = _text(v, item)
    else:
        el.text = _text(value, key)


def _element_type(element: dict[str, Any]) -> str:
    for id_field, name in (("CreditNoteID", "CreditNote"), ("InvoiceID", "Invoice")):
        if id_field in element:
            return name
    return "Contact" if "ContactID" in element else "Invoice"


def to_xml(payload: dict[str, Any]) -> bytes:
    """A JSON response body (already parsed, amounts as Decimal) as Xero's XML document."""
    root = ET.Element("ApiException" if "ErrorNumber" in payload else "Response")
    root.set("xmlns:xsi", XSI)  # declared literally, as Xero does, on every document
    root.set("xmlns:xsd", XSD)
    for key, value in payload.items():
        _fill(root, key, value)
    return ET.tostring(root, encoding="utf-8", xml_declaration=False)


def negotiate(request: Request, response: Response) -> Response:
    """The JSON answer of an Accounting API call, in XML when the request did not ask for JSON.
    Problem-details errors (401/403 from the gateway), 404 texts and empty 429s are sent as is."""
    if wants_json(request) or not response.media_type:
        return response
    if not response.media_type.startswith("application/json"):
        return response
    try:
        payload = json.loads(bytes(response.body), parse_float=Decimal)
    except ValueError:
        return response
    if not isinstance(payload, dict) or not ("ErrorNumber" in payload or "Status" in payload):
        return response
    if payload.get("Status") not in (None, "OK"):
        return response  # a problem-details body
    headers = {
        k: v
        for k, v in response.headers.items()
        if k.lower() not in ("content-type", "content-length")
    }
    return Response(to_xml(payload), response.status_code, headers, media_type=MEDIA_TYPE)


class XmlBodyError(ValueError):
    """A write body that is not XML Xero would read."""


def is_xml(request: Request, raw: bytes) -> bool:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return ctype in ("application/xml", "text/xml") or raw.lstrip()[:1] == b"<"


def _value(el: ET.Element) -> Any:
    children = list(el)
    if el.tag in ITEM:
        return [_value(c) for c in children]
    if not children:
        text = (el.text or "").strip()
        if el.tag in BOOLEANS and text.lower() in ("true", "false"):
            return text.lower() == "true"
        return text
    return {c.tag: _value(c) for c in children}


def from_xml(raw: bytes, collection: str) -> dict[str, Any]:
    """An XML write body as its JSON form: `<Invoices><Invoice>…` (or one `<Invoice>`) becomes
    `{"Invoices": [{…}]}`, nested collections become lists, leaves stay text."""
    if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
        raise XmlBodyError("DTDs and entities are not accepted")
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as e:
        raise XmlBodyError(str(e)) from e
    if root.tag == collection:
        return {collection: _value(root)}
    if root.tag == ITEM.get(collection):
        return {collection: [_value(root)]}
    raise XmlBodyError(f"expected <{collection}> or <{ITEM.get(collection)}>, not <{root.tag}>")

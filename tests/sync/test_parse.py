"""Xero's JSON to rows: exact decimals, `/Date()/` instants and calendar dates (the offset is a
zone, not a shift), Date(0) as no date, tracking flattened, unreadable bodies refused."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from xeroflow_core.xero import parse
from xeroflow_core.xero.errors import XeroMalformed


def test_amounts_are_exact_decimals():
    body = parse.loads(b'{"Total": 0.1, "Rate": 0.590000, "Qty": 3}')
    assert body["Total"] == Decimal("0.1") and isinstance(body["Total"], Decimal)
    assert body["Rate"] == Decimal("0.590000")
    with pytest.raises(XeroMalformed):
        parse.dec(0.1)


def test_dates_offset_is_a_zone_not_a_shift():
    # 2020-02-01T00:00:00Z, labelled +1300: the instant stays the same.
    assert parse.ms_instant("/Date(1580515200000+1300)/") == datetime(2020, 2, 1, tzinfo=UTC)
    assert parse.ms_instant("/Date(1580515200123+0000)/").microsecond == 123000
    assert parse.ms_date("/Date(1580515200000+0000)/") == date(2020, 2, 1)
    assert parse.ms_date("/Date(1580515200000-0500)/") == date(2020, 2, 1)
    assert parse.ms_instant("/Date(0+0000)/") is None and parse.ms_date("/Date(0)/") is None
    assert parse.ms_instant("2020-02-01T00:00:00") == datetime(2020, 2, 1, tzinfo=UTC)
    assert parse.ms_date("2020-02-01T00:00:00") == date(2020, 2, 1)
    with pytest.raises(XeroMalformed):
        parse.ms_date("yesterday")


def test_invoice_row_and_lines_with_tracking_flattened():
    inv = parse.loads(
        b"""{"InvoiceID": "AB-1", "Type": "ACCPAY", "Contact": {"ContactID": "C-1"},
        "Date": "/Date(1580515200000+0000)/", "Status": "VOIDED", "SubTotal": 100.00,
        "TotalTax": 15.00, "Total": 115.00, "CurrencyRate": 0.590000,
        "UpdatedDateUTC": "/Date(1580515200000+0000)/",
        "LineItems": [{"LineItemID": "L-1", "Quantity": 2.0000, "UnitAmount": 50.1234,
          "LineAmount": 100.25, "TaxAmount": 15.04,
          "Tracking": [{"TrackingCategoryID": "CAT", "Name": "Client", "Option": "Acme"},
                       {"TrackingCategoryID": "CAT2", "TrackingOptionID": "OPT-2",
                        "Name": "Region", "Option": "North"}]}]}"""
    )
    row = parse.invoice("t", inv)
    assert row["invoice_id"] == "ab-1" and row["contact_id"] == "c-1" and row["status"] == "VOIDED"
    assert row["currency_rate"] == Decimal("0.590000") and row["total"] == Decimal("115.00")
    assert row["date"] == date(2020, 2, 1) and row["due_date"] is None
    lines = parse.lines("t", "invoice", "ab-1", inv["LineItems"], lambda c, n: "opt-1")
    assert lines[0]["unit_amount"] == Decimal("50.1234")
    assert (lines[0]["tracking_option_id_1"], lines[0]["tracking_option_id_2"]) == (
        "opt-1",
        "opt-2",
    )
    assert lines[0]["tracking"][0]["Option"] == "Acme"


def test_unreadable_body_is_malformed_with_a_clear_message():
    with pytest.raises(XeroMalformed, match="not valid JSON"):
        parse.loads(b'{"Invoices":[{"InvoiceID":')


def test_merged_contact_keeps_its_survivor():
    row = parse.contact(
        "t", {"ContactID": "A", "ContactStatus": "ARCHIVED", "MergedToContactID": "B", "Name": "x"}
    )
    assert row["status"] == "ARCHIVED" and row["merged_to_contact_id"] == "b"

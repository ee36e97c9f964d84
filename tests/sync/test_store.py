"""store_rows: a page that names one record twice (Xero can repeat a record across a page when
it changes mid-read) stores it once, the last copy winning, on a fresh table and a filled one."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from xeroflow_core.models import Contact
from xeroflow_core.sync.store import store_rows


def _contact(cid: str, name: str) -> dict:
    return {"tenant_id": "t1", "contact_id": cid, "name": name}


@pytest.mark.parametrize("known", [None, set()])
def test_a_duplicate_key_within_one_page_is_stored_once_last_wins(engine, known):
    table = Contact.__table__
    page = [_contact("c1", "Old"), _contact("c2", "Two"), _contact("c1", "New")]
    with engine.begin() as conn:
        assert store_rows(conn, table, "t1", "contact_id", page, known=known) == set()
    with engine.begin() as conn:
        page2 = [_contact("c2", "Two b"), _contact("c2", "Two c")]
        assert store_rows(conn, table, "t1", "contact_id", page2) == {"c2"}
    with engine.connect() as conn:
        rows = conn.execute(select(table.c.contact_id, table.c.name).order_by(table.c.contact_id))
        assert [tuple(r) for r in rows] == [("c1", "New"), ("c2", "Two c")]


def test_an_invoice_twice_in_one_page_keeps_only_its_last_lines(engine):
    from xeroflow_core.models import DocumentLine, Invoice
    from xeroflow_core.sync.resources import PageContext, store_invoices

    def inv(desc: str, total: str) -> dict:
        return {"InvoiceID": "INV-1", "Type": "ACCREC", "Contact": {"ContactID": "C-1"},
                "Status": "AUTHORISED", "Total": total,
                "LineItems": [{"LineItemID": "L-1", "Description": desc, "Quantity": 1,
                               "UnitAmount": total, "LineAmount": total}]}  # fmt: skip

    with engine.begin() as conn:
        store_invoices(conn, PageContext("t1", fresh=True), [inv("old", "10"), inv("new", "20")])
    with engine.connect() as conn:
        inv_t, line_t = Invoice.__table__, DocumentLine.__table__
        assert [r[0] for r in conn.execute(select(inv_t.c.total))] == [Decimal("20")]
        assert [r[0] for r in conn.execute(select(line_t.c.description))] == ["new"]

"""Rebilled costs on a foreign-currency invoice block approval (finding 5); the push refuses to
run when the write check is missing instead of assuming it may write (finding 9)."""

from __future__ import annotations

import sys
from decimal import Decimal as D

import pytest

from tests.eom.builders import ADMIN, OCT, client, fee, ledger
from tests.support.factories import TENANT, contact, invoice
from xeroflow_core.db import session_scope
from xeroflow_core.eom import review
from xeroflow_core.eom.engine import generate
from xeroflow_core.models import ClientSupplier


def test_base_currency_costs_on_a_foreign_invoice_block_approval(engine) -> None:
    ledger(engine)
    eur = contact(engine, "Acme Europe", default_currency="EUR", is_customer=True)
    acme, _ = client(engine, "Acme", contact_id=eur, rebill_account_code="260",
                     rebill_tax_type="OUTPUT2")  # fmt: skip
    fee(engine, acme, "100.00")
    supplier = contact(engine, "Printer Co")
    with session_scope(engine) as s:
        s.add(ClientSupplier(tenant_id=TENANT, contact_id=supplier, client_id=acme))
    invoice(engine, supplier, [("400", "33.33")], type="ACCPAY")
    result = generate(engine, ADMIN, OCT)
    (outcome,) = result.clients
    assert any("EUR" in p and "rebill" in p for p in outcome.problems), outcome.problems
    (d,) = review.list_drafts(engine, ADMIN, OCT)
    assert d.currency == "EUR" and not d.can_approve
    assert review.approve(engine, ADMIN, [d.id]) != []
    keep = [{"id": ln.id, "description": ln.description, "quantity": ln.quantity,
             "unit_amount": ln.unit_amount, "account_code": ln.account_code,
             "tax_type": ln.tax_type} for ln in d.lines if ln.source != "rebill"]  # fmt: skip
    review.update_lines(engine, ADMIN, d.id, keep)  # the rebill line removed by hand
    (d,) = review.list_drafts(engine, ADMIN, OCT)
    assert d.problems == [] and review.approve(engine, ADMIN, [d.id]) == []


def test_a_foreign_invoice_without_costs_is_fine(engine) -> None:
    ledger(engine)
    eur = contact(engine, "Acme Europe", default_currency="EUR", is_customer=True)
    acme, _ = client(engine, "Acme", contact_id=eur, rebill_account_code="260")
    fee(engine, acme, "100.00")
    (outcome,) = generate(engine, ADMIN, OCT).clients
    assert outcome.problems == []


def test_write_check_missing_fails_closed(monkeypatch) -> None:
    """Without the write check the pusher does not load at all: there is no push without it."""
    import importlib

    monkeypatch.setitem(sys.modules, "xeroflow_core.xero.connections", None)  # import fails
    monkeypatch.delitem(sys.modules, "xeroflow_core.eom.push")
    with pytest.raises(ImportError):
        importlib.import_module("xeroflow_core.eom.push")


def test_only_posted_receipts_are_a_clients_cost(engine) -> None:
    """A receipt counts only when it and its claim are posted (receipt
    AUTHORISED, claim AUTHORISED or PAID) - the same rule in profitability, EOM rebilling and
    the client page."""
    from tests.profitability.builders import receipt
    from xeroflow_core.clients.financials import client_financials

    ledger(engine)
    acme, _ = client(engine, "Acme", rebill_account_code="260", rebill_tax_type="OUTPUT2")
    fee(engine, acme, "100.00")
    supplier = contact(engine, "Cabs")
    with session_scope(engine) as s:
        s.add(ClientSupplier(tenant_id=TENANT, contact_id=supplier, client_id=acme))
    receipt(engine, supplier, [("400", "11.50", "1.50")], status="SUBMITTED",
            claim_status="SUBMITTED")  # fmt: skip
    receipt(engine, supplier, [("400", "23.00", "3.00")], claim_status="SUBMITTED")
    receipt(engine, supplier, [("400", "46.00", "6.00")], claim_status="PAID")
    receipt(engine, supplier, [("400", "92.00", "12.00")], claim_status="AUTHORISED")
    generate(engine, ADMIN, OCT)
    (d,) = review.list_drafts(engine, ADMIN, OCT)
    rebilled = sorted(ln.unit_amount for ln in d.lines if ln.source == "rebill")
    assert rebilled == [D("40.00"), D("80.00")]
    fin = client_financials(engine, acme)
    assert sorted(r.amount for r in fin.costs) == [D("40.00"), D("80.00")]

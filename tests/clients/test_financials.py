"""A client's financial tab and the client list: figures derived from links, in base currency."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from tests.support import factories as f
from xeroflow_core import clients as m
from xeroflow_core.actor import Actor
from xeroflow_core.db import session_scope
from xeroflow_core.models import TrackingOption

STAFF = Actor("sam", "staff")
TODAY = date(2026, 11, 20)


def test_client_financials_and_list(engine) -> None:
    f.organisation(engine)
    with session_scope(engine) as s:
        for oid, name in (("opt-acme", "Acme"), ("opt-other", "Other")):
            s.add(TrackingOption(tenant_id=f.TENANT, tracking_option_id=oid,
                                 tracking_category_id="cat", name=name))  # fmt: skip
    acme = f.contact(engine, "Acme Ltd")
    freelancer = f.contact(engine, "Jane Freelance", is_supplier=True)
    printer = f.contact(engine, "Print Co", is_supplier=True)
    f.invoice(engine, acme, [("200", "100.00")], on=date(2026, 9, 1))  # overdue: due 1 Sep
    f.invoice(engine, acme, [("200", "200.00")], on=date(2026, 11, 30))  # not yet due
    f.invoice(engine, acme, [("200", "100.00")], rate="0.5", currency="USD", on=date(2026, 11, 1))
    f.invoice(engine, acme, [("200", "999.00")], status="VOIDED")
    f.invoice(engine, acme, [("200", "40.00")], kind="credit_note", type="ACCRECCREDIT")
    # costs: tracked line, supplier-mapped untracked line, and a line tracked to someone else
    f.invoice(engine, printer, [("310", "80.00", "opt-acme")], type="ACCPAY")
    f.invoice(engine, freelancer, [("310", "300.00"), ("310", "50.00", "opt-other")], type="ACCPAY")
    f.invoice(engine, freelancer, [("310", "7.00")], type="ACCPAY", status="DRAFT")

    client = m.create_client(engine, STAFF, "Acme", contacts=[(f.TENANT, acme)])
    other = m.create_client(engine, STAFF, "Other")
    m.set_tracking_options(engine, STAFF, client.id, [(f.TENANT, "opt-acme")])
    m.set_tracking_options(engine, STAFF, other.id, [(f.TENANT, "opt-other")])
    aid = m.set_suppliers(engine, STAFF, client.id, [(f.TENANT, freelancer)])

    fin = m.client_financials(engine, client.id, today=TODAY)
    assert len(fin.invoices) == 4 and len(fin.credit_notes) == 1  # the voided one is listed
    assert fin.outstanding == Decimal("115.00") + Decimal("230.00") + Decimal("230.00")
    assert fin.overdue == Decimal("115.00") + Decimal("230.00")  # the USD one was due 1 Nov
    assert fin.credited == Decimal("46.00")
    assert sorted((c.amount, c.rule) for c in fin.costs) == [
        (Decimal("80.00"), "tracking option Acme"),
        (Decimal("300.00"), "supplier Jane Freelance"),
    ]
    assert fin.cost_total == Decimal("380.00")
    assert fin.tracking_options == [(f.TENANT, "opt-acme", "Acme")]
    assert [n for _, _, n in fin.suppliers] == ["Jane Freelance"]

    rows = {r.name: r for r in m.client_list(engine, today=TODAY)}
    assert rows["Acme"].invoice_count == 3 and rows["Acme"].outstanding == fin.outstanding
    assert rows["Acme"].overdue == fin.overdue and rows["Acme"].last_invoice == date(2026, 11, 30)
    assert rows["Other"].invoice_count == 0
    assert [r.name for r in m.client_list(engine, search="acme ltd")] == ["Acme"]  # contact name
    assert [r.name for r in m.client_list(engine, search="OTH")] == ["Other"]

    m.undo(engine, STAFF, aid)  # supplier mapping undone: its line is unattributed again
    fin = m.client_financials(engine, client.id, today=TODAY)
    assert [c.rule for c in fin.costs] == ["tracking option Acme"]

"""Hand-computed client P&L in Decimal, on SQLite and PostgreSQL: what counts, where it goes
and why (linked contact, tracking option, supplier mapping, unmatched, unattributed)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from tests.profitability import builders as b
from xeroflow_core import profitability as pf
from xeroflow_core.actor import Actor
from xeroflow_core.profitability import figures
from xeroflow_core.users import PermissionDenied

PARTNER = Actor("pat", "partner")
OCT = pf.month(2026, 10)
FX = (D("1000.00") / D("0.612345")).quantize(D("0.01"))  # 1633.07: Xero rounds per line


@pytest.fixture
def book(engine):
    """One organisation's October 2026, with every case the definitions name."""
    b.organisation(engine)
    b.accounts(engine)
    acme, beta = b.client(engine, "Acme"), b.client(engine, "Beta")
    acme_ltd, beta_co, walkin = (b.contact(engine, n) for n in ("Acme Ltd", "Beta Co", "Walk-in"))
    printhaus, jane = b.contact(engine, "PrintHaus"), b.contact(engine, "Jane Freelance")
    b.link(engine, acme, acme_ltd)
    b.link(engine, beta, beta_co)
    opt_acme = b.option(engine, "ACME", acme)
    opt_free = b.option(engine, "Unmapped option", None)
    b.supplier(engine, beta, jane)
    # sales
    b.doc(engine, "ACCREC", acme_ltd, [("200", "1000.00", "150.00")], number="INV-1")
    b.doc(engine, "ACCREC", acme_ltd, [("200", "500.00", "75.00")], status="PAID")
    b.doc(engine, "ACCREC", acme_ltd, [("200", "999.00", "0")], status="DRAFT")
    b.doc(engine, "ACCREC", acme_ltd, [("200", "777.00", "0")], status="VOIDED")
    b.doc(engine, "ACCREC", acme_ltd, [("200", "666.00", "0")], status="DELETED")
    b.doc(engine, "ACCREC", acme_ltd, [("200", "555.00", "0")], status="SUBMITTED")
    b.doc(engine, "ACCREC", acme_ltd, [("200", "444.00", "0")], on=date(2026, 9, 30))
    b.doc(engine, "ACCRECCREDIT", acme_ltd, [("200", "200.00", "30.00")], number="CN-1")
    b.doc(engine, "ACCRECCREDIT", acme_ltd, [("200", "50.00", "0")], status="DRAFT")
    b.doc(engine, "ACCREC", beta_co, [("200", "1000.00", "0")], rate="0.612345", currency="USD")
    b.doc(engine, "ACCREC", beta_co, [("200", "115.00", "15.00")], lat="Inclusive")
    b.doc(engine, "ACCREC", walkin, [("200", "300.00", "45.00")])
    # costs
    b.doc(
        engine,
        "ACCPAY",
        printhaus,
        [
            ("310", "400.00", "60.00", opt_acme),  # tracking -> Acme
            ("310", "50.00", "7.50"),  # no tracking, supplier unmapped -> unattributed
            ("310", "25.00", "0", opt_free),  # an option nobody mapped -> unattributed
            ("429", "80.00", "12.00", opt_acme),  # overheads: not a direct cost
        ],
        number="PH-1",
    )
    b.doc(
        engine,
        "ACCPAY",
        jane,
        [
            ("320", "300.00", "0"),
            ("320", "60.00", "0", opt_acme),
        ],  # supplier -> Beta; tracking wins
    )
    b.doc(engine, "ACCPAY", printhaus, [("310", "1000.00", "0", opt_acme)], status="DRAFT")
    b.doc(engine, "ACCPAY", printhaus, [("310", "1000.00", "0", opt_acme)], status="VOIDED")
    b.doc(engine, "ACCPAYCREDIT", printhaus, [("310", "40.00", "6.00", opt_acme)])
    b.receipt(engine, printhaus, [("310", "23.00", "3.00", opt_acme)])  # inclusive: 20 ex-tax
    b.receipt(engine, printhaus, [("310", "100.00", "0", opt_acme)], claim_status="SUBMITTED")
    pf.clear_cache()
    return {"acme": acme, "beta": beta, "engine": engine}


def _row(table, name):
    rows = table[table["client"] == name]
    assert len(rows) == 1, (name, table)
    return rows.iloc[0]


def test_hand_computed_client_pnl(book) -> None:
    view = pf.profitability(book["engine"], PARTNER, OCT)
    t = view.table
    acme = _row(t, "Acme")
    assert acme["revenue"] == D("1300.00")  # 1000 + 500 - 200 credit note; no draft/void
    assert acme["direct_costs"] == D("440.00")  # 400 + 60 - 40 + 20 (receipt ex-tax)
    assert acme["gross_profit"] == D("860.00")
    assert acme["margin"] == D("860") / D("1300")
    beta = _row(t, "Beta")
    assert beta["revenue"] == FX + D("100.00")  # USD at its own rate + inclusive line ex-tax
    assert beta["direct_costs"] == D("300.00")
    assert _row(t, "Unmatched revenue")["revenue"] == D("300.00")
    una = _row(t, "Unattributed costs")
    assert una["direct_costs"] == D("75.00") and una["revenue"] == 0
    assert una["margin"] is None
    tot = view.totals.iloc[0]
    assert tot["currency"] == "NZD"
    assert tot["revenue"] == D("1300.00") + FX + D("100.00") + D("300.00")
    assert tot["direct_costs"] == D("440.00") + D("300.00") + D("75.00")
    assert all(isinstance(v, D) for v in t["revenue"])


def test_previous_period_and_monthly_series(book) -> None:
    view = pf.profitability(book["engine"], PARTNER, OCT)
    h = view.headline.iloc[0]
    assert h["revenue_prev"] == D("444.00")  # the September invoice
    assert h["revenue_change"] == h["revenue"] - D("444.00")
    q = pf.profitability(book["engine"], PARTNER, pf.quarter(2026, 4))  # Oct-Dec
    m = q.monthly[q.monthly["client"] == "Acme"]
    assert list(m["month"]) == ["2026-10", "2026-11", "2026-12"]
    assert list(m["revenue"]) == [D("1300.00"), 0, 0]


def test_every_line_says_why_it_is_there(book) -> None:
    acme = pf.drill_down(book["engine"], PARTNER, OCT, client_id=book["acme"])
    why = set(acme["why"])
    assert "tracking option ACME" in why
    assert "linked contact Acme Ltd" in why
    assert D(acme[acme["category"] == "revenue"]["amount"].sum()) == D("1300.00")
    beta = pf.drill_down(book["engine"], PARTNER, OCT, client_id=book["beta"])
    assert "supplier Jane Freelance mapped to the client" in set(beta["why"])
    una = pf.drill_down(book["engine"], PARTNER, OCT, row_kind=figures.ROW_UNATTRIBUTED)
    assert sorted(una["amount"]) == [D("25.00"), D("50.00")]
    assert all(w.startswith("unattributed: ") and "PrintHaus" in w for w in una["why"])
    unm = pf.drill_down(book["engine"], PARTNER, OCT, row_kind=figures.ROW_UNMATCHED)
    assert list(unm["contact"]) == ["Walk-in"]


def test_staff_cannot_read_profitability(book) -> None:
    with pytest.raises(PermissionDenied):
        pf.profitability(book["engine"], Actor("sam", "staff"), OCT)
    with pytest.raises(PermissionDenied):
        pf.drill_down(book["engine"], Actor("sam", "staff"), OCT, client_id=book["acme"])


def test_cache_follows_the_data(book) -> None:
    engine = book["engine"]
    first = pf.profitability(engine, PARTNER, OCT)
    assert pf.profitability(engine, PARTNER, OCT) is first
    walkin = b.contact(engine, "Another walk-in")
    b.doc(engine, "ACCREC", walkin, [("200", "10.00", "0")])
    again = pf.profitability(engine, PARTNER, OCT)
    assert again is not first
    assert _row(again.table, "Unmatched revenue")["revenue"] == D("310.00")
    b.link(engine, book["acme"], walkin)  # a mapping change moves the money at once
    linked = pf.profitability(engine, PARTNER, OCT)
    assert _row(linked.table, "Unmatched revenue")["revenue"] == D("300.00")
    assert _row(linked.table, "Acme")["revenue"] == D("1310.00")


def test_organisations_in_different_currencies_are_never_added(engine) -> None:
    nz, uk = "nz-tenant", "uk-tenant"
    b.organisation(engine, nz, "NZD")
    b.organisation(engine, uk, "GBP")
    for t in (nz, uk):
        b.accounts(engine, t)
    acme = b.client(engine, "Acme")
    nz_c, uk_c = (
        b.contact(engine, "Acme NZ", tenant_id=nz),
        b.contact(engine, "Acme UK", tenant_id=uk),
    )
    b.link(engine, acme, nz_c, tenant_id=nz)
    b.link(engine, acme, uk_c, tenant_id=uk)
    b.doc(engine, "ACCREC", nz_c, [("200", "100.00", "15.00")], tenant_id=nz)
    b.doc(engine, "ACCREC", uk_c, [("200", "70.00", "14.00")], tenant_id=uk, currency="GBP")
    pf.clear_cache()
    view = pf.profitability(engine, PARTNER, OCT)
    assert view.currencies == ["GBP", "NZD"]
    acme_rows = view.table[view.table["client"] == "Acme"]
    assert dict(zip(acme_rows["currency"], acme_rows["revenue"], strict=True)) == {
        "GBP": D("70.00"),
        "NZD": D("100.00"),
    }
    assert dict(zip(view.totals["currency"], view.totals["revenue"], strict=True)) == {
        "GBP": D("70.00"),
        "NZD": D("100.00"),
    }
    only_nz = pf.profitability(engine, PARTNER, OCT, (nz,))
    assert only_nz.currencies == ["NZD"]


def test_top_n_groups_the_rest_and_keeps_unmatched_and_unattributed(book) -> None:
    view = pf.profitability(book["engine"], PARTNER, OCT)
    top = pf.top_n(view.table, 1)
    assert list(top["client"]) == [
        "Beta",  # largest revenue first
        "Other (1 clients)",
        "Unmatched revenue",
        "Unattributed costs",
    ]
    other = top[top["row_kind"] == pf.ROW_OTHER].iloc[0]
    assert other["revenue"] == D("1300.00") and other["direct_costs"] == D("440.00")
    assert sum(top["revenue"], D(0)) == sum(view.table["revenue"], D(0))
    conc = pf.concentration(view.table, "NZD")
    assert list(conc["client"]) == ["Beta", "Acme"]
    assert conc.iloc[-1]["cumulative_share"] == 1

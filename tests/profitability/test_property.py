"""Property: whatever the documents and mappings, clients + unmatched revenue + unattributed
costs add up exactly to the organisation's own totals for the same documents (nothing dropped,
nothing counted twice), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from tests.profitability import builders as b
from xeroflow_core import profitability as pf
from xeroflow_core.db import session_scope
from xeroflow_core.models import (
    Account,
    Client,
    ClientContactLink,
    ClientSupplier,
    ClientTrackingOption,
    Contact,
    CreditNote,
    DocumentLine,
    ExpenseClaim,
    Invoice,
    Organisation,
    Receipt,
    TrackingCategory,
    TrackingOption,
)
from xeroflow_core.money import round_money

OCT = pf.month(2026, 10)
POSTED = ("AUTHORISED", "PAID")
DIRECT = {"310", "320"}
SALES = ("ACCREC", "ACCRECCREDIT")
TYPES = ("ACCREC", "ACCRECCREDIT", "ACCPAY", "ACCPAYCREDIT", "RECEIPT")
STATUSES = ("DRAFT", "SUBMITTED", "AUTHORISED", "PAID", "VOIDED", "DELETED")

cents = st.integers(min_value=-50_000, max_value=2_000_000).map(lambda c: Decimal(c) / 100)
line = st.tuples(
    st.sampled_from(["200", "260", "310", "320", "429"]),
    cents,
    st.integers(min_value=0, max_value=20).map(lambda p: Decimal(p)),  # tax %
    st.sampled_from([None, 0, 1, 2, 3]),  # tracking option index (0, 1 mapped)
    st.sampled_from([None, 0, 2, 3]),
)
document = st.fixed_dictionaries(
    {
        "type": st.sampled_from(TYPES),
        "status": st.sampled_from(STATUSES),
        "claim_status": st.sampled_from(("SUBMITTED", "AUTHORISED", "PAID")),
        "contact": st.integers(min_value=0, max_value=5),
        "lines": st.lists(line, min_size=1, max_size=3),
        "lat": st.sampled_from(["Exclusive", "Inclusive", "NoTax"]),
        "rate": st.sampled_from(["1", "1", "0.612345", "1.7"]),
        "on": st.sampled_from([date(2026, 9, 30), date(2026, 10, 1), date(2026, 10, 31)]),
    }
)
mappings = st.fixed_dictionaries(
    {
        "links": st.lists(st.integers(0, 5), unique=True, max_size=4),  # contact -> client
        "suppliers": st.lists(st.integers(0, 5), unique=True, max_size=3),
        "options": st.lists(st.integers(0, 3), unique=True, max_size=3),
    }
)


def _clear(engine) -> None:
    with session_scope(engine) as s:
        for model in (
            ClientContactLink, ClientSupplier, ClientTrackingOption, Client, DocumentLine,
            Invoice, CreditNote, Receipt, ExpenseClaim, TrackingOption, TrackingCategory,
            Contact, Account, Organisation,
        ):  # fmt: skip
            s.exec(delete(model))


def _expected(docs) -> tuple[Decimal, Decimal]:
    """The organisation's totals, computed straight from the generated documents."""
    revenue = cost = Decimal(0)
    for d in docs:
        if not OCT.start <= d["on"] <= OCT.end:
            continue
        if d["type"] == "RECEIPT":
            if d["status"] != "AUTHORISED" or d["claim_status"] not in POSTED:
                continue
        elif d["status"] not in POSTED:
            continue
        sign = -1 if d["type"].endswith("CREDIT") else 1
        rate = Decimal(d["rate"]) if d["type"] != "RECEIPT" else Decimal(1)
        for code, amount, _pct, _o1, _o2, tax in d["rows"]:
            net = amount - tax if d["lat"] == "Inclusive" else amount
            base = net if rate == 1 else round_money(net / rate)
            if d["type"] in SALES:
                revenue += sign * base
            elif code in DIRECT:
                cost += sign * base
    return revenue, cost


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(docs=st.lists(document, max_size=12), maps=mappings)
def test_rows_add_up_to_the_organisation(engine, docs, maps) -> None:
    _clear(engine)
    pf.clear_cache()
    b.organisation(engine)
    b.accounts(engine)
    contacts = [b.contact(engine, f"Contact {i}") for i in range(6)]
    clients = [b.client(engine, f"Client {i}") for i in range(3)]
    for k, i in enumerate(maps["links"]):
        b.link(engine, clients[k % 3], contacts[i])
    for k, i in enumerate(maps["suppliers"]):
        b.supplier(engine, clients[(k + 1) % 3], contacts[i])
    options = [
        b.option(engine, f"Opt {i}", clients[i % 3] if i in maps["options"] else None)
        for i in range(4)
    ]
    for d in docs:
        rows = []
        for code, amount, pct, o1, o2 in d["lines"]:
            rate = pct / 100
            if d["lat"] == "NoTax":
                tax = Decimal(0)
            elif d["lat"] == "Inclusive":
                tax = round_money(amount * rate / (1 + rate))
            else:
                tax = round_money(amount * rate)
            opt1 = options[o1] if o1 is not None else None
            opt2 = options[o2] if o2 is not None else None
            rows.append((code, amount, pct, opt1, opt2, tax))
        d["rows"] = rows
        built = [(c, str(a), str(t), o1, o2) for c, a, _p, o1, o2, t in rows]
        contact = contacts[d["contact"]]
        if d["type"] == "RECEIPT":
            b.receipt(
                engine, contact, [(c, a, t, o1) for c, a, t, o1, _o2 in built],
                claim_status=d["claim_status"], status=d["status"], on=d["on"], lat=d["lat"],
            )  # fmt: skip
        else:
            b.doc(
                engine, d["type"], contact, built, status=d["status"], on=d["on"],
                lat=d["lat"], rate=d["rate"], currency="NZD" if d["rate"] == "1" else "USD",
            )  # fmt: skip
    for d in docs:  # receipts carry one tracking option only: drop the second for the oracle
        if d["type"] == "RECEIPT":
            d["rows"] = [(c, a, p, o1, None, t) for c, a, p, o1, _o2, t in d["rows"]]
    view = pf.compute(engine, OCT)
    revenue, cost = _expected(docs)
    table = view.table
    assert sum(table["revenue"], Decimal(0)) == revenue
    assert sum(table["direct_costs"], Decimal(0)) == cost
    if len(view.totals):
        assert view.totals.iloc[0]["revenue"] == revenue
        assert view.totals.iloc[0]["direct_costs"] == cost
    # the same documents without any client mapping give the same organisation totals
    plain = pf.facts(engine, OCT.start, OCT.end, attribute=False)
    by_cat = {"revenue": Decimal(0), "cost": Decimal(0)}
    for amount, cat in zip(plain["amount"], plain["category"], strict=True):
        by_cat[cat] += amount
    assert by_cat == {"revenue": revenue, "cost": cost}
    # each client row only holds what its mappings give it
    assert set(table["row_kind"]) <= {"client", "unmatched", "unattributed"}

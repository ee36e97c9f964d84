"""`python -m xeroflow_core bench profitability`: the Profitability page's figures at scale.

Builds 200 clients, 36 months, 50,000 sales invoices and 50,000 bill lines (bulk inserts into a
fresh SQLite file, or the database given by --database-url), then prints the server time of one
render's figures (uncached and cached) for a month, a financial year and all 36 months.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, insert, text

from xeroflow_core.actor import Actor
from xeroflow_core.db import make_engine, migrate
from xeroflow_core.models import (
    Account,
    Client,
    ClientContactLink,
    ClientSupplier,
    ClientTrackingOption,
    Contact,
    CreditNote,
    DocumentLine,
    Invoice,
    Organisation,
    TrackingCategory,
    TrackingOption,
)
from xeroflow_core.profitability import figures, periods, view

TENANT = "bench-tenant-0000-0000-000000000000"
CENT = Decimal("0.01")


def _uid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def build(
    engine: Engine,
    clients: int = 200,
    months: int = 36,
    invoices: int = 50_000,
    bill_lines: int = 50_000,
    seed: int = 7,
    end: date = date(2026, 10, 31),
) -> dict[str, int]:
    """Fill `engine` with one organisation's ledger at scale, in a few bulk INSERTs."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    month_list = []
    y, m = end.year, end.month
    for _ in range(months):
        month_list.append((y, m))
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)

    def day() -> date:
        yy, mm = rng.choice(month_list)
        return date(yy, mm, rng.randint(1, 28))

    rows: dict = {
        k: [] for k in ("acc", "cl", "con", "link", "opt", "cto", "sup", "inv", "cn", "ln")
    }
    for code, name, typ in [
        ("200", "Sales", "REVENUE"),
        ("310", "Cost of Goods Sold", "DIRECTCOSTS"),
        ("320", "Subcontractors", "DIRECTCOSTS"),
        ("429", "General Expenses", "OVERHEADS"),
    ]:
        acc = dict(tenant_id=TENANT, account_id=_uid(rng), code=code, name=name, type=typ)
        rows["acc"].append(acc)
    rows["opt"].append(None)
    customers, options = [], []
    for i in range(1, clients + 1):
        rows["cl"].append(dict(id=i, name=f"Client {i:03d}", created_at=now, updated_at=now))
        cid, oid = _uid(rng), _uid(rng)
        rows["con"].append(dict(tenant_id=TENANT, contact_id=cid, name=f"Client {i:03d} Ltd"))
        rows["link"].append(dict(tenant_id=TENANT, contact_id=cid, client_id=i, linked_at=now))
        rows["cto"].append(dict(tenant_id=TENANT, tracking_option_id=oid, client_id=i))
        customers.append((i, cid))
        options.append(oid)
    rows["opt"] = [
        dict(
            tenant_id=TENANT,
            tracking_option_id=o,
            tracking_category_id="bench-client-category",
            name=f"Client {i:03d}",
        )
        for i, o in enumerate(options, 1)
    ]
    walkins = []
    for i in range(20):
        cid = _uid(rng)
        rows["con"].append(dict(tenant_id=TENANT, contact_id=cid, name=f"Walk-in {i}"))
        walkins.append(cid)
    suppliers = []
    for i in range(40):
        cid = _uid(rng)
        rows["con"].append(dict(tenant_id=TENANT, contact_id=cid, name=f"Supplier {i}"))
        suppliers.append(cid)
        if i < 15:
            rows["sup"].append(dict(tenant_id=TENANT, contact_id=cid, client_id=1 + i * 13))
    weights = [1 / (k + 1) ** 0.8 for k in range(clients)]  # a few large clients, a long tail
    n = 0
    for _ in range(invoices):
        n += 1
        contact = (
            rng.choice(walkins) if rng.random() < 0.04 else rng.choices(customers, weights)[0][1]
        )
        amount = Decimal(rng.randrange(20_000, 900_000)) / 100
        rate, cur = Decimal(1), "NZD"
        if rng.random() < 0.03:
            rate, cur = Decimal("0.58") + Decimal(rng.randrange(0, 9999)) / 1_000_000, "USD"
        status = rng.choices(["AUTHORISED", "PAID", "DRAFT", "VOIDED"], [20, 74, 3, 3])[0]
        doc = _uid(rng)
        tax = (amount * Decimal("0.15")).quantize(CENT)
        credit = rng.random() < 0.02
        common = dict(
            tenant_id=TENANT, type="ACCRECCREDIT" if credit else "ACCREC", contact_id=contact,
            date=day(), status=status, sub_total=amount, total_tax=tax, total=amount + tax,
            currency_code=cur, currency_rate=rate, updated_utc=now, line_amount_types="Exclusive",
        )  # fmt: skip
        if credit:
            rows["cn"].append(dict(credit_note_id=doc, credit_note_number=f"CN-{n}", **common))
        else:
            rows["inv"].append(dict(invoice_id=doc, invoice_number=f"INV-{n}", **common))
        rows["ln"].append(
            dict(
                tenant_id=TENANT, line_item_id=_uid(rng),
                document_kind="credit_note" if credit else "invoice", document_id=doc,
                position=0, description="Services", quantity=Decimal(1), unit_amount=amount,
                account_code="200", tax_type="OUTPUT2", tax_amount=tax, line_amount=amount,
                tracking_option_id_1=None, tracking_option_id_2=None, tracking=[],
            )
        )  # fmt: skip
    made = 0
    while made < bill_lines:
        doc, supplier = _uid(rng), rng.choice(suppliers)
        k = min(rng.randint(1, 7), bill_lines - made)
        sub = Decimal(0)
        on, status = (
            day(),
            rng.choices(["AUTHORISED", "PAID", "DRAFT", "VOIDED"], [20, 74, 3, 3])[0],
        )
        for pos in range(k):
            amount = Decimal(rng.randrange(1_000, 300_000)) / 100
            sub += amount
            tracked = rng.random() < 0.7
            rows["ln"].append(
                dict(
                    tenant_id=TENANT, line_item_id=_uid(rng), document_kind="invoice",
                    document_id=doc, position=pos, description="Cost", quantity=Decimal(1),
                    unit_amount=amount, account_code=rng.choice(["310", "320", "320", "429"]),
                    tax_type="INPUT2", tax_amount=Decimal(0), line_amount=amount,
                    tracking_option_id_1=rng.choices(options, weights)[0] if tracked else None,
                    tracking_option_id_2=None, tracking=[],
                )
            )  # fmt: skip
        made += k
        n += 1
        rows["inv"].append(
            dict(
                tenant_id=TENANT, invoice_id=doc, invoice_number=f"BILL-{n}", type="ACCPAY",
                contact_id=supplier, date=on, status=status, sub_total=sub, total_tax=Decimal(0),
                total=sub, currency_code="NZD", currency_rate=Decimal(1), updated_utc=now,
                line_amount_types="Exclusive",
            )
        )  # fmt: skip
    with engine.begin() as conn:
        conn.execute(
            insert(Organisation),
            [dict(tenant_id=TENANT, name="Bench Agency Ltd", base_currency="NZD",
                  financial_year_end_day=31, financial_year_end_month=3)],
        )  # fmt: skip
        conn.execute(
            insert(TrackingCategory),
            [dict(tenant_id=TENANT, tracking_category_id="bench-client-category", name="Client")],
        )
        for model, key in [
            (Account, "acc"), (Client, "cl"), (Contact, "con"), (ClientContactLink, "link"),
            (TrackingOption, "opt"), (ClientTrackingOption, "cto"), (ClientSupplier, "sup"),
            (Invoice, "inv"), (CreditNote, "cn"), (DocumentLine, "ln"),
        ]:  # fmt: skip
            if rows[key]:
                conn.execute(insert(model), rows[key])
    # fresh planner statistics, as autovacuum (PostgreSQL) or a long-lived database would have:
    # without them the planner believes every table holds one row and picks nested loops
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    bills = sum(1 for r in rows["inv"] if r["type"] == "ACCPAY")
    return {
        "clients": clients,
        "months": months,
        "invoices": len(rows["inv"]) - bills + len(rows["cn"]),
        "bills": bills,
        "bill_lines": made,
        "lines": len(rows["ln"]),
    }


def render_figures(engine: Engine, actor: Actor, period: periods.Period) -> view.View:
    """What one page render computes: the view, plus the chart tables (top N, concentration)."""
    v = view.profitability(engine, actor, period)
    figures.top_n(v.table, 15)
    for cur in v.currencies:
        figures.concentration(v.table, cur)
    return v


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="xeroflow_core bench profitability")
    p.add_argument("--database-url", default="", help="default: a fresh SQLite file in a tmp dir")
    p.add_argument("--clients", type=int, default=200)
    p.add_argument("--months", type=int, default=36)
    p.add_argument("--invoices", type=int, default=50_000)
    p.add_argument("--bill-lines", type=int, default=50_000)
    p.add_argument("--repeat", type=int, default=5)
    args = p.parse_args(argv)
    tmp = tempfile.TemporaryDirectory(prefix="xf-bench-")
    url = args.database_url or f"sqlite:///{Path(tmp.name) / 'bench.db'}"
    engine = make_engine(url)
    migrate(engine)
    t0 = time.perf_counter()
    sizes = build(engine, args.clients, args.months, args.invoices, args.bill_lines)
    built = time.perf_counter() - t0
    print(f"database: {engine.url.render_as_string(hide_password=True)} ({engine.dialect.name})")
    print("built: " + ", ".join(f"{v:,} {k}" for k, v in sizes.items()) + f" in {built:.1f} s")
    actor = Actor("bench", "partner")
    cases = [
        ("month (Oct 2026)", periods.month(2026, 10)),
        ("financial year (Apr 2026 - Mar 2027)", periods.financial_year(date(2026, 10, 1), 31, 3)),
        ("all 36 months (custom range)", periods.custom(date(2023, 11, 1), date(2026, 10, 31))),
    ]
    print(
        f"{'period':<38}{'wall median':>12}{'cpu median':>12}{'cached':>10}{'rows':>6}"
        "   (uncached = first render after a sync)"
    )
    for label, period in cases:
        wall, cpu = [], []
        for _ in range(args.repeat):
            view.clear_cache()
            t, c = time.perf_counter(), time.process_time()
            v = render_figures(engine, actor, period)
            wall.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
        t = time.perf_counter()
        render_figures(engine, actor, period)
        warm = time.perf_counter() - t
        wall.sort()
        cpu.sort()
        mid = len(wall) // 2
        print(f"{label:<38}{wall[mid]:>10.3f} s{cpu[mid]:>10.3f} s{warm:>8.3f} s{len(v.table):>6}")
    engine.dispose()
    tmp.cleanup()
    return 0

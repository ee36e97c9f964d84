"""`python -m xeroflow_core bench queue`: time the Unmatched Queue and the client list at scale.

Generates its own data with bulk inserts (default 5,000 contacts and 50,000 sales invoices in two
organisations, 60% of contacts linked to 1,000 clients, 2% ignored) in a throwaway SQLite file,
or in the (empty) database given by --database-url, then prints the median and best server time
of each read the pages make.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, insert

from xeroflow_core import clients as m
from xeroflow_core.db import make_engine, migrate
from xeroflow_core.models import (
    Client,
    ClientContactLink,
    Contact,
    IgnoredContact,
    Invoice,
    Organisation,
)

TENANTS = ("bench-tenant-nz", "bench-tenant-au")
WORDS = [
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Wonka",
    "Tyrell",
    "Cyberdyne",
    "Soylent",
    "Hooli",
    "Vandelay",
    "Pied",
    "Piper",
    "Aperture",
    "Black",
    "Mesa",
    "Oscorp",
    "Gringotts",
    "Monarch",
    "Dunder",
    "Mifflin",
    "Prestige",
    "Virtucon",
]
SUFFIX = ("Ltd", "Limited", "Pty Ltd", "& Co", "Group", "", "", "")


def generate(engine: Engine, contacts: int, invoices: int, seed: int = 7) -> dict[str, int]:
    """Bulk-insert a realistic book: contacts, ACCREC invoices (some voided), clients, links."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    contact_rows, keys = [], []
    for i in range(contacts):
        tenant = TENANTS[i % len(TENANTS)]
        cid = str(uuid.UUID(int=rng.getrandbits(128)))
        name = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {i} {rng.choice(SUFFIX)}".strip()
        keys.append((tenant, cid))
        contact_rows.append(
            dict(
                tenant_id=tenant, contact_id=cid, name=name, first_name="", last_name="",
                email=f"ap@{name.split()[0].lower()}{i}.example", contact_number="",
                account_number="", status="ARCHIVED" if rng.random() < 0.03 else "ACTIVE",
                is_customer=True, is_supplier=False, default_currency="NZD",
                merged_to_contact_id=None, updated_utc=now,
            )
        )  # fmt: skip
    invoice_rows = []
    start = date(2023, 1, 1)
    for n in range(invoices):
        tenant, cid = keys[rng.randrange(len(keys))]
        sub = Decimal(rng.randrange(5_000, 500_000)) / 100
        tax = (sub * Decimal("0.15")).quantize(Decimal("0.01"))
        foreign = rng.random() < 0.05
        status = rng.choices(["PAID", "AUTHORISED", "DRAFT", "VOIDED"], [70, 22, 5, 3])[0]
        on = start + timedelta(days=rng.randrange(1000))
        invoice_rows.append(
            dict(
                tenant_id=tenant, invoice_id=str(uuid.UUID(int=rng.getrandbits(128))),
                type="ACCREC", invoice_number=f"INV-{n:06d}", reference="", contact_id=cid,
                date=on, due_date=on + timedelta(days=20), status=status,
                line_amount_types="Exclusive", sub_total=sub, total_tax=tax, total=sub + tax,
                amount_due=Decimal(0) if status == "PAID" else sub + tax,
                amount_paid=sub + tax if status == "PAID" else Decimal(0),
                amount_credited=Decimal(0), currency_code="USD" if foreign else "NZD",
                currency_rate=Decimal("0.6") if foreign else Decimal(1), fully_paid_on=None,
                updated_utc=now,
            )
        )  # fmt: skip
    n_clients = max(1, contacts // 5)
    client_rows = [
        dict(id=i + 1, name=f"Client {i + 1:05d} {rng.choice(WORDS)}", status="active", notes="",
             created_at=now, updated_at=now)
        for i in range(n_clients)
    ]  # fmt: skip
    order = list(range(len(keys)))
    rng.shuffle(order)
    linked = order[: int(len(keys) * 0.6)]
    ignored = order[int(len(keys) * 0.6) : int(len(keys) * 0.62)]
    link_rows = [
        dict(tenant_id=keys[i][0], contact_id=keys[i][1], client_id=rng.randrange(n_clients) + 1,
             linked_by="bench", linked_at=now)
        for i in linked
    ]  # fmt: skip
    ignore_rows = [
        dict(tenant_id=keys[i][0], contact_id=keys[i][1], ignored_by="bench", ignored_at=now,
             reason="bench")
        for i in ignored
    ]  # fmt: skip
    with engine.begin() as conn:
        conn.execute(
            insert(Organisation.__table__),
            [
                dict(tenant_id=t, name=f"Bench {t[-2:].upper()}", base_currency="NZD")
                for t in TENANTS
            ],
        )
        conn.execute(insert(Contact.__table__), contact_rows)
        for i in range(0, len(invoice_rows), 5000):
            conn.execute(insert(Invoice.__table__), invoice_rows[i : i + 5000])
        conn.execute(insert(Client.__table__), client_rows)
        conn.execute(insert(ClientContactLink.__table__), link_rows)
        conn.execute(insert(IgnoredContact.__table__), ignore_rows)
    return {
        "contacts": contacts,
        "invoices": invoices,
        "clients": n_clients,
        "linked": len(link_rows),
        "ignored": len(ignore_rows),
        "sample_contact": order[-1],
        "_keys": keys,  # type: ignore[dict-item]
    }


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float, object]:
    """(median ms, best ms, last result) over `repeat` runs after one warm-up."""
    result = fn()
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        runs.append((time.perf_counter() - t0) * 1000)
    return statistics.median(runs), min(runs), result


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="xeroflow_core bench queue", description=__doc__)
    p.add_argument("--contacts", type=int, default=5000)
    p.add_argument("--invoices", type=int, default=50000)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--database-url", default="", help="an EMPTY database (default: temp SQLite)")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = make_engine(url)
        migrate(engine)
        t0 = time.perf_counter()
        info = generate(engine, args.contacts, args.invoices)
        gen_s = time.perf_counter() - t0
        keys = info.pop("_keys")
        sample = keys[info.pop("sample_contact")]
        print(f"backend: {engine.dialect.name}; generated {info} in {gen_s:.1f} s")
        biggest = max(m.client_list(engine), key=lambda r: r.invoice_count)
        cases: list[tuple[str, Callable[[], object]]] = [
            ("unmatched_queue(order=newest)", lambda: m.unmatched_queue(engine)),
            ("unmatched_queue(order=total)", lambda: m.unmatched_queue(engine, order="total")),
            ("queue_count", lambda: m.queue_count(engine)),
            ("ignored_contacts", lambda: m.ignored_contacts(engine)),
            ("client_list()", lambda: m.client_list(engine)),
            ("client_list(search='acme')", lambda: m.client_list(engine, search="acme")),
            ("suggestions(one contact)", lambda: m.suggestions(engine, *sample)),
            (f"client_financials({biggest.invoice_count} inv)",
             lambda: m.client_financials(engine, biggest.id)),
        ]  # fmt: skip
        print(f"{'read':<36}{'median ms':>10}{'best ms':>10}  result")
        for label, fn in cases:
            med, best, result = timed(fn, args.repeat)
            size = len(result) if isinstance(result, list) else result
            if hasattr(result, "invoices"):
                size = f"{len(result.invoices)} invoices"
            print(f"{label:<36}{med:>10.1f}{best:>10.1f}  {size}")
        engine.dispose()
    return 0

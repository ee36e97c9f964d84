"""Seeded demo data: a realistic agency and a smaller studio, deterministic from seed + as_of.

Demo Agency Ltd (NZD) has three years of monthly retainers, project invoices, bills tracked by
the "Client" category, credit notes, a USD customer, archived/merged contacts, voided, deleted and
draft invoices, and classic expense claims. Demo Studio Pty (AUD) is smaller and refuses
ExpenseClaims. Large sizes add generic invoices (~3 lines each) for benchmarks.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from .chart import (
    FIRST,
    LAST,
    PREFIX,
    SUFFIX,
    SUPPLIERS,
    TRADE,
    Ids,
    accounts,
    tax_rates,
)
from .models import (
    Contact,
    Document,
    Line,
    Payment,
    TrackingCategory,
    TrackingOption,
    compute_totals,
)
from .msdate import dt_ms
from .store import Org
from .story import StoryMixin

D = Decimal


@dataclass(frozen=True)
class OrgPlan:
    name: str
    short_code: str
    currency: str
    country: str
    timezone: str
    customers: int
    suppliers: int
    months: int
    invoices: int | None  # extra generic invoices to reach this total (None: the story only)
    classic_expenses: str
    foreign: tuple[str, Decimal] | None  # (currency, CurrencyRate) of one foreign customer


class OrgBuilder(StoryMixin):
    """Builds one organisation's records; all stamps fall before the clock's start."""

    def __init__(
        self, plan: OrgPlan, rng: random.Random, as_of: date, start: datetime, tenant_id: str
    ) -> None:
        self.plan, self.rng, self.as_of, self.start = plan, rng, as_of, start
        self.ids = Ids(rng)
        self.limit = start - timedelta(hours=1)
        first = date(as_of.year - 4, 1, 1)
        created = datetime.combine(first, time(9, tzinfo=UTC))
        self.org = Org(
            tenant_id=tenant_id,
            name=plan.name,
            short_code=plan.short_code,
            base_currency=plan.currency,
            country_code=plan.country,
            timezone=plan.timezone,
            classic_expenses=plan.classic_expenses,
            created=created,
            legal_name=plan.name,
        )
        self.org.settings_updated = created
        self.sales, self.purchases, self.none, self.export = tax_rates(self.org)
        accounts(self.ids, self.org, self.sales, self.purchases, self.none, created)
        self.docs: list[Document] = []
        self.customers: list[Contact] = []
        self.suppliers: list[tuple[Contact, str]] = []
        self.option_of: dict[str, TrackingOption] = {}

    def stamp(self, d: date, late: int = 0) -> datetime:
        t = datetime.combine(d, time(8, tzinfo=UTC)) + timedelta(
            days=late, seconds=self.rng.randrange(36_000), milliseconds=self.rng.randrange(1000)
        )
        return min(t, self.limit - timedelta(seconds=self.rng.randrange(86_400)))

    def contacts(self) -> None:
        rng, org, plan = self.rng, self.org, self.plan
        used: set[str] = set()
        n = 0
        while len(self.customers) < plan.customers:
            n += 1
            name = f"{rng.choice(PREFIX)} {rng.choice(TRADE)} {rng.choice(SUFFIX)}"
            if len(used) > len(PREFIX) * len(TRADE) // 2:
                name = f"{name} {n}"
            if name in used:
                continue
            used.add(name)
            c = Contact(
                self.ids(), name, self.stamp(date(self.as_of.year - 3, 1, 5)), is_customer=True
            )
            c.number = f"C{len(self.customers) + 1:04d}"
            c.first_name, c.last_name = rng.choice(FIRST), rng.choice(LAST)
            c.email = f"{c.first_name.lower()}@{name.split()[0].lower()}{n}.example"
            c.default_currency = plan.currency
            self.customers.append(c)
        for i in range(plan.suppliers):
            name, acct = SUPPLIERS[i % len(SUPPLIERS)]
            if i >= len(SUPPLIERS):
                name = f"{name} {i // len(SUPPLIERS) + 1}"
            s = Contact(
                self.ids(), name, self.stamp(date(self.as_of.year - 3, 1, 5)), is_supplier=True
            )
            s.number = f"S{i + 1:04d}"
            s.default_currency = plan.currency
            self.suppliers.append((s, acct))
        if plan.foreign:
            f = self.customers[1]
            f.name, f.default_currency, f.country = (
                "Bluewater Outfitters Inc",
                plan.foreign[0],
                "US",
            )
        for c in self.customers + [s for s, _ in self.suppliers]:
            org.contacts.items[c.id] = c

    def tracking(self) -> None:
        cat = TrackingCategory(self.ids(), "Client")
        # The last few customers are occasional buyers: no tracking option, no client link.
        linked = self.customers[: max(1, len(self.customers) - max(1, len(self.customers) // 8))]
        for c in linked[:300]:
            opt = TrackingOption(self.ids(), c.name[:100])
            cat.options.append(opt)
            self.option_of[c.id] = opt
        cat.options[-1].status = "ARCHIVED"
        self.org.tracking[cat.id] = cat
        self.category = cat

    def line(
        self,
        desc: str,
        qty: Decimal,
        unit: Decimal,
        acct: str,
        tax: str,
        client: Contact | None = None,
    ) -> Line:
        tracking = []
        if client is not None and client.id in self.option_of:
            opt = self.option_of[client.id]
            tracking = [
                {
                    "TrackingCategoryID": self.category.id,
                    "TrackingOptionID": opt.id,
                    "Name": "Client",
                    "Option": opt.name,
                }
            ]
        return Line(self.ids(), desc, qty, unit, acct, tax, tracking)

    def doc(
        self,
        typ: str,
        contact: Contact,
        d: date,
        lines: list[Line],
        status: str,
        *,
        ref: str = "",
        lat: str = "Exclusive",
        currency: tuple[str, Decimal] | None = None,
    ) -> Document:
        org = self.org
        number = ""
        if typ == "ACCREC":
            number = org.new_invoice_number()
        elif typ == "ACCPAY":
            number = f"{contact.name.split()[0][:4].upper()}-{self.rng.randrange(10_000, 99_999)}"
        elif typ in ("ACCRECCREDIT", "ACCPAYCREDIT"):
            number = org.new_credit_number()
        cur, rate = currency or (self.plan.currency, D("1"))
        doc = Document(
            self.ids(),
            typ,
            number,
            contact.id,
            d,
            status,
            lines,
            self.stamp(d),
            due_date=d + timedelta(days=20),
            reference=ref,
            line_amount_types=lat,
            currency_code=cur,
            currency_rate=rate,
        )
        compute_totals(doc, org.tax_rates)
        if status == "PAID":
            pay_day = min(
                d + timedelta(days=self.rng.randrange(5, 40)), self.as_of - timedelta(days=2)
            )
            doc.payments.append(Payment(self.ids(), pay_day, doc.total))
            doc.amount_paid = doc.total
            doc.fully_paid_on = pay_day
            doc.updated = self.stamp(pay_day)
        self.docs.append(doc)
        return doc

    def finish(self) -> Org:
        org = self.org
        for d in self.docs:
            coll = org.credit_notes if d.type.endswith("CREDIT") else org.invoices
            coll.items[d.id] = d
        for coll in (
            org.contacts,
            org.invoices,
            org.credit_notes,
            org.receipts,
            org.expense_claims,
        ):
            coll.index = sorted((dt_ms(o.updated), o.id) for o in coll.items.values())
        org.last_stamp = max(
            (
                o.updated
                for c in (org.contacts, org.invoices, org.credit_notes)
                for o in c.items.values()
            ),
            default=org.created,
        )
        return org


SIZES = {"small": (12, 8, 12), "demo": (40, 25, 36), "large": (3000, 2000, 36)}


def generate(
    seed: int,
    as_of: date,
    start: datetime,
    size: str = "demo",
    invoices: int | None = None,
    contacts: int | None = None,
) -> list[Org]:
    """Build the demo organisations; the same (seed, as_of, size) always gives the same data."""
    customers, suppliers, months = SIZES[size]
    if size == "large" and invoices is None:
        invoices = 50_000
    if contacts:
        suppliers = max(6, contacts * 2 // 5)
        customers = max(8, contacts - suppliers)
    plans = [
        OrgPlan(
            "Demo Agency Ltd",
            "!dA9x1",
            "NZD",
            "NZ",
            "NEWZEALANDSTANDARDTIME",
            customers,
            suppliers,
            months,
            invoices,
            "enabled",
            ("USD", D("0.590000")),
        ),
        OrgPlan(
            "Demo Studio Pty",
            "!sT4k2",
            "AUD",
            "AU",
            "AUSEASTERNSTANDARDTIME",
            10,
            6,
            12,
            None,
            "forbidden",
            None,
        ),
    ]
    orgs = []
    for i, plan in enumerate(plans):
        tenant_id = Ids(random.Random(f"tenant:{seed}:{i}"))()  # stable across days
        b = OrgBuilder(
            plan, random.Random(f"{seed}:{as_of.isoformat()}:{i}"), as_of, start, tenant_id
        )
        b.contacts()
        b.tracking()
        b.story()
        if plan.invoices:
            b.generic(plan.invoices)
        b.expenses()
        orgs.append(b.finish())
    return orgs

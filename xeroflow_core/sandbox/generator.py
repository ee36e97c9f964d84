"""Seeded demo data: a realistic agency and a smaller studio, deterministic from seed + as_of.

Demo Agency Ltd (NZD) has three years of monthly retainers, project invoices, bills tracked by
the "Client" category, credit notes, a USD customer, archived/merged contacts, voided, deleted and
draft invoices, and classic expense claims. Demo Studio Pty (AUD) is smaller and refuses
ExpenseClaims. Large sizes add generic invoices (~3 lines each) for benchmarks.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from .models import (
    Account,
    Contact,
    Document,
    ExpenseClaim,
    Line,
    Payment,
    TaxRate,
    TrackingCategory,
    TrackingOption,
    User,
    compute_totals,
)
from .store import Org

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


class Ids:
    """Deterministic UUID4 strings from a seeded RNG."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def __call__(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))


PREFIX = [
    "Harbour",
    "Kowhai",
    "Summit",
    "Tui",
    "Northern",
    "Coastal",
    "Alpine",
    "Southern",
    "Kauri",
    "Rata",
    "Pohutukawa",
    "Silver",
    "Fern",
    "Totara",
    "Kea",
    "Ruru",
    "Matai",
    "Beacon",
    "Meridian",
    "Cobalt",
    "Ember",
    "Juniper",
    "Lumen",
    "Orchard",
    "Quarry",
    "Riverstone",
    "Saltwater",
    "Tidal",
    "Urban",
    "Vantage",
    "Willow",
    "Atlas",
    "Brightwater",
    "Cedar",
    "Driftwood",
    "Evergreen",
]
TRADE = [
    "Dental",
    "Coffee",
    "Roasters",
    "Architects",
    "Brewing",
    "Motors",
    "Physio",
    "Legal",
    "Realty",
    "Bakery",
    "Cycles",
    "Fitness",
    "Vineyard",
    "Logistics",
    "Studios",
    "Pharmacy",
    "Outdoors",
    "Optometry",
    "Builders",
    "Insurance",
    "Foods",
    "Apparel",
    "Gardens",
    "Veterinary",
    "Accounting",
    "Hotel",
    "Marine",
    "Solar",
    "Robotics",
    "Academy",
]
SUFFIX = ["Ltd", "Limited", "& Co", "Group", "Trust", "Partners"]
SUPPLIERS = [
    ("Pixel Freelance Studio", "320"),
    ("CodeCraft Contractors", "320"),
    ("Wordsmith Copywriting", "320"),
    ("Frame & Lens Photography", "320"),
    ("Motion Lab Animation", "320"),
    ("Voiceworks Audio", "320"),
    ("PrintHaus Production", "310"),
    ("Media Buy Direct", "310"),
    ("StockShot Images", "310"),
    ("Cloudhost Servers", "310"),
    ("Event Hire Co", "310"),
    ("Signage Plus", "310"),
    ("Queen Street Properties", "469"),
    ("Mercury Power", "445"),
    ("One Telco", "489"),
    ("Xpert Accountants", "412"),
    ("SaaSly Subscriptions", "485"),
    ("Air Travel Agency", "493"),
    ("Stationery Warehouse", "461"),
    ("Harbour Insurance Brokers", "433"),
    ("Cafe Nero", "420"),
    ("Google Ads", "400"),
    ("LinkedIn Ads", "400"),
    ("Bank Fees Ltd", "404"),
    ("General Supplies Co", "429"),
]
FIRST = [
    "Aroha",
    "Ben",
    "Chloe",
    "Daniel",
    "Emma",
    "Finn",
    "Grace",
    "Hemi",
    "Isla",
    "James",
    "Kiri",
    "Liam",
    "Mia",
    "Noah",
    "Olivia",
    "Peter",
    "Quinn",
    "Ruby",
    "Sam",
    "Tama",
]
LAST = [
    "Smith",
    "Williams",
    "Brown",
    "Taylor",
    "Wilson",
    "Ngata",
    "Walker",
    "Clark",
    "Patel",
    "Singh",
    "Lee",
    "King",
    "Wright",
    "Scott",
    "Green",
]


def _accounts(ids: Ids, org: Org, sales: str, purchases: str, none: str, stamp: datetime) -> None:
    spec = [
        ("090", "Business Bank Account", "BANK", "ASSET", none, None),
        ("200", "Sales", "REVENUE", "REVENUE", sales, None),
        ("210", "Project Fees", "REVENUE", "REVENUE", sales, None),
        ("260", "Other Revenue", "OTHERINCOME", "REVENUE", sales, None),
        ("270", "Interest Income", "OTHERINCOME", "REVENUE", none, None),
        ("310", "Cost of Goods Sold", "DIRECTCOSTS", "EXPENSE", purchases, None),
        ("320", "Subcontractors", "DIRECTCOSTS", "EXPENSE", purchases, None),
        ("400", "Advertising", "OVERHEADS", "EXPENSE", purchases, None),
        ("404", "Bank Fees", "OVERHEADS", "EXPENSE", none, None),
        ("412", "Consulting & Accounting", "EXPENSE", "EXPENSE", purchases, None),
        ("420", "Entertainment", "EXPENSE", "EXPENSE", purchases, None),
        ("429", "General Expenses", "OVERHEADS", "EXPENSE", purchases, None),
        ("433", "Insurance", "EXPENSE", "EXPENSE", purchases, None),
        ("445", "Light, Power, Heating", "OVERHEADS", "EXPENSE", purchases, None),
        ("461", "Printing & Stationery", "OVERHEADS", "EXPENSE", purchases, None),
        ("469", "Rent", "OVERHEADS", "EXPENSE", purchases, None),
        ("477", "Wages and Salaries", "EXPENSE", "EXPENSE", none, None),
        ("485", "Subscriptions", "OVERHEADS", "EXPENSE", purchases, None),
        ("489", "Telephone & Internet", "OVERHEADS", "EXPENSE", purchases, None),
        ("493", "Travel - National", "OVERHEADS", "EXPENSE", purchases, None),
        ("610", "Accounts Receivable", "CURRENT", "ASSET", none, "DEBTORS"),
        ("800", "Accounts Payable", "CURRLIAB", "LIABILITY", none, "CREDITORS"),
        ("820", "GST", "CURRLIAB", "LIABILITY", none, "GST"),
        ("999", "Old Marketing (archived)", "OVERHEADS", "EXPENSE", purchases, None),
    ]
    for code, name, typ, cls, tax, system in spec:
        acc = Account(ids(), code, name, typ, cls, tax, stamp, system_account=system)
        if code == "999":
            acc.status = "ARCHIVED"
        org.accounts[acc.id] = acc


def _tax_rates(org: Org) -> tuple[str, str, str, str]:
    """Tax rates of the org's country; returns (sales, purchases, none, zero-rated export)."""
    if org.country_code == "NZ":
        rates = [
            TaxRate("GST on Income", "OUTPUT2", D("15"), "OUTPUT", expenses=False),
            TaxRate("GST on Expenses", "INPUT2", D("15"), "INPUT", revenue=False),
            TaxRate("No GST", "NONE", D("0"), "NONE"),
            TaxRate("Zero Rated", "ZERORATED", D("0"), "OUTPUT", expenses=False),
            TaxRate("GST on Imports", "GSTONIMPORTS", D("0"), "GSTONIMPORTS", revenue=False),
        ]
        codes = ("OUTPUT2", "INPUT2", "NONE", "ZERORATED")
    else:
        rates = [
            TaxRate("GST on Income", "OUTPUT", D("10"), "OUTPUT", expenses=False),
            TaxRate("GST on Expenses", "INPUT", D("10"), "INPUT", revenue=False),
            TaxRate("GST Free Income", "EXEMPTOUTPUT", D("0"), "EXEMPTOUTPUT", expenses=False),
            TaxRate("GST Free Expenses", "EXEMPTEXPENSES", D("0"), "EXEMPTEXPENSES", revenue=False),
            TaxRate("BAS Excluded", "BASEXCLUDED", D("0"), "BASEXCLUDED"),
        ]
        codes = ("OUTPUT", "INPUT", "BASEXCLUDED", "EXEMPTOUTPUT")
    for r in rates:
        org.tax_rates[r.tax_type] = r
    return codes


def _month_end(y: int, m: int) -> date:
    nxt = date(y + (m == 12), m % 12 + 1, 1)
    return nxt - timedelta(days=1)


def _months(as_of: date, n: int) -> list[tuple[int, int]]:
    y, m = as_of.year, as_of.month
    out = []
    for _ in range(n):
        m -= 1
        if m == 0:
            y, m = y - 1, 12
        out.append((y, m))
    return out[::-1]


class OrgBuilder:
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
        self.sales, self.purchases, self.none, self.export = _tax_rates(self.org)
        _accounts(self.ids, self.org, self.sales, self.purchases, self.none, created)
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

    def story(self) -> None:
        rng, plan = self.rng, self.plan
        months = _months(self.as_of, plan.months)
        retainer = {
            c.id: D(rng.randrange(15, 90) * 100)
            for c in self.customers[: min(25, len(self.customers) // 2)]
        }
        foreign = self.customers[1] if plan.foreign else None
        projects = [c for c in self.customers if c.id not in retainer]
        subcontractors = [(s, a) for s, a in self.suppliers if a in ("310", "320")]
        overheads = [(s, a) for s, a in self.suppliers if a not in ("310", "320")]
        for mi, (y, m) in enumerate(months):
            end = _month_end(y, m)
            recent = mi >= len(months) - 2
            for c in self.customers[: len(retainer)]:
                if c is foreign:
                    continue
                status = "AUTHORISED" if recent else "PAID"
                ln = self.line(
                    f"Monthly retainer - {end:%B %Y}", D("1"), retainer[c.id], "200", self.sales, c
                )
                self.doc("ACCREC", c, end, [ln], status, ref=f"RET-{c.number}-{y}-{m:02d}")
            if foreign is not None:
                cur, base_rate = (
                    plan.foreign
                )  # one line per invoice: per-line = per-document conversion
                rate = (base_rate + D(rng.randrange(-300, 300)) / 10_000).quantize(D("0.000001"))
                ln = self.line(
                    "Campaign management (USD)",
                    D("1"),
                    D(rng.randrange(20, 60) * 100),
                    "200",
                    self.export,
                    foreign,
                )
                self.doc(
                    "ACCREC",
                    foreign,
                    end,
                    [ln],
                    "AUTHORISED" if recent else "PAID",
                    ref=f"US-{y}-{m:02d}",
                    currency=(cur, rate),
                )
            for _ in range(rng.randrange(3, 7)):
                c = rng.choice(projects)
                d = date(y, m, rng.randrange(1, end.day + 1))
                lines = [
                    self.line(
                        rng.choice(
                            [
                                "Design",
                                "Strategy workshop",
                                "Web development",
                                "Copywriting",
                                "Video edit",
                            ]
                        ),
                        D(rng.randrange(4, 60)) / 2,
                        D(rng.choice([150, 165, 180, 195, 220])),
                        rng.choice(["210", "210", "200"]),
                        self.sales,
                        c,
                    )
                    for _ in range(rng.randrange(1, 5))
                ]
                status = "AUTHORISED" if recent and rng.random() < 0.6 else "PAID"
                self.doc("ACCREC", c, d, lines, status, ref=f"PRJ-{rng.randrange(100, 999)}")
            for _ in range(rng.randrange(4, 10)):
                s, acct = rng.choice(subcontractors)
                d = date(y, m, rng.randrange(1, end.day + 1))
                lines = []
                for _ in range(rng.randrange(1, 4)):
                    client = rng.choice(self.customers) if rng.random() < 0.85 else None
                    lines.append(
                        self.line(
                            f"{s.name} work",
                            D(rng.randrange(1, 40)),
                            D(rng.randrange(40, 400)) + D(rng.randrange(100)) / 100,
                            acct,
                            self.purchases,
                            client,
                        )
                    )
                lat = "Inclusive" if rng.random() < 0.2 else "Exclusive"
                self.doc("ACCPAY", s, d, lines, "AUTHORISED" if recent else "PAID", lat=lat)
            for s, acct in overheads[:6]:
                amount = D(rng.randrange(80, 4000)) + D(rng.randrange(100)) / 100
                tax = self.none if acct == "404" else self.purchases
                self.doc(
                    "ACCPAY",
                    s,
                    date(y, m, min(28, end.day)),
                    [self.line(f"{s.name} {end:%b %Y}", D("1"), amount, acct, tax)],
                    "AUTHORISED" if recent else "PAID",
                )
            if mi % 2 == 1:
                c = rng.choice(self.customers[: len(retainer)])
                if c is not foreign:
                    ln = self.line(
                        "Credit: scope reduction",
                        D("1"),
                        D(rng.randrange(2, 20) * 50),
                        "200",
                        self.sales,
                        c,
                    )
                    self.doc("ACCRECCREDIT", c, end - timedelta(days=3), [ln], "AUTHORISED")
            if mi % 5 == 2:
                s, acct = rng.choice(subcontractors)
                client = rng.choice(self.customers[: len(retainer)])
                ln = self.line(
                    "Supplier credit",
                    D("1"),
                    D(rng.randrange(50, 500)),
                    acct,
                    self.purchases,
                    client,
                )
                self.doc("ACCPAYCREDIT", s, date(y, m, 15), [ln], "AUTHORISED")
        self.oddities(months)

    def oddities(self, months: list[tuple[int, int]]) -> None:
        """Voided, deleted, draft and submitted invoices; archived and merged contacts."""
        rng = self.rng
        invoices = [d for d in self.docs if d.type == "ACCREC"]
        for d in rng.sample(invoices[: len(invoices) // 2], 3):
            d.status, d.payments, d.amount_paid, d.fully_paid_on = "VOIDED", [], D("0"), None
        y, m = months[-1]
        end = _month_end(y, m)
        for i, c in enumerate(self.customers[2:8]):
            ln = self.line(
                "Draft: extra hours", D(rng.randrange(2, 12)), D("180"), "210", self.sales, c
            )
            status = ["DRAFT", "DRAFT", "DRAFT", "SUBMITTED", "DELETED", "DELETED"][i]
            self.doc("ACCREC", c, end, [ln], status, ref=f"DRAFT-{i}")
        s, acct = self.suppliers[0]
        self.doc(
            "ACCPAY",
            s,
            end,
            [self.line("Draft bill", D("3"), D("120"), acct, self.purchases, self.customers[0])],
            "DRAFT",
        )
        cn = [d for d in self.docs if d.type == "ACCRECCREDIT"]
        if cn:
            cn[0].status = "VOIDED"
            cn[-1].status = "DRAFT"
        # Two old clients archived; one duplicate contact merged into its survivor.
        for c in self.customers[-3:-1]:
            c.status = "ARCHIVED"
        dup = Contact(
            self.ids(),
            f"{self.customers[0].name} (duplicate)",
            self.stamp(self.as_of - timedelta(days=40)),
            is_customer=True,
            status="ARCHIVED",
            merged_to=self.customers[0].id,
            default_currency=self.plan.currency,
        )
        self.org.contacts.items[dup.id] = dup

    def generic(self, total: int) -> None:
        """Top up with plain invoices and bills (~3 lines) to reach `total` documents."""
        rng = self.rng
        months = _months(self.as_of, self.plan.months)
        have = sum(1 for d in self.docs if d.type in ("ACCREC", "ACCPAY"))
        for _ in range(max(0, total - have)):
            y, m = months[rng.randrange(len(months))]
            d = date(y, m, rng.randrange(1, 29))
            if rng.random() < 0.6:
                c = rng.choice(self.customers)
                lines = [
                    self.line(
                        "Services",
                        D(rng.randrange(1, 20)),
                        D(rng.randrange(50, 300)),
                        "210",
                        self.sales,
                        c,
                    )
                    for _ in range(rng.randrange(2, 5))
                ]
                self.doc("ACCREC", c, d, lines, "PAID" if rng.random() < 0.8 else "AUTHORISED")
            else:
                s, acct = rng.choice(self.suppliers[:12] or self.suppliers)
                lines = [
                    self.line(
                        "Production",
                        D(rng.randrange(1, 10)),
                        D(rng.randrange(20, 200)),
                        acct if acct in ("310", "320") else "320",
                        self.purchases,
                        rng.choice(self.customers),
                    )
                    for _ in range(rng.randrange(2, 5))
                ]
                self.doc("ACCPAY", s, d, lines, "PAID" if rng.random() < 0.8 else "AUTHORISED")

    def expenses(self) -> None:
        """Classic expense claims (with receipts) for two staff, a few per quarter."""
        rng, org = self.rng, self.org
        users = [
            User(
                self.ids(),
                "aroha@demo-agency.example",
                "Aroha",
                "Ngata",
                "STANDARD",
                self.org.created,
            ),
            User(
                self.ids(),
                "ben@demo-agency.example",
                "Ben",
                "Walker",
                "FINANCIALADVISER",
                self.org.created,
            ),
        ]
        for u in users:
            org.users[u.id] = u
        if org.classic_expenses != "enabled":
            return
        payees = [s for s, a in self.suppliers if a in ("420", "493", "429", "461")] or [
            self.suppliers[0][0]
        ]
        for y, m in _months(self.as_of, self.plan.months)[::3]:
            for u in users:
                receipts = []
                for _ in range(rng.randrange(1, 4)):
                    d = date(y, m, rng.randrange(1, 28))
                    client = rng.choice(self.customers) if rng.random() < 0.5 else None
                    acct = rng.choice(["420", "493", "310"])
                    ln = self.line(
                        "Receipt",
                        D("1"),
                        D(rng.randrange(15, 400)) + D(rng.randrange(100)) / 100,
                        acct,
                        self.purchases,
                        client,
                    )
                    r = Document(
                        self.ids(),
                        "RECEIPT",
                        f"{org.next_receipt_no}",
                        rng.choice(payees).id,
                        d,
                        "AUTHORISED",
                        [ln],
                        self.stamp(d),
                        line_amount_types="Inclusive",
                        currency_code=org.base_currency,
                        user_id=u.id,
                    )
                    org.next_receipt_no += 1
                    compute_totals(r, org.tax_rates)
                    receipts.append(r)
                rep = _month_end(y, m)
                claim = ExpenseClaim(
                    self.ids(),
                    "PAID",
                    u.id,
                    [r.id for r in receipts],
                    self.stamp(rep, 5),
                    rep,
                    rep + timedelta(days=14),
                )
                claim.amount_paid = sum((r.total for r in receipts), D("0"))
                for r in receipts:
                    r.updated = min(r.updated, claim.updated)
                    org.receipts.items[r.id] = r
                org.expense_claims.items[claim.id] = claim
        last = list(org.expense_claims.items.values())[-1]
        last.status, last.amount_paid = "AUTHORISED", D("0")

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
            coll.index = sorted(
                (int(o.updated.timestamp() * 1000), o.id) for o in coll.items.values()
            )
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

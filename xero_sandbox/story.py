"""The agency's story: retainers, projects, bills tracked by client, credit notes, oddities
(voided, deleted, drafts, archived and merged contacts), top-up invoices and expense claims.

A mixin of OrgBuilder (generator.py): it relies on the builder's rng, ids, line() and doc().
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from .chart import month_end, months_before
from .models import Contact, Document, ExpenseClaim, User, compute_totals

D = Decimal


class StoryMixin:
    """Document generation for OrgBuilder."""

    rng: Any
    ids: Any
    org: Any
    plan: Any
    as_of: date
    docs: list[Document]
    customers: list[Contact]
    suppliers: list[tuple[Contact, str]]
    sales: str
    purchases: str
    none: str
    export: str
    line: Any
    doc: Any
    stamp: Any

    def story(self) -> None:
        rng, plan = self.rng, self.plan
        months = months_before(self.as_of, plan.months)
        retainer = {
            c.id: D(rng.randrange(15, 90) * 100)
            for c in self.customers[: min(25, len(self.customers) // 2)]
        }
        foreign = self.customers[1] if plan.foreign else None
        projects = [c for c in self.customers if c.id not in retainer]
        subcontractors = [(s, a) for s, a in self.suppliers if a in ("310", "320")]
        overheads = [(s, a) for s, a in self.suppliers if a not in ("310", "320")]
        for mi, (y, m) in enumerate(months):
            end = month_end(y, m)
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
        end = month_end(y, m)
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
        months = months_before(self.as_of, self.plan.months)
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
        for y, m in months_before(self.as_of, self.plan.months)[::3]:
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
                rep = month_end(y, m)
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

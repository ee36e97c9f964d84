"""What syncs, and how one page of each resource is stored.

Each Resource names its endpoint, its JSON collection, whether Xero pages it and honours
If-Modified-Since, how often the worker polls it, and a `store` function that writes one page
of items in the caller's transaction. Order matters: tracking before documents (option ids are
resolved by name when a line lacks TrackingOptionID), receipts before expense claims (a claim
links its receipts).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, select, update

from xeroflow_core.models import (
    Account,
    Contact,
    CreditNote,
    ExpenseClaim,
    Invoice,
    Organisation,
    Receipt,
    TaxRate,
    TrackingCategory,
    TrackingOption,
)
from xeroflow_core.sync.store import replace_lines, store_rows, upsert
from xeroflow_core.xero import parse

PAGE_SIZE = 1000


@dataclass
class PageContext:
    """What a store function may need besides the items: the tenant and lookups it builds."""

    tenant_id: str
    options_by_name: dict[tuple[str, str], str] | None = None
    merged: list[str] = field(default_factory=list)  # merged-away contacts of this page
    # First read into an empty table: the only rows we hold are those this read stored (`seen`),
    # so "which rows are new" needs no query (the lease makes us the only writer).
    fresh: bool = False
    seen: set[str] = field(default_factory=set)

    def known(self, keys: list[str]) -> set[str] | None:
        """Keys we already hold, when that is known without asking the database."""
        return {k for k in keys if k in self.seen} if self.fresh else None

    def option_of(self, conn: Connection) -> Callable[[str, str], str | None]:
        if self.options_by_name is None:
            t = TrackingOption.__table__
            rows = conn.execute(
                select(t.c.tracking_category_id, t.c.name, t.c.tracking_option_id).where(
                    t.c.tenant_id == self.tenant_id
                )
            )
            self.options_by_name = {(r[0], r[1].lower()): r[2] for r in rows}
        lookup = self.options_by_name
        return lambda cat, name: lookup.get((cat, name.lower()))


# A store function: (conn, ctx, items) -> list of UpdatedDateUTC per stored item (None if none)
StoreFn = Callable[
    [Connection, PageContext, list[dict[str, Any]]], list[tuple[str, datetime | None]]
]


@dataclass(frozen=True)
class Resource:
    name: str  # also the key of its SyncResourceState row
    path: str
    collection: str  # the JSON key holding the items
    table: Table
    store: StoreFn
    paged: bool = False
    modified_since: bool = False
    cadence: str = "slow"  # fast: every sync_fast_minutes; slow: every sync_slow_minutes
    optional: bool = False  # Xero may refuse it (Classic Expenses): then "unavailable"
    params: dict[str, str] = field(default_factory=dict)


def _ids(rows: list[dict], key: str) -> list[tuple[str, datetime | None]]:
    return [(r[key], r.get("updated_utc")) for r in rows]


def store_organisation(conn: Connection, ctx: PageContext, items: list[dict]) -> list:
    rows = [parse.organisation(ctx.tenant_id, o) for o in items[:1]]
    upsert(conn, Organisation.__table__, rows)
    return [(r["tenant_id"], None) for r in rows]


def store_accounts(conn: Connection, ctx: PageContext, items: list[dict]) -> list:
    rows = [parse.account(ctx.tenant_id, a) for a in items]
    upsert(conn, Account.__table__, rows)
    return _ids(rows, "account_id")


def store_tax_rates(conn: Connection, ctx: PageContext, items: list[dict]) -> list:
    rows = [parse.tax_rate(ctx.tenant_id, t) for t in items]
    upsert(conn, TaxRate.__table__, rows)
    return [(r["tax_type"], None) for r in rows]


def store_tracking(conn: Connection, ctx: PageContext, items: list[dict]) -> list:
    """A full read each time (Xero has no If-Modified-Since here): categories and options that
    are gone from Xero are kept, marked DELETED, so old lines still explain themselves."""
    cats, opts = [], []
    for c in items:
        cat, options = parse.tracking(ctx.tenant_id, c)
        cats.append(cat)
        opts.extend(options)
    upsert(conn, TrackingCategory.__table__, cats)
    upsert(conn, TrackingOption.__table__, opts)
    for table, key, seen in (
        (
            TrackingCategory.__table__,
            "tracking_category_id",
            [c["tracking_category_id"] for c in cats],
        ),
        (TrackingOption.__table__, "tracking_option_id", [o["tracking_option_id"] for o in opts]),
    ):
        conn.execute(
            update(table)
            .where(table.c.tenant_id == ctx.tenant_id, table.c[key].not_in(seen or [""]))
            .values(status="DELETED")
        )
    ctx.options_by_name = None
    return [(c["tracking_category_id"], None) for c in cats]


def store_contacts(conn: Connection, ctx: PageContext, items: list[dict]) -> list:
    rows = [parse.contact(ctx.tenant_id, c) for c in items]
    store_rows(
        conn,
        Contact.__table__,
        ctx.tenant_id,
        "contact_id",
        rows,
        known=ctx.known([r["contact_id"] for r in rows]),
    )
    ctx.merged.extend(r["contact_id"] for r in rows if r["merged_to_contact_id"])
    return _ids(rows, "contact_id")


def _documents(
    conn: Connection,
    ctx: PageContext,
    items: list[dict],
    to_row: Callable[[str, dict], dict],
    table: Table,
    key: str,
    xero_key: str,
    kind: str,
) -> list:
    rows = [to_row(ctx.tenant_id, d) for d in items]
    known = store_rows(
        conn, table, ctx.tenant_id, key, rows, known=ctx.known([r[key] for r in rows])
    )
    # A document named twice in one page keeps the lines of its last copy only.
    with_lines = {d[xero_key].lower(): d for d in items if "LineItems" in d}
    if with_lines:
        option_of = ctx.option_of(conn)
        lines: list[dict] = []
        ids = list(with_lines)
        for doc_id, d in with_lines.items():
            lines.extend(parse.lines(ctx.tenant_id, kind, doc_id, d["LineItems"], option_of))
        replace_lines(conn, ctx.tenant_id, kind, ids, lines, known)
    return _ids(rows, key)


def store_invoices(conn: Connection, ctx: PageContext, items: list[dict]) -> list:
    return _documents(
        conn, ctx, items, parse.invoice, Invoice.__table__, "invoice_id", "InvoiceID", "invoice"
    )


def store_credit_notes(conn: Connection, ctx: PageContext, items: list[dict]) -> list:
    return _documents(
        conn,
        ctx,
        items,
        parse.credit_note,
        CreditNote.__table__,
        "credit_note_id",
        "CreditNoteID",
        "credit_note",
    )


def store_receipts(conn: Connection, ctx: PageContext, items: list[dict]) -> list:
    rows = [parse.receipt(ctx.tenant_id, r) for r in items]
    upsert(conn, Receipt.__table__, rows, keep=("expense_claim_id",))
    with_lines = [r for r in items if "LineItems" in r]
    if with_lines:
        option_of = ctx.option_of(conn)
        lines: list[dict] = []
        for r in with_lines:
            lines.extend(
                parse.lines(
                    ctx.tenant_id, "receipt", r["ReceiptID"].lower(), r["LineItems"], option_of
                )
            )
        replace_lines(
            conn, ctx.tenant_id, "receipt", [r["ReceiptID"].lower() for r in with_lines], lines
        )
    return _ids(rows, "receipt_id")


def store_expense_claims(conn: Connection, ctx: PageContext, items: list[dict]) -> list:
    rows = [parse.expense_claim(ctx.tenant_id, c) for c in items]
    upsert(conn, ExpenseClaim.__table__, rows)
    t = Receipt.__table__
    for c in items:
        claim_id = c["ExpenseClaimID"].lower()
        receipt_ids = [
            r["ReceiptID"].lower() for r in c.get("Receipts") or [] if r.get("ReceiptID")
        ]
        if receipt_ids:
            conn.execute(
                update(t)
                .where(t.c.tenant_id == ctx.tenant_id, t.c.receipt_id.in_(receipt_ids))
                .values(expense_claim_id=claim_id)
            )
    return _ids(rows, "expense_claim_id")


RESOURCES: tuple[Resource, ...] = (
    Resource(
        "Organisation", "Organisation", "Organisations", Organisation.__table__, store_organisation
    ),
    Resource(
        "Accounts", "Accounts", "Accounts", Account.__table__, store_accounts, modified_since=True
    ),
    Resource("TaxRates", "TaxRates", "TaxRates", TaxRate.__table__, store_tax_rates),
    Resource(
        "TrackingCategories",
        "TrackingCategories",
        "TrackingCategories",
        TrackingCategory.__table__,
        store_tracking,
        params={"includeArchived": "true"},
    ),
    Resource(
        "Contacts",
        "Contacts",
        "Contacts",
        Contact.__table__,
        store_contacts,
        paged=True,
        modified_since=True,
        cadence="fast",
        params={"includeArchived": "true"},
    ),
    Resource(
        "Invoices",
        "Invoices",
        "Invoices",
        Invoice.__table__,
        store_invoices,
        paged=True,
        modified_since=True,
        cadence="fast",
        params={"unitdp": "4"},
    ),
    Resource(
        "CreditNotes",
        "CreditNotes",
        "CreditNotes",
        CreditNote.__table__,
        store_credit_notes,
        paged=True,
        modified_since=True,
        cadence="fast",
    ),
    Resource(
        "Receipts",
        "Receipts",
        "Receipts",
        Receipt.__table__,
        store_receipts,
        modified_since=True,
        optional=True,
    ),
    Resource(
        "ExpenseClaims",
        "ExpenseClaims",
        "ExpenseClaims",
        ExpenseClaim.__table__,
        store_expense_claims,
        modified_since=True,
        optional=True,
    ),
)
BY_NAME = {r.name.lower(): r for r in RESOURCES}
FAST = tuple(r.name for r in RESOURCES if r.cadence == "fast")
SLOW = tuple(r.name for r in RESOURCES if r.cadence == "slow")


def select_resources(names: list[str] | tuple[str, ...] | None) -> list[Resource]:
    """The resources to sync, in dependency order; unknown names are a clear error."""
    if not names:
        return list(RESOURCES)
    wanted = set()
    for n in names:
        if n.lower() not in BY_NAME:
            raise ValueError(f"unknown resource {n!r}; choose from {', '.join(BY_NAME)}")
        wanted.add(n.lower())
    return [r for r in RESOURCES if r.name.lower() in wanted]

"""What one render of the Profitability page needs, computed in one call and cached on the
data's version, so a finished sync (or a changed client mapping) invalidates it in every
process that shares the database.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import pandas as pd
from sqlalchemy import Engine, func, select

from xeroflow_core.actor import Actor
from xeroflow_core.models import (
    Client,
    ClientContactLink,
    ClientSupplier,
    ClientTrackingOption,
    Contact,
    CreditNote,
    ExpenseClaim,
    Invoice,
    Organisation,
    Receipt,
    TrackingOption,
)
from xeroflow_core.models.core import utcnow
from xeroflow_core.profitability import figures, query
from xeroflow_core.profitability import xero_report as reports
from xeroflow_core.profitability.periods import Period, comparison_period, previous
from xeroflow_core.profitability.reconcile import Reconciliation, reconcile
from xeroflow_core.sync.status import data_version as sync_version
from xeroflow_core.sync.status import last_successful_sync
from xeroflow_core.users import require


@dataclass(frozen=True)
class Org:
    tenant_id: str
    name: str
    base_currency: str
    fy_end_day: int
    fy_end_month: int


@dataclass
class View:
    """The figures of one render (all Decimal): the client table, its monthly series, totals per
    currency and their change against the previous period."""

    period: Period
    previous: Period
    tenants: tuple[str, ...] | None
    orgs: dict[str, Org]
    clients: dict[int, str]
    facts: pd.DataFrame
    table: pd.DataFrame
    totals: pd.DataFrame
    previous_totals: pd.DataFrame
    headline: pd.DataFrame
    version: str = ""
    comparison_note: str = ""
    computed_at: datetime | None = None
    extra: dict = field(default_factory=dict)

    def monthly_for(self, client_ids: list[int] | None = None) -> pd.DataFrame:
        """The monthly P&L of some clients (None: every row, incl. unmatched/unattributed),
        every month of the period present; kept on the view, which is itself cached."""
        key = ("monthly", None if client_ids is None else tuple(sorted(client_ids)))
        if key not in self.extra:
            currencies = {t: o.base_currency for t, o in self.orgs.items()}
            self.extra[key] = figures.monthly(
                self.facts, self.clients, currencies, self.period.months(), client_ids
            )
        return self.extra[key]

    @property
    def monthly(self) -> pd.DataFrame:
        return self.monthly_for(None)

    @property
    def currencies(self) -> list[str]:
        return sorted(set(self.table["currency"])) if len(self.table) else []

    def revenue_by_tenant(self) -> dict[str, Decimal]:
        """Each organisation's revenue in the period (in its own base currency)."""
        f = self.facts
        if f.empty:
            return {}
        rev = f[f["category"] == "revenue"]
        return {t: figures.dsum(g["amount"]) for t, g in rev.groupby("tenant_id", sort=False)}


def default_organisation(orgs: dict[str, Org], revenue: dict[str, Decimal]) -> str | None:
    """The organisation the page opens on: the one with the most revenue in the period (base
    currencies differ, but the largest book is the one a partner reads first), else the first
    by name."""
    earning = [(r, t) for t, r in revenue.items() if t in orgs and r > 0]
    if earning:
        return max(earning, key=lambda x: x[0])[1]
    return next(iter(sorted(orgs, key=lambda t: (orgs[t].name.lower(), t))), None)


def group_label(currency: str, orgs: dict[str, Org], tenants: tuple[str, ...]) -> str:
    """A base-currency group as the page names it: "NZD: Demo Agency Ltd, Second NZ"."""
    names = sorted(orgs[t].name for t in tenants if t in orgs and orgs[t].base_currency == currency)
    return f"{currency}: {', '.join(names)}" if names else currency


def organisations(engine: Engine) -> dict[str, Org]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                Organisation.tenant_id,
                Organisation.name,
                Organisation.base_currency,
                Organisation.financial_year_end_day,
                Organisation.financial_year_end_month,
            ).order_by(Organisation.name)
        ).all()
    return {r[0]: Org(r[0], r[1] or r[0], r[2] or "?", r[3] or 31, r[4] or 12) for r in rows}


def client_names(engine: Engine) -> dict[int, str]:
    with engine.connect() as conn:
        return dict(conn.execute(select(Client.id, Client.name)).all())


def data_version(engine: Engine) -> str:
    """A fingerprint that changes when a sync stores documents or a person changes a client
    mapping: the sync engine's own version (when it is there), the document tables' row counts
    and newest UpdatedDateUTC, and a hash of the (small) client and mapping tables."""
    parts: list[str] = []
    parts.append(str(sync_version(engine)))
    with engine.connect() as conn:
        for model in (Invoice, CreditNote, Receipt, ExpenseClaim):
            n, newest = conn.execute(select(func.count(), func.max(model.updated_utc))).one()
            parts.append(f"{n}:{newest}")
        h = hashlib.sha1(usedforsecurity=False)
        for stmt in (
            select(Client.id, Client.name).order_by(Client.id),
            select(
                ClientContactLink.tenant_id,
                ClientContactLink.contact_id,
                ClientContactLink.client_id,
            ).order_by(ClientContactLink.tenant_id, ClientContactLink.contact_id),  # noqa: E501
            select(
                ClientTrackingOption.tenant_id,
                ClientTrackingOption.tracking_option_id,
                ClientTrackingOption.client_id,
            ).order_by(ClientTrackingOption.tenant_id, ClientTrackingOption.tracking_option_id),  # noqa: E501
            select(
                ClientSupplier.tenant_id, ClientSupplier.contact_id, ClientSupplier.client_id
            ).order_by(ClientSupplier.tenant_id, ClientSupplier.contact_id),  # noqa: E501
        ):
            for row in conn.execute(stmt):
                h.update(repr(tuple(row)).encode())
        parts.append(h.hexdigest()[:16])
    return "|".join(parts)


_CACHE: OrderedDict[tuple, View] = OrderedDict()
_LOCK = threading.Lock()
CACHE_SIZE = 32


def clear_cache() -> None:
    with _LOCK:
        _CACHE.clear()


def compute(
    engine: Engine,
    period: Period,
    tenants: tuple[str, ...] | None = None,
    version: str = "",
    today: date | None = None,
) -> View:
    """The figures for `period` over `tenants` (None = every organisation), uncached. With
    `today` inside the period, the comparison is the same elapsed span of the previous one."""
    orgs = organisations(engine)
    currencies = {t: o.base_currency for t, o in orgs.items()}
    clients = client_names(engine)
    prev, note = comparison_period(period, today) if today else (previous(period), "")
    facts = query.facts(engine, period.start, period.end, tenants)
    # the previous period feeds only the headline totals: no client mappings needed
    prev_facts = query.facts(engine, prev.start, prev.end, tenants, attribute=False)
    table = figures.client_table(facts, clients, currencies)
    totals = figures.totals(table)
    prev_totals = figures.org_totals(prev_facts, currencies)
    return View(
        period=period,
        previous=prev,
        tenants=tenants,
        orgs=orgs,
        clients=clients,
        facts=facts,
        table=table,
        totals=totals,
        previous_totals=prev_totals,
        headline=figures.change(totals, prev_totals),
        version=version,
        comparison_note=note,
        computed_at=utcnow(),
    )


def profitability(
    engine: Engine,
    actor: Actor,
    period: Period,
    tenants: tuple[str, ...] | None = None,
    today: date | None = None,
) -> View:
    """The page's figures, for partners and admins only, cached on (data version, filters).
    Pass `today` to compare a period in progress like for like (see `compute`)."""
    require(actor, "view_profitability")
    version = data_version(engine)
    key = (
        str(engine.url),
        version,
        period,
        tenants,
        today if today and period.start <= today < period.end else None,
    )
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
            return hit
    view = compute(engine, period, tenants, version, today)
    with _LOCK:
        _CACHE[key] = view
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return view


def drill_down(
    engine: Engine,
    actor: Actor,
    period: Period,
    tenants: tuple[str, ...] | None = None,
    *,
    client_id: int | None = None,
    row_kind: str = figures.ROW_CLIENT,
    limit: int | None = 2000,
) -> pd.DataFrame:
    """The invoices, credit notes, bills and receipts lines behind one row of the table, each
    with the rule that put it there in words."""
    require(actor, "view_profitability")
    rule = {
        figures.ROW_UNMATCHED: query.RULE_UNMATCHED,
        figures.ROW_UNATTRIBUTED: query.RULE_UNATTRIBUTED,
    }.get(row_kind)
    df = query.lines(
        engine,
        period.start,
        period.end,
        tenants,
        client_id=client_id if rule is None else None,
        rule=rule,
        limit=limit,
    )
    if df.empty:
        df["why"] = []
        df["contact"] = []
        return df
    with engine.connect() as conn:
        contacts = {
            (t, c): n
            for t, c, n in conn.execute(
                select(Contact.tenant_id, Contact.contact_id, Contact.name).where(
                    Contact.contact_id.in_(
                        set(df["contact_id"].dropna()) | set(df["rule_key"].dropna())
                    )
                )
            )
        }
        options = {
            (t, o): n
            for t, o, n in conn.execute(
                select(
                    TrackingOption.tenant_id,
                    TrackingOption.tracking_option_id,
                    TrackingOption.name,
                ).where(TrackingOption.tracking_option_id.in_(set(df["rule_key"].dropna())))
            )
        }
    df["contact"] = [
        contacts.get((t, c), c) for t, c in zip(df["tenant_id"], df["contact_id"], strict=True)
    ]
    df["why"] = figures.explain(df, options, contacts)
    return df


def last_sync(engine: Engine, tenants: tuple[str, ...] | None = None) -> dict[str, datetime | None]:
    """When each organisation last finished a sync (None: never synced without error)."""
    return {t: last_successful_sync(engine, t) for t in tenants or tuple(organisations(engine))}


@dataclass(frozen=True)
class OrgReconciliation:
    """One organisation's figures against Xero's own P&L (`stored` None: not fetched yet)."""

    tenant_id: str
    stored: reports.StoredReport | None
    result: Reconciliation


def reconciliation(
    engine: Engine,
    actor: Actor,
    period: Period,
    tenants: tuple[str, ...],
    *,
    view: View | None = None,
) -> list[OrgReconciliation]:
    """Each organisation's counted lines for `period` against its stored Profit and Loss report
    (partners and admins). Pass the page's `view` when it covers `period` to reuse its facts."""
    require(actor, "view_profitability")
    if view is None or view.period != period:
        view = profitability(engine, actor, period, tenants)
    out = []
    for tid in tenants:
        stored = reports.load(engine, tid, period.start, period.end)
        rec = reconcile(
            engine, tid, period, view.facts, stored.lines if stored else None,
            stored.fetched_at if stored else None,
        )  # fmt: skip
        out.append(OrgReconciliation(tid, stored, rec))
    return out

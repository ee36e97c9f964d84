"""Xero's own Profit and Loss report: fetched by the worker (hourly, and on demand when a person
asks), stored per (organisation, period), and read back account by account for the
reconciliation panel of the Profitability page.

The UI never fetches: `request_report` writes a work request of kind "report", and the worker
runs `handle_report_request`. Report values are strings; they are parsed to Decimal and joined
to our accounts by AccountID (labels vary), never by title.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Engine, select

from xeroflow_core.actor import Actor
from xeroflow_core.db import session_scope
from xeroflow_core.models import Organisation, ProfitAndLossReport
from xeroflow_core.models.core import utcnow
from xeroflow_core.profitability import periods
from xeroflow_core.settings import Settings
from xeroflow_core.sync.budget import client_hooks
from xeroflow_core.users import require
from xeroflow_core.work import submit
from xeroflow_core.xero.client import XeroClient
from xeroflow_core.xero.connections import active_tenants
from xeroflow_core.xero.errors import XeroMalformed

log = logging.getLogger("xeroflow.reports")
REPORT_PATH = "Reports/ProfitAndLoss"


# --- reading a report -------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportLine:
    account_id: str
    label: str
    section: str
    value: Decimal  # as Xero shows it: income positive, cost of sales positive


def _decimal(text: Any) -> Decimal | None:
    if text is None or text == "":
        return None
    try:
        return Decimal(str(text).replace(",", ""))
    except InvalidOperation:
        return None


def parse_report(report: dict[str, Any], column: int = 1) -> list[ReportLine]:
    """The account rows of a ProfitAndLoss report (first value column by default), found by
    their `account` attribute wherever they sit; summary and total rows are skipped."""
    out: list[ReportLine] = []

    def walk(rows: list[dict[str, Any]], section: str) -> None:
        for row in rows or []:
            kind = row.get("RowType")
            if kind == "Section":
                walk(row.get("Rows") or [], row.get("Title") or section)
            elif kind == "Row":
                cells = row.get("Cells") or []
                attrs = [a for c in cells for a in (c.get("Attributes") or [])]
                account = next((a.get("Value") for a in attrs if a.get("Id") == "account"), None)
                if account is None or len(cells) <= column:
                    continue
                value = _decimal(cells[column].get("Value"))
                if value is not None:
                    label = str(cells[0].get("Value") or "")
                    out.append(ReportLine(str(account), label, section, value))

    walk(report.get("Rows") or [], "")
    return out


# --- storing and loading ----------------------------------------------------------------------


def store(engine: Engine, tenant_id: str, start: date, end: date, report: dict[str, Any]) -> None:
    """Keep the latest report for (organisation, period), replacing an older fetch."""
    clean = json.loads(json.dumps(report, default=str))
    with session_scope(engine) as s:
        row = s.get(ProfitAndLossReport, (tenant_id, start, end))
        if row is None:
            row = ProfitAndLossReport(
                tenant_id=tenant_id, from_date=start, to_date=end, fetched_at=utcnow()
            )
        row.fetched_at = utcnow()
        row.report = clean
        s.add(row)


@dataclass(frozen=True)
class StoredReport:
    tenant_id: str
    start: date
    end: date
    fetched_at: datetime
    report: dict[str, Any]

    @property
    def lines(self) -> list[ReportLine]:
        return parse_report(self.report)


def load(engine: Engine, tenant_id: str, start: date, end: date) -> StoredReport | None:
    with session_scope(engine) as s:
        row = s.get(ProfitAndLossReport, (tenant_id, start, end))
        if row is None:
            return None
        return StoredReport(row.tenant_id, row.from_date, row.to_date, row.fetched_at, row.report)


def stored_periods(engine: Engine, tenant_id: str) -> list[tuple[date, date, datetime]]:
    with engine.connect() as conn:
        t = ProfitAndLossReport.__table__
        rows = conn.execute(
            select(t.c.from_date, t.c.to_date, t.c.fetched_at)
            .where(t.c.tenant_id == tenant_id)
            .order_by(t.c.from_date.desc())
        ).all()
    return [tuple(r) for r in rows]


# --- fetching (worker side only) --------------------------------------------------------------


def fetch(
    engine: Engine,
    settings: Settings,
    tenant_id: str,
    start: date,
    end: date,
    *,
    http: Any = None,
    purpose: str = "sync",
    options: Any = None,
) -> StoredReport:
    """GET Reports/ProfitAndLoss for [start, end] (accrual, standard layout) and store it.
    Xero's typed errors (xeroflow_core.xero.errors) propagate to the caller."""
    params = {
        "fromDate": start.isoformat(),
        "toDate": end.isoformat(),
        "standardLayout": "true",
    }
    with XeroClient(
        engine,
        settings,
        tenant_id,
        http=http,
        purpose=purpose,
        options=options,
        hooks=client_hooks(engine),
    ) as client:
        body = client.get_json(REPORT_PATH, params=params)
    reports = body.get("Reports") or []
    if not reports:
        raise XeroMalformed("Xero's Profit and Loss answer holds no report")
    store(engine, tenant_id, start, end, reports[0])
    stored = load(engine, tenant_id, start, end)
    assert stored is not None
    return stored


def default_periods(today: date, fy_end_day: int, fy_end_month: int) -> list[periods.Period]:
    """What the hourly refresh keeps fresh: this and last month, this and last quarter, and
    this financial year (the Profitability page's usual choices)."""
    this_month = periods.month(today.year, today.month)
    last = today.replace(day=1) - timedelta(days=1)
    q = (today.month - 1) // 3 + 1
    this_quarter = periods.quarter(today.year, q)
    return [
        this_month,
        periods.month(last.year, last.month),
        this_quarter,
        periods.previous(this_quarter),
        periods.financial_year(today, fy_end_day, fy_end_month),
    ]


def refresh_reports(engine: Engine, settings: Settings, today: date | None = None) -> int:
    """The worker's hourly job: fetch the default periods' P&L for every active organisation.
    Returns how many reports were stored; one organisation's failure does not stop the rest."""
    today = today or utcnow().date()
    stored = 0
    for conn in active_tenants(engine):
        with session_scope(engine) as s:
            org = s.get(Organisation, conn.tenant_id)
            fy = (org.financial_year_end_day, org.financial_year_end_month) if org else (31, 12)
        for p in default_periods(today, *fy):
            try:
                fetch(engine, settings, conn.tenant_id, p.start, p.end)
                stored += 1
            except Exception as exc:  # noqa: BLE001 - logged; the next hour tries again
                log.warning("P&L report for %s %s failed: %s", conn.tenant_id, p.label, exc)
                break
    return stored


def request_report(engine: Engine, actor: Actor, tenant_id: str, start: date, end: date) -> int:
    """A person asks for Xero's P&L of a period: checked, audited, queued for the worker."""
    require(actor, "view_profitability")
    if end < start:
        raise ValueError("the period ends before it starts")
    return submit(
        engine, actor, "report", tenant_id, {"from": start.isoformat(), "to": end.isoformat()}
    )


def handle_report_request(engine: Engine, settings: Settings, request: Any) -> dict[str, Any]:
    """The worker's handler for a "report" work request (params from/to, ISO dates)."""
    params = request.params or {}
    try:
        start = date.fromisoformat(str(params["from"]))
        end = date.fromisoformat(str(params["to"]))
    except (KeyError, ValueError) as exc:
        raise ValueError(f"a report request needs ISO dates 'from' and 'to': {exc}") from None
    if not request.tenant_id:
        raise ValueError("a report request names one organisation")
    stored = fetch(engine, settings, request.tenant_id, start, end, purpose="interactive")
    return {
        "tenant_id": request.tenant_id,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "accounts": len(stored.lines),
        "fetched_at": stored.fetched_at.isoformat(),
    }

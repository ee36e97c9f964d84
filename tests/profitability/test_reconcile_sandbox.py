"""Our client P&L ties to Xero's own Profit and Loss report, cent for cent, for organisations
synced from the sandbox over HTTP; and when it does not, the documents that explain it show."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.profitability.seed import map_clients_by_tracking
from tests.support.sync import synced_sandbox_db
from xero_sandbox.server import serve_in_thread
from xero_sandbox.testing import sandbox_config
from xeroflow_core import profitability as pf
from xeroflow_core import work as wr
from xeroflow_core.actor import Actor
from xeroflow_core.db import session_scope
from xeroflow_core.models import (
    Invoice,
    Organisation,
)
from xeroflow_core.profitability import figures, query
from xeroflow_core.profitability import xero_report as reports
from xeroflow_core.profitability.reconcile import reconcile
from xeroflow_core.worker import process_pending
from xeroflow_core.xero.client import reset_governors

PARTNER = Actor("partner", "partner")


@pytest.fixture(autouse=True)
def _fresh_pacing() -> None:
    """Each test syncs the same tenants again: start each from a fresh per-tenant pacing
    window, so one test's calls never make the next wait for Xero's minute limit."""
    reset_governors()


@pytest.fixture(scope="module")
def sandbox_url() -> Iterator[str]:
    with serve_in_thread(sandbox_config(seed=11, rate_limits=False)) as url:
        yield url


def test_client_pnl_ties_to_xeros_report_to_the_cent(engine, sandbox_url) -> None:
    synced = synced_sandbox_db(engine, sandbox_url)
    with session_scope(engine) as s:
        orgs = {o.tenant_id: o for (o,) in s.exec(select(Organisation))}
        fy = {t: (o.financial_year_end_day, o.financial_year_end_month) for t, o in orgs.items()}
    assert len(synced.tenants) == 2
    for tid in synced.tenants.values():
        assert map_clients_by_tracking(engine, tid) > 5
    today = datetime.now(UTC).date()
    last_month = today.replace(day=1) - timedelta(days=1)
    checked = 0
    for name, tid in synced.tenants.items():
        for period in (
            pf.month(last_month.year, last_month.month),
            pf.quarter(last_month.year, (last_month.month - 1) // 3 + 1),
            pf.financial_year(last_month, *fy[tid]),
        ):
            stored = reports.fetch(engine, synced.settings, tid, period.start, period.end)
            facts = query.facts(engine, period.start, period.end, (tid,))
            rec = reconcile(engine, tid, period, facts, stored.lines, stored.fetched_at)
            assert rec.ties, (name, period, rec.rows, rec.explanations)
            assert rec.our_revenue == rec.xero_revenue and rec.our_costs == rec.xero_costs
            assert rec.xero_revenue > 0 and rec.xero_costs > 0
            # clients + unmatched revenue + unattributed costs are exactly those totals
            view = pf.compute(engine, period, (tid,))
            tot = view.totals.iloc[0]
            assert tot["revenue"] == rec.our_revenue and tot["direct_costs"] == rec.our_costs
            assert (view.table["row_kind"] == figures.ROW_CLIENT).sum() > 5
            checked += 1
    assert checked == 6


def test_a_difference_lists_the_documents_behind_it(engine, sandbox_url) -> None:
    synced = synced_sandbox_db(engine, sandbox_url)
    tid = synced.tenants["Demo Agency Ltd"]
    today = datetime.now(UTC).date()
    last = today.replace(day=1) - timedelta(days=1)
    period = pf.month(last.year, last.month)
    stored = reports.fetch(engine, synced.settings, tid, period.start, period.end)
    # a sync after the report brings a voided invoice: our revenue drops, Xero's report has it
    with session_scope(engine) as s:
        inv = s.exec(
            select(Invoice)
            .where(
                Invoice.tenant_id == tid,
                Invoice.type == "ACCREC",
                Invoice.status.in_(("AUTHORISED", "PAID")),
                Invoice.date >= period.start,
                Invoice.date <= period.end,
                Invoice.reference.startswith("RET-"),  # retainers: one line on account 200
            )
            .order_by(Invoice.invoice_number)
        ).first()[0]
        inv.status, inv.updated_utc = "VOIDED", stored.fetched_at + timedelta(seconds=5)
        number, sub = inv.invoice_number, inv.sub_total
        s.add(inv)
    facts = query.facts(engine, period.start, period.end, (tid,))
    rec = reconcile(engine, tid, period, facts, stored.lines, stored.fetched_at)
    assert not rec.ties
    off = rec.rows[~rec.rows["ties"]]
    assert list(off["code"]) == ["200"]
    assert off.iloc[0]["difference"] == -sub
    assert number in set(rec.explanations["number"])
    assert "after the report was fetched" in rec.explanations.iloc[0]["reason"]


def test_the_worker_fetches_a_requested_report(engine, sandbox_url) -> None:
    synced = synced_sandbox_db(engine, sandbox_url)
    tid = synced.tenants["Demo Studio Pty"]
    start, end = date(2026, 4, 1), date(2026, 6, 30)
    rid = reports.request_report(engine, PARTNER, tid, start, end)
    assert reports.load(engine, tid, start, end) is None  # nothing fetched on the page's side
    assert process_pending(engine, synced.settings) >= 1
    req = wr.get_request(engine, rid)
    assert req.status == "done", req.error
    stored = reports.load(engine, tid, start, end)
    assert stored is not None and stored.lines
    assert req.result["accounts"] == len(stored.lines)
    with pytest.raises(Exception, match="view_profitability|cannot|not allowed|permission"):
        reports.request_report(engine, Actor("staff", "staff"), tid, start, end)


def test_the_hourly_refresh_stores_the_usual_periods(engine, sandbox_url) -> None:
    synced = synced_sandbox_db(engine, sandbox_url)
    n = reports.refresh_reports(engine, synced.settings, today=date(2026, 11, 26))
    assert n == 2 * 5
    tid = synced.tenants["Demo Agency Ltd"]
    got = {(a, b) for a, b, _ in reports.stored_periods(engine, tid)}
    assert (date(2026, 10, 1), date(2026, 10, 31)) in got
    assert (date(2026, 11, 1), date(2026, 11, 30)) in got

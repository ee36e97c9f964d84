"""What the Profitability page asks of the core: its period choices, the per-organisation
reconciliation against Xero's stored P&L, and an aware-UTC computation time."""

from __future__ import annotations

from datetime import UTC, date

import pytest

from tests.profitability import builders as b
from xeroflow_core import profitability as pf
from xeroflow_core.actor import Actor
from xeroflow_core.profitability import xero_report as reports
from xeroflow_core.users import PermissionDenied

PARTNER = Actor("pat", "partner")
OCT = pf.month(2026, 10)


def test_period_choices_start_at_today_and_default_to_the_last_complete_one() -> None:
    today = date(2026, 11, 26)
    months, i = pf.period_choices("month", today)
    assert len(months) == 36 and months[0] == pf.month(2026, 11)
    assert months[-1] == pf.month(2023, 12) and months[i] == pf.month(2026, 10)
    quarters, i = pf.period_choices("quarter", today)
    assert len(quarters) == 12 and quarters[0] == pf.quarter(2026, 4)
    assert quarters[-1] == pf.quarter(2024, 1) and quarters[i] == pf.quarter(2026, 3)
    years, i = pf.period_choices("financial_year", today, fy_end_day=31, fy_end_month=3)
    assert [p.label for p in years] == ["FY 2026/27", "FY 2025/26", "FY 2024/25", "FY 2023/24"]
    assert i == 0
    with pytest.raises(ValueError):
        pf.period_choices("custom", today)
    assert pf.default_custom_range(today) == (date(2025, 11, 1), date(2026, 10, 31))


@pytest.fixture
def book(engine):
    b.organisation(engine)
    b.accounts(engine)
    acme = b.client(engine, "Acme")
    acme_ltd = b.contact(engine, "Acme Ltd")
    b.link(engine, acme, acme_ltd)
    b.doc(engine, "ACCREC", acme_ltd, [("200", "1000.00", "150.00")], number="INV-1")
    return acme


def test_reconciliation_pairs_each_organisation_with_its_stored_report(engine, book) -> None:
    (only,) = pf.reconciliation(engine, PARTNER, OCT, (b.TENANT,))
    assert only.tenant_id == b.TENANT and only.stored is None
    assert only.result.our_revenue == 1000 and not only.result.ties
    reports.store(engine, b.TENANT, OCT.start, OCT.end, {"Reports": [{"Rows": []}]})
    (only,) = pf.reconciliation(engine, PARTNER, OCT, (b.TENANT,))
    assert only.stored is not None and only.result.fetched_at == only.stored.fetched_at
    with pytest.raises(PermissionDenied):
        pf.reconciliation(engine, Actor("sam", "staff"), OCT, (b.TENANT,))


def test_the_view_is_computed_at_an_aware_utc_time(engine, book) -> None:
    pf.clear_cache()
    view = pf.profitability(engine, PARTNER, OCT, (b.TENANT,))
    assert view.computed_at.tzinfo is UTC
    assert pf.last_sync(engine, (b.TENANT,)) == {b.TENANT: None}  # never synced


def test_headline_metrics_read_as_the_page_shows_them(engine, book) -> None:
    from xeroflow_core.profitability import tables

    pf.clear_cache()
    view = pf.profitability(engine, PARTNER, OCT, (b.TENANT,))
    head = view.headline[view.headline["currency"] == "NZD"].iloc[0]
    rev, costs, gp, margin = tables.headline_metrics(head, "NZD")
    assert (rev["label"], rev["value"]) == ("Revenue (NZD)", "1,000.00")
    assert costs["delta_color"] == "inverse" and gp["label"] == "Gross profit (NZD)"
    assert margin["value"] == "100.0%"
    assert tables.change_text(None, None) is None

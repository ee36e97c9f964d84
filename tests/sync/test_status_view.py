"""What the Sync Status page says, without a browser: progress, metrics, the daily-limit notice,
what a resource's status means, when a resync may be asked for, and the table rows."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from xeroflow_core.models.sync import ApiBudget, SyncResourceState, SyncRun, WorkRequest
from xeroflow_core.sync import status_view as sv
from xeroflow_core.sync.status import OrgStatus

T = datetime(2026, 11, 26, 12, 0, 5, tzinfo=UTC)


def org(**kw: object) -> OrgStatus:
    base = dict(
        tenant_id="t1",
        name="Demo",
        connection="connected",
        connection_reason="",
        resources=[],
        budget=None,
        running=None,
        last_run=None,
        next_fast=None,
        next_slow=None,
    )
    return OrgStatus(**{**base, **kw})


def test_times_and_progress_read_as_words() -> None:
    assert sv.when(T) == "2026-11-26 12:00:05 UTC" and sv.when(None) == "—"
    assert sv.progress(None) == (0.0, "Syncing …")
    assert sv.progress({"resource": "CreditNotes"}) == (0.0, "Syncing Credit notes")
    assert sv.progress({"resource": "Invoices", "page": 2}) == (0.0, "Syncing Invoices: page 2")
    assert sv.progress({"resource": "Invoices", "page": 2, "pages": 4}) == (
        0.5,
        "Syncing Invoices: page 2 of 4",
    )


def test_metrics_say_unknown_and_not_scheduled_before_anything_is_known() -> None:
    cfg = SimpleNamespace(api_reserve_calls=50)
    first = sv.metrics(org(), None, cfg)
    assert [m["label"] for m in first] == [
        "Last successful sync",
        "Xero calls today",
        "Daily budget remaining",
        "Next scheduled run",
    ]
    assert [m["value"] for m in first] == ["never", 0, "unknown", "not scheduled"]
    assert "50 calls are kept in reserve" in first[2]["help"]
    budget = ApiBudget(tenant_id="t1", calls_today=7, day_remaining=4993)
    later = sv.metrics(org(budget=budget, next_fast=T, next_slow=T), T, cfg)
    assert [m["value"] for m in later][1:] == [7, 4993, "12:00 UTC"]
    assert later[3]["help"] == "Slow resources next at 2026-11-26 12:00:05 UTC"


def test_the_day_limit_notice_shows_only_when_xero_stopped_us_for_the_day() -> None:
    assert sv.day_limit_notice(None) is None
    assert sv.day_limit_notice(ApiBudget(tenant_id="t1", problem="minute", retry_at=T)) is None
    notice = sv.day_limit_notice(ApiBudget(tenant_id="t1", problem="day", retry_at=T))
    assert notice and notice.endswith("syncing resumes after 2026-11-26 12:00:05 UTC.")


def test_an_error_says_what_to_do_and_unavailable_is_information() -> None:
    ok = SyncResourceState(tenant_id="t1", resource="Invoices", status="ok")
    assert sv.resource_notice(ok) is None
    bad = SyncResourceState(
        tenant_id="t1", resource="Invoices", status="error", error="Boom", what_to_do="Reconnect"
    )
    assert sv.resource_notice(bad) == ("error", "**Invoices**: Boom\n\n**What to do:** Reconnect")
    gone = SyncResourceState(
        tenant_id="t1",
        resource="ExpenseClaims",
        status="unavailable",
        error="Not on this plan",
        what_to_do="Nothing",
    )
    level, text = sv.resource_notice(gone)
    assert level == "info" and text.endswith("unavailable: Not on this plan\n\nNothing")
    assert sv.resource_row(bad)["Status"] == "Error"


def test_a_resync_needs_a_connection_that_reads() -> None:
    assert sv.can_resync(org()) and sv.can_resync(org(connection="read_only"))
    assert not sv.can_resync(org(connection="disconnected"))


def test_run_rows_and_waiting_requests() -> None:
    run = SyncRun(
        id=3,
        tenant_id="t1",
        trigger="manual",
        full=True,
        status="ok",
        started_at=T,
        finished_at=datetime(2026, 11, 26, 12, 0, 7, 500000, tzinfo=UTC),
        calls=4,
        rows=9,
    )
    row = sv.run_row(run)
    assert row["Trigger"] == "manual (full)" and row["Seconds"] == 2.5
    assert sv.run_row(SyncRun(id=4, tenant_id="t1", started_at=T))["Seconds"] is None
    done = WorkRequest(id=1, kind="sync", status="done", requested_by="admin")
    queued = WorkRequest(id=2, kind="sync", status="pending", requested_by="admin")
    assert sv.waiting_caption([done]) is None
    assert (
        sv.waiting_caption([done, queued]) == "Waiting for the worker: #2 (pending, asked by admin)"
    )
    assert sv.requested(True, "Demo", 5).startswith("Full resync of Demo requested (request #5)")

"""What the EOM Review page shows, without a browser: counts, rows and notes, which drafts are
ready, what the latest push is doing, when lines may be edited, and the lines' choices."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pandas as pd

from xeroflow_core.eom import review_view as rv
from xeroflow_core.eom.review import DraftView
from xeroflow_core.models import Account, TaxRate
from xeroflow_core.models.eom import EomDraftLine
from xeroflow_core.models.sync import WorkRequest

NOV = date(2026, 11, 1)
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def draft(i: int = 1, **kw: object) -> DraftView:
    base = DraftView(
        id=i,
        client_id=i,
        client_name=f"Client {i}",
        contact_name="",
        tenant_id="t1",
        month=NOV,
        invoice_date=date(2026, 11, 30),
        due_date=None,
        reference=f"EOM-{i}",
        currency="NZD",
        line_amount_types="Exclusive",
        sub_total=Decimal("100"),
        total_tax=Decimal("15"),
        total=Decimal("115"),
        state="generated",
        problems=[],
        warnings=[],
        error="",
        xero_invoice_id="",
        xero_invoice_number="",
        xero_status="",
        xero_url="",
    )
    return replace(base, **kw)


def test_unit_prices_keep_two_places_or_all_that_xero_keeps() -> None:
    assert rv.unit_text(Decimal("5000")) == "5000.00"
    assert rv.unit_text(Decimal("12.3456")) == "12.3456"
    assert rv.unit_text(Decimal("12.300")) == "12.30"


def test_the_month_counts_leave_excluded_drafts_out_of_the_total() -> None:
    drafts = [draft(1), draft(2, problems=["x"]), draft(3, state="excluded", xero_invoice_id="X")]
    values = [m["value"] for m in rv.month_metrics(drafts)]
    assert values[:3] == [3, 1, 1] and values[3].startswith("230.00")


def test_a_row_shows_the_currency_once_a_contact_is_chosen_and_counts_the_error() -> None:
    assert rv.draft_row(draft(1, error="boom", problems=["a"]))["Problems"] == 2
    assert "NZD" not in rv.draft_row(draft(1))["Total"]
    assert rv.draft_row(draft(1, contact_name="Acme"))["Total"] != rv.draft_row(draft(1))["Total"]
    assert rv.draft_row(draft(1))["Link"] is None


def test_only_drafts_with_something_to_say_get_notes() -> None:
    assert not rv.needs_notes(draft(1))
    assert rv.needs_notes(draft(1, warnings=["w"])) and rv.needs_notes(draft(1, held="h"))
    assert rv.draft_errors(draft(1, problems=["no contact"], error="xero said no")) == [
        "No contact",
        "Xero said no",
    ]


def test_ready_drafts_and_the_caption_of_all_ready() -> None:
    drafts = [
        draft(1),
        draft(2, problems=["x"]),
        draft(3, state="approved"),
        draft(4, state="pushed"),
    ]
    ready = rv.ready_to_push(drafts)
    assert [d.id for d in ready] == [1, 3]
    assert rv.ready_caption([]).startswith("No draft is ready")
    many = [draft(i) for i in range(1, 13)]
    assert rv.ready_caption(many).endswith("EOM\\-10 and 2 more")


def test_the_latest_push_in_words() -> None:
    month_push = WorkRequest(id=7, kind="eom_push", params={"month": "2026-11"}, status="pending")
    other = WorkRequest(id=6, kind="eom_push", params={"month": "2026-10"}, status="done")
    assert rv.month_pushes([month_push, other], NOV) == [month_push]
    assert rv.push_in_flight([month_push]) and not rv.push_in_flight([other])
    waiting = replace_request(month_push, not_before=NOW + timedelta(minutes=1))
    assert rv.push_state(waiting, NOW).text.startswith("Push #7 waits until 09:01:00 UTC")
    assert rv.push_state(month_push, NOW).text.startswith("Push #7 pending: the worker")
    failed = rv.push_state(replace_request(month_push, status="failed", error="x"), NOW)
    assert (failed.level, failed.redraw) == ("error", False)
    done = replace_request(month_push, status="done", result={"summary": "3 pushed"})
    assert rv.push_state(done, NOW) == rv.PushState(
        "success", "Push \\#7 finished\\: 3 pushed", True
    )
    stopped = replace_request(done, result={"summary": "1 pushed", "stopped": True})
    assert rv.push_state(stopped, NOW).level == "warning"


def replace_request(r: WorkRequest, **kw: object) -> WorkRequest:
    return WorkRequest(**{**r.model_dump(), **kw})


def test_lines_are_editable_before_the_draft_is_sent() -> None:
    assert rv.editable(draft(1), can_push=True) and not rv.editable(draft(1), can_push=False)
    assert not rv.editable(draft(1, state="pushed"), can_push=True)


def test_line_choices_keep_a_code_a_line_holds_and_default_to_the_first_line() -> None:
    line = EomDraftLine(
        id=1,
        draft_id=1,
        source="billing",
        description="Retainer",
        quantity=Decimal(1),
        unit_amount=Decimal("5000"),
        account_code="210",
        tax_type="OUTPUT2",
        line_amount=Decimal("5000"),
    )
    d = draft(1, lines=[line])
    accounts = [Account(tenant_id="t1", account_id="a", code="200", name="Sales")]
    taxes = [
        TaxRate(tenant_id="t1", tax_type="OUTPUT2", name="GST", effective_rate=Decimal("15.00"))
    ]
    choices = rv.line_choices(d, accounts, taxes)
    assert choices.account_codes == ["200", "210"] and choices.tax_types == ["OUTPUT2"]
    assert choices.tax_label == {"OUTPUT2": "GST (15%)"}
    assert choices.add_defaults(d) == (0, 0) and choices.add_defaults(draft(2)) == (0, 0)
    frame = rv.lines_frame(d)
    assert list(frame.columns) == rv.LINE_COLUMNS and frame.iloc[0]["unit_amount"] == "5000.00"
    edited = pd.DataFrame([{"id": None, "description": "New", "quantity": float("nan")}])
    assert rv.edited_rows(edited) == [{"id": None, "description": "New", "quantity": None}]

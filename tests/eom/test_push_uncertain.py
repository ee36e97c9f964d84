"""A push whose answer was lost leaves the draft `uncertain`: Xero may hold the invoice. Until a
look-up settles it, the draft cannot be edited, excluded or regenerated; and the look-up adopts
an invoice only when its contact and total are the draft's (reviewer findings 1-3)."""

from __future__ import annotations

from decimal import Decimal as D

import httpx
import pytest

from tests.eom.builders import ADMIN, OCT
from tests.eom.sandbox_ledger import copy_ledger, in_xero
from tests.eom.test_push import NO_WAIT, approved_month, gateway_with
from tests.support.connect import connect_sandbox
from xeroflow_core.db import session_scope
from xeroflow_core.eom import claims, push, review
from xeroflow_core.eom.engine import generate
from xeroflow_core.eom.pricing import existing_lines
from xeroflow_core.eom.push import XeroGateway, invoice_body, push_month
from xeroflow_core.models.eom import EomDraft


@pytest.fixture
def tenant(engine, settings, sandbox) -> str:
    return connect_sandbox(engine, settings, tenant_names=["Demo Agency Ltd"])[0]


class LoseEverything(httpx.HTTPTransport):
    """Every PUT reaches Xero and its answer is lost; every look-up times out."""

    def __init__(self) -> None:
        super().__init__(retries=0)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path.endswith("/Invoices"):
            raise httpx.ReadTimeout("no answer", request=request)
        response = super().handle_request(request)
        if request.method == "PUT":
            response.read()
            raise httpx.ReadTimeout("the answer was lost", request=request)
        return response


def uncertain_draft(engine, settings, sandbox, tenant) -> review.DraftView:
    (d,) = approved_month(engine, sandbox, tenant, ["100.00"])
    result = push_month(engine, settings, ADMIN, OCT, gateway_factory=gateway_with(
        engine, settings, LoseEverything()), **NO_WAIT)  # fmt: skip
    assert list(result.waiting) == [d.reference]
    assert len(in_xero(sandbox, tenant, d.reference)) == 1  # Xero has it; we do not know
    with session_scope(engine) as s:
        row = s.get(EomDraft, d.id)
        assert row.state == "approved" and row.uncertain
    return d


def test_no_edit_while_a_push_is_uncertain(engine, settings, sandbox, tenant) -> None:
    d = uncertain_draft(engine, settings, sandbox, tenant)
    line = d.lines[0]
    row = {"id": line.id, "description": line.description, "quantity": "1",
           "unit_amount": "999.00", "account_code": line.account_code, "tax_type": line.tax_type}  # fmt: skip
    with pytest.raises(review.ReviewError, match="look"):
        review.update_lines(engine, ADMIN, d.id, [row])
    with pytest.raises(review.ReviewError, match="look"):
        review.add_line(engine, ADMIN, d.id, description="extra", quantity="1",
                        unit_amount="5", account_code="200", tax_type="OUTPUT2")  # fmt: skip
    with pytest.raises(review.ReviewError, match="look"):
        review.set_excluded(engine, ADMIN, d.id)
    generate(engine, ADMIN, OCT)  # regenerating leaves it alone
    with session_scope(engine) as s:
        row_ = s.get(EomDraft, d.id)
        assert row_.state == "approved" and row_.uncertain and row_.total == d.total
    # the next push looks it up and adopts it: it is Xero's invoice for this draft
    result = push_month(engine, settings, ADMIN, OCT, **NO_WAIT)
    assert result.adopted == [d.reference]
    (after,) = review.list_drafts(engine, ADMIN, OCT)
    assert after.state == "pushed" and after.total == D("115.00")
    assert len(in_xero(sandbox, tenant, d.reference)) == 1


def _put_lookalike(engine, settings, tenant, d, *, contact_id=None, amount=None) -> None:
    """An invoice with the draft's reference already in Xero, but not the draft's invoice."""
    with session_scope(engine) as s:
        draft = s.get(EomDraft, d.id)
        body = invoice_body(draft, existing_lines(s, d.id))
    if contact_id:
        body["Contact"] = {"ContactID": contact_id.upper()}
    if amount:
        body["LineItems"][0]["UnitAmount"] = amount
    gw = XeroGateway(engine, settings, tenant)
    try:
        gw.put_invoice(body, f"lookalike-{d.reference}")
    finally:
        gw.close()
    with session_scope(engine) as s:  # the earlier call's answer was lost
        s.get(EomDraft, d.id).uncertain = True


def test_adopt_refuses_another_total(engine, settings, sandbox, tenant) -> None:
    (d,) = approved_month(engine, sandbox, tenant, ["100.00"])
    _put_lookalike(engine, settings, tenant, d, amount=250)
    result = push_month(engine, settings, ADMIN, OCT, **NO_WAIT)
    assert result.adopted == [] and result.pushed == []
    assert "total" in result.failed[d.reference]
    with session_scope(engine) as s:
        row = s.get(EomDraft, d.id)
        assert row.state == "failed" and not row.xero_invoice_id and "287.50" in row.error


def test_adopt_refuses_another_contact(engine, settings, sandbox, tenant) -> None:
    (d,) = approved_month(engine, sandbox, tenant, ["100.00"])
    others = [c for c in copy_ledger(engine, sandbox, tenant) if c.lower() != d_contact(engine, d)]
    _put_lookalike(engine, settings, tenant, d, contact_id=others[0])
    result = push_month(engine, settings, ADMIN, OCT, **NO_WAIT)
    assert result.adopted == [] and result.pushed == []
    assert "another contact" in result.failed[d.reference]
    with session_scope(engine) as s:
        assert s.get(EomDraft, d.id).state == "failed"


def test_adopt_matches_contact_case_insensitively(engine, settings, sandbox, tenant) -> None:
    (d,) = approved_month(engine, sandbox, tenant, ["100.00"])
    _put_lookalike(engine, settings, tenant, d, contact_id=d_contact(engine, d))
    result = push_month(engine, settings, ADMIN, OCT, **NO_WAIT)
    assert result.adopted == [d.reference]


def d_contact(engine, d) -> str:
    with session_scope(engine) as s:
        return s.get(EomDraft, d.id).contact_id.lower()


def test_edit_does_not_race_the_push_claim(engine, settings, sandbox, tenant, monkeypatch):
    """A push claims the draft while an edit is between its read and its write: one of them
    wins, never both (SQLite and PostgreSQL)."""
    from tests.eom.test_push_races import impatient

    (d,) = approved_month(engine, sandbox, tenant, ["100.00"])
    pusher = impatient(engine)
    claimed: list[bool] = []
    real = review.existing_lines

    def claim_meanwhile(s, draft_id):
        if not claimed:
            try:
                claimed.append(claims.take(pusher, d.id, "another pusher") is not None)
            except Exception:  # noqa: BLE001 - the edit holds the row: the claim must wait
                claimed.append(False)
        return real(s, draft_id)

    monkeypatch.setattr(review, "existing_lines", claim_meanwhile)
    line = d.lines[0]
    row = {"id": line.id, "description": line.description, "quantity": "1",
           "unit_amount": "999.00", "account_code": line.account_code, "tax_type": line.tax_type}  # fmt: skip
    try:
        review.update_lines(engine, ADMIN, d.id, [row])
        edited = True
    except review.ReviewError:
        edited = False
    pusher.dispose()
    with session_scope(engine) as s:
        state = s.get(EomDraft, d.id).state
    assert claimed and (claimed[0] != edited)  # one of them wins, never both
    assert state == ("pushing" if claimed[0] else "generated")


def test_amounts_go_to_xero_as_exact_decimal_text(engine, settings, sandbox, tenant) -> None:
    """No float on the way: a long amount keeps every digit in the JSON Xero reads."""
    import json

    (d,) = approved_month(engine, sandbox, tenant, ["100.00"])
    with session_scope(engine) as s:
        draft = s.get(EomDraft, d.id)
        lines = existing_lines(s, d.id)
        lines[0].unit_amount = D("9999999999999.9999")
        lines[0].quantity = D("0.3333")
        body = invoice_body(draft, lines)
        s.rollback()
    text = json.dumps(body)
    assert "9999999999999.9999" in text and "0.3333" in text
    (item,) = body["LineItems"]
    assert D(item["UnitAmount"]) == D("9999999999999.9999") and D(item["Quantity"]) == D("0.3333")


def test_worker_pushes_as_the_user_who_asked(engine, settings, sandbox, tenant) -> None:
    from sqlmodel import select

    from xeroflow_core.models import AuditLog
    from xeroflow_core.users import PermissionDenied, add_user, set_role

    drafts = approved_month(engine, sandbox, tenant, ["100.00", "200.00"])
    add_user(engine, "alice", "a-long-password-1", "admin")
    out = push.handle_push_request(engine, settings, {
        "tenant_id": tenant, "requested_by": "alice",
        "params": {"month": "2026-10", "draft_ids": [drafts[0].id]}})  # fmt: skip
    assert out["pushed"] == [drafts[0].reference]
    with session_scope(engine) as s:
        rows = s.exec(
            select(AuditLog).where(AuditLog.action.in_(("eom.push", "eom.push_run")))
        ).all()
        assert {r.username for r in rows} == {"alice"}
    set_role(engine, "alice", "partner")  # no longer allowed to push when the worker gets to it
    with pytest.raises(PermissionDenied):
        push.handle_push_request(engine, settings, {
            "tenant_id": tenant, "requested_by": "alice",
            "params": {"month": "2026-10", "draft_ids": [drafts[1].id]}})  # fmt: skip
    assert in_xero(sandbox, tenant, drafts[1].reference) == []


def test_request_push_returns_every_request_and_the_refusals(engine, sandbox, tenant) -> None:
    drafts = approved_month(engine, sandbox, tenant, ["100.00", "200.00"])
    review.set_excluded(engine, ADMIN, drafts[1].id)
    out = review.request_push(engine, ADMIN, OCT, [d.id for d in drafts])
    assert len(out.request_ids) == 1 and out.request_ids[0] > 0
    assert out.refused == [f"{drafts[1].reference} is excluded"]


def test_one_push_click_is_audited_once(engine, sandbox, tenant) -> None:
    """The work queue records `eom_push.requested`; the review did too (`eom.push_requested`)."""
    from sqlmodel import select

    from xeroflow_core.models import AuditLog

    drafts = approved_month(engine, sandbox, tenant, ["100.00"])
    review.request_push(engine, ADMIN, OCT, [drafts[0].id])
    with session_scope(engine) as s:
        actions = s.exec(
            select(AuditLog.action).where(AuditLog.action.like("%push%requested%"))  # type: ignore[attr-defined]
        ).all()
    assert actions == ["eom_push.requested"]

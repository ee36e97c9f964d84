"""generate(month): one draft per client and month, idempotent, problems per client, rebills
billed once; and the review actions on drafts. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from sqlmodel import func, select

from tests.eom.builders import ADMIN, OCT, PARTNER, STAFF, client, fee, ledger, stale_fee
from tests.support.factories import TENANT, contact, invoice, new_id
from xeroflow_core.db import session_scope
from xeroflow_core.eom import billing_data, review
from xeroflow_core.eom.engine import generate
from xeroflow_core.models import AuditLog, ClientSupplier, ClientTrackingOption
from xeroflow_core.models.eom import EomDraft, EomDraftLine
from xeroflow_core.users import PermissionDenied


def drafts(engine) -> dict[str, review.DraftView]:
    return {d.client_name: d for d in review.list_drafts(engine, ADMIN, OCT)}


def count(engine, model) -> int:
    with session_scope(engine) as s:
        return s.exec(select(func.count()).select_from(model)).one()


def test_one_draft_per_client_with_xero_arithmetic(engine) -> None:
    ledger(engine)
    acme, _ = client(engine, "Acme", terms_type="days_after", terms_value=14)
    fee(engine, acme, "2500.00")
    fee(engine, acme, "25.06", kind="recurring", frequency="quarterly", anchor_month=1,
        description="Quarterly review {quarter}")  # fmt: skip
    fee(engine, acme, "25.61", kind="recurring", frequency="yearly", anchor_month=10,
        description="Annual fee {year}")  # fmt: skip
    fee(engine, acme, "99.00", kind="recurring", frequency="yearly", anchor_month=3)  # not October
    fee(engine, acme, "25.63", kind="one_off", one_off_month="2026-10", description="Setup")
    beta, _ = client(engine, "Beta", line_amount_types="Inclusive", prorate=True)
    fee(engine, beta, "1150.00", start_date=date(2026, 10, 17))  # 15/31 days

    result = generate(engine, ADMIN, "2026-10")
    assert result.count("created") == 2 and not result.with_problems
    d = drafts(engine)
    a = d["Acme"]
    assert [ln.description for ln in a.lines] == [
        "Retainer - October 2026", "Quarterly review Q4", "Annual fee 2026", "Setup",
    ]  # fmt: skip
    assert [ln.tax_amount for ln in a.lines] == [D("375.00"), D("3.76"), D("3.84"), D("3.84")]
    assert (a.sub_total, a.total_tax, a.total) == (D("2576.30"), D("386.44"), D("2962.74"))
    assert a.invoice_date == date(2026, 10, 31) and a.due_date == date(2026, 11, 14)
    assert a.reference == "XF-ACME-2026-10" and a.currency == "NZD" and a.state == "generated"
    b = d["Beta"]
    assert b.lines[0].unit_amount == D("556.45")  # 1150 x 15/31 = 556.4516
    assert (b.sub_total, b.total_tax, b.total) == (D("483.87"), D("72.58"), D("556.45"))
    assert b.due_date is None  # organisation default


def test_generating_again_changes_nothing_and_never_duplicates(engine) -> None:
    ledger(engine)
    acme, _ = client(engine, "Acme")
    item = fee(engine, acme, "1000.00")
    generate(engine, ADMIN, OCT)
    first = drafts(engine)["Acme"]
    again = generate(engine, ADMIN, OCT)
    assert again.count("unchanged") == 1 and again.count("created") == 0
    assert count(engine, EomDraft) == 1 and count(engine, EomDraftLine) == 1
    billing_data.update_item(engine, ADMIN, item, unit_amount="1200.00")
    assert generate(engine, ADMIN, OCT).count("updated") == 1
    second = drafts(engine)["Acme"]
    assert second.id == first.id and second.total == D("1380.00")
    with session_scope(engine) as s:
        key1 = s.get(EomDraft, first.id).idempotency_key
    # a pushed draft is never touched again, whatever the billing data says now
    with session_scope(engine) as s:
        row = s.get(EomDraft, first.id)
        row.state, row.xero_invoice_id = "pushed", new_id()
    billing_data.update_item(engine, ADMIN, item, unit_amount="5.00")
    assert generate(engine, ADMIN, OCT).count("skipped") == 1
    assert drafts(engine)["Acme"].total == D("1380.00")
    assert count(engine, EomDraft) == 1
    assert key1.startswith("xeroflow-eom-202610-") and len(key1) <= 128


def test_an_invoice_already_in_xero_with_our_reference_is_adopted(engine) -> None:
    ledger(engine)
    acme, cid = client(engine, "Acme")
    fee(engine, acme, "1000.00")
    inv = invoice(engine, cid, [("200", "1000.00")], status="AUTHORISED", on=date(2026, 10, 31))
    with session_scope(engine) as s:
        from xeroflow_core.models import Invoice

        s.get(Invoice, (TENANT, inv)).reference = "XF-ACME-2026-10"
    result = generate(engine, ADMIN, OCT)
    assert result.count("adopted") == 1
    d = drafts(engine)["Acme"]
    assert d.state == "pushed" and d.xero_invoice_id == inv and d.xero_status == "AUTHORISED"
    assert "not invoiced again" in d.warnings[0]


def test_problems_are_reported_per_client_never_raised(engine) -> None:
    ledger(engine)
    ok, _ = client(engine, "Fine")
    fee(engine, ok, "100.00")
    nolink, _ = client(engine, "Nolink", link=False)
    fee(engine, nolink, "100.00")
    archived, _ = client(engine, "Archived", contact_status="ARCHIVED")
    fee(engine, archived, "100.00")
    badacc, _ = client(engine, "Accounts")
    stale_fee(engine, badacc, "100.00", account_code="299")
    stale_fee(engine, badacc, "100.00", account_code="400")
    stale_fee(engine, badacc, "100.00", account_code="999")
    badtax, _ = client(engine, "Taxes")
    stale_fee(engine, badtax, "100.00", tax_type="GST")
    stale_fee(engine, badtax, "100.00", tax_type="INPUT2")
    zero, _ = client(engine, "Zero")
    fee(engine, zero, "0.00")
    result = generate(engine, ADMIN, OCT)
    problems = {c.client_name: " | ".join(c.problems) for c in result.clients}
    assert problems["Fine"] == ""
    assert "no Xero contact is linked" in problems["Nolink"]
    assert "is archived in Xero" in problems["Archived"]
    assert "account 299 is archived" in problems["Accounts"]
    assert "account 400 is not a revenue account (EXPENSE)" in problems["Accounts"]
    assert "account 999 does not exist" in problems["Accounts"]
    assert "tax type GST is unknown" in problems["Taxes"]
    assert "tax type INPUT2 cannot be used on sales" in problems["Taxes"]
    assert "zero-value invoice" in problems["Zero"]
    d = drafts(engine)
    refused = review.approve(engine, ADMIN, [v.id for v in d.values()])
    assert len(refused) == 5
    assert d["Fine"].can_approve and not d["Zero"].can_approve


def test_several_linked_contacts_need_a_choice(engine) -> None:
    ledger(engine)
    acme, first = client(engine, "Acme")
    fee(engine, acme, "100.00")
    second = contact(engine, "Acme Europe", default_currency="EUR", is_customer=True)
    from xeroflow_core.models import ClientContactLink

    with session_scope(engine) as s:
        s.add(ClientContactLink(tenant_id=TENANT, contact_id=second, client_id=acme))
    result = generate(engine, ADMIN, OCT)
    assert "choose the invoice contact" in result.clients[0].problems[0]
    billing_data.save_profile(engine, ADMIN, acme, tenant_id=TENANT, contact_id=second)
    result = generate(engine, ADMIN, OCT)
    assert not result.clients[0].problems
    d = drafts(engine)["Acme"]
    assert d.contact_name == "Acme Europe" and d.currency == "EUR"


def test_rebillable_costs_with_markup_are_billed_once(engine) -> None:
    ledger(engine)
    acme, _ = client(engine, "Acme", rebill_markup_percent="10", rebill_account_code="260",
                     rebill_tax_type="OUTPUT2")  # fmt: skip
    fee(engine, acme, "1000.00")
    option, supplier, other = new_id(), contact(engine, "Printer Co"), contact(engine, "Cabs")
    with session_scope(engine) as s:
        s.add(ClientTrackingOption(tenant_id=TENANT, tracking_option_id=option, client_id=acme))
        s.add(ClientSupplier(tenant_id=TENANT, contact_id=supplier, client_id=acme))
    invoice(engine, other, [("400", "200.00", option), ("400", "55.55")], type="ACCPAY")
    invoice(engine, supplier, [("400", "33.33")], type="ACCPAY", on=date(2026, 10, 31))
    invoice(engine, supplier, [("400", "999.00")], type="ACCPAY", on=date(2026, 9, 30))
    invoice(engine, supplier, [("400", "777.00")], type="ACCPAY", status="VOIDED")
    invoice(engine, supplier, [("400", "666.00")], type="ACCPAY", status="DRAFT")
    generate(engine, ADMIN, OCT)
    d = drafts(engine)["Acme"]
    rebills = [ln for ln in d.lines if ln.source == "rebill"]
    assert sorted(ln.unit_amount for ln in rebills) == [D("36.66"), D("220.00")]  # x 1.10
    assert all(ln.account_code == "260" for ln in rebills)
    generate(engine, ADMIN, OCT)
    generate(engine, ADMIN, OCT)
    assert len([ln for ln in drafts(engine)["Acme"].lines if ln.source == "rebill"]) == 2
    with session_scope(engine) as s:
        claims = s.exec(
            select(EomDraftLine.source_line_id).where(EomDraftLine.source_line_id.is_not(None))
        ).all()
    assert len(claims) == len(set(claims)) == 2


def test_rebill_needs_an_account(engine) -> None:
    """A profile saved before rebilling needed an account (on, without one) is reported."""
    from xeroflow_core.models.eom import BillingProfile

    ledger(engine)
    acme, _ = client(engine, "Acme")
    with session_scope(engine) as s:
        s.get(BillingProfile, acme).rebill_enabled = True
    fee(engine, acme, "10.00")
    supplier = contact(engine, "Printer Co")
    with session_scope(engine) as s:
        s.add(ClientSupplier(tenant_id=TENANT, contact_id=supplier, client_id=acme))
    invoice(engine, supplier, [("400", "33.33")], type="ACCPAY")
    result = generate(engine, ADMIN, OCT)
    assert "no rebill account" in result.clients[0].problems[0]


def test_review_edits_one_offs_and_exclusion_survive_regeneration(engine) -> None:
    ledger(engine)
    acme, _ = client(engine, "Acme")
    fee(engine, acme, "1000.00")
    beta, _ = client(engine, "Beta")
    fee(engine, beta, "500.00")
    generate(engine, ADMIN, OCT)
    d = drafts(engine)
    line = d["Acme"].lines[0]
    review.update_lines(engine, ADMIN, d["Acme"].id, [
        {"id": line.id, "description": "Retainer (agreed discount)", "quantity": "1",
         "unit_amount": "900.00", "account_code": "200", "tax_type": "OUTPUT2"},
    ])  # fmt: skip
    review.add_line(engine, ADMIN, d["Acme"].id, description="Workshop", quantity="2",
                    unit_amount="125.5050", account_code="210", tax_type="OUTPUT2")  # fmt: skip
    review.set_excluded(engine, ADMIN, d["Beta"].id)
    generate(engine, ADMIN, OCT)
    d = drafts(engine)
    assert [ln.description for ln in d["Acme"].lines] == ["Retainer (agreed discount)", "Workshop"]
    assert d["Acme"].sub_total == D("1151.01")  # 900 + 2 x 125.505 = 251.01
    assert d["Acme"].total_tax == D("172.65")  # 135.00 + 37.65 (37.6515)
    assert d["Beta"].state == "excluded"
    assert review.approve(engine, ADMIN, [d["Acme"].id]) == []
    with pytest.raises(review.ReviewError, match="every line needs a description"):
        review.add_line(engine, ADMIN, d["Acme"].id, description=" ", unit_amount="1")
    with session_scope(engine) as s:
        actions = set(s.exec(select(AuditLog.action)).all())
    assert {
        "eom.generate",
        "eom.edit_lines",
        "eom.add_line",
        "eom.exclude",
        "eom.approve",
    } <= actions


def test_roles_are_checked_on_the_server(engine) -> None:
    ledger(engine)
    acme, _ = client(engine, "Acme")
    billing_data.add_item(engine, STAFF, acme, unit_amount="10", account_code="200")
    with pytest.raises(PermissionDenied):
        billing_data.add_item(engine, PARTNER, acme, unit_amount="10", account_code="200")
    for actor in (STAFF, PARTNER):
        with pytest.raises(PermissionDenied):
            generate(engine, actor, OCT)
    generate(engine, ADMIN, OCT)
    d = review.list_drafts(engine, PARTNER, OCT)  # partners review
    with pytest.raises(PermissionDenied):
        review.list_drafts(engine, STAFF, OCT)
    with pytest.raises(PermissionDenied):
        review.approve(engine, PARTNER, [d[0].id])
    with pytest.raises(PermissionDenied):
        review.add_line(engine, PARTNER, d[0].id, description="x", unit_amount="1")


def test_bad_billing_data_is_refused_clearly(engine) -> None:
    ledger(engine)
    acme, _ = client(engine, "Acme")
    with pytest.raises(billing_data.BillingRuleError, match="4 decimal places"):
        fee(engine, acme, "1.00001")
    with pytest.raises(billing_data.BillingRuleError, match="one-off item needs the month"):
        fee(engine, acme, "1.00", kind="one_off")
    with pytest.raises(billing_data.BillingRuleError, match="YYYY-MM"):
        billing_data.save_profile(engine, ADMIN, acme, reference_pattern="XF-{client}")
    with pytest.raises(billing_data.BillingRuleError, match="299 is not an active revenue"):
        fee(engine, acme, "1.00", account_code="299")
    with pytest.raises(billing_data.BillingRuleError, match="400 is not an active revenue"):
        fee(engine, acme, "1.00", account_code="400")
    with pytest.raises(billing_data.BillingRuleError, match="INPUT2 cannot be used on sales"):
        fee(engine, acme, "1.00", tax_type="INPUT2")
    with pytest.raises(billing_data.BillingRuleError, match="end date is before"):
        fee(engine, acme, "1.00", start_date=date(2026, 10, 5), end_date=date(2026, 10, 1))
    assert billing_data.list_items(engine, acme) == []


def test_midpoint_rounding_is_configurable(engine) -> None:
    ledger(engine)
    acme, _ = client(engine, "Acme")
    fee(engine, acme, "0.1250", tax_type="NONE")  # 0.125: half-up 0.13, half-even 0.12
    fee(engine, acme, "100.00", tax_type="ODD")  # 12.5% of 100.00 = 12.50 either way
    generate(engine, ADMIN, OCT, rounding="half_even")
    assert drafts(engine)["Acme"].lines[0].line_amount == D("0.12")
    assert generate(engine, ADMIN, OCT).count("updated") == 1  # half-up is the default
    d = drafts(engine)["Acme"]
    assert d.lines[0].line_amount == D("0.13") and d.total == D("112.63")


def test_our_reference_on_another_contacts_invoice_is_a_problem_not_an_adoption(engine) -> None:
    from xeroflow_core.models import Invoice

    ledger(engine)
    acme, _ = client(engine, "Acme")
    fee(engine, acme, "1000.00")
    stranger = contact(engine, "Someone Else")
    inv = invoice(engine, stranger, [("200", "5.00")], on=date(2026, 10, 31))
    with session_scope(engine) as s:
        s.get(Invoice, (TENANT, inv)).reference = "XF-ACME-2026-10"
    result = generate(engine, ADMIN, OCT)
    assert result.count("created") == 1
    assert "for another contact" in result.clients[0].problems[0]
    assert not drafts(engine)["Acme"].can_approve

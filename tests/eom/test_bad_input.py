"""Bad amounts and months get a clear message and block nothing else: plain
digits within bounds, negative unit amounts only on a line labelled as a credit, months in a
sane range, and one client's unusable data is a problem on its own draft while the others'
drafts are generated. Runs on SQLite and PostgreSQL where the database is involved."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from tests.eom.builders import ADMIN, OCT, client, fee, ledger, stale_fee
from xeroflow_core.eom import billing_data, review
from xeroflow_core.eom.billing import (
    BillingRuleError,
    parse_month,
    quantity,
    to_amount,
    unit_amount,
)
from xeroflow_core.eom.engine import generate


@pytest.mark.parametrize("text", ["1e25", "1e3", "1E+2", "NaN", "Infinity", "0x10", "1_000"])
def test_amounts_are_plain_digits(text: str) -> None:
    with pytest.raises(BillingRuleError, match="written as digits"):
        to_amount(text, "unit amount")


def test_amounts_have_bounds_with_a_message() -> None:
    assert unit_amount("999999999.9999", "Retainer") == D("999999999.9999")
    with pytest.raises(BillingRuleError, match="between -1,000,000,000 and 1,000,000,000"):
        unit_amount("1000000000.01", "Retainer")
    with pytest.raises(BillingRuleError, match="between"):
        quantity("1000001")
    with pytest.raises(BillingRuleError, match="more than zero"):
        quantity("0")
    with pytest.raises(BillingRuleError, match="between"):
        quantity(1e25)  # a float from a number widget: never an InvalidOperation
    with pytest.raises(BillingRuleError, match="too large|between"):
        to_amount(D("1e30"))


def test_a_negative_unit_amount_is_only_for_a_labelled_credit_line() -> None:
    with pytest.raises(BillingRuleError, match="credit line only"):
        unit_amount("-50.00", "Retainer - {month}")
    assert unit_amount("-50.00", "Credit: hours billed twice in May") == D("-50.0000")
    assert unit_amount("-5", "discount for early payment") == D("-5.0000")


@pytest.mark.parametrize("text", ["0000-01", "0001-01", "1999-12", "9999-12", "2100-01"])
def test_months_outside_the_range_are_refused_with_a_message(text: str) -> None:
    with pytest.raises(BillingRuleError, match="between 2000-01 and 2099-12"):
        parse_month(text)


def test_months_inside_the_range_still_parse() -> None:
    assert parse_month("2000-01") == date(2000, 1, 1)
    assert parse_month(" 2099-12 ") == date(2099, 12, 1)
    with pytest.raises(BillingRuleError, match="YYYY-MM"):
        parse_month("２０２６-10")  # full-width digits are not a month


def test_generate_refuses_a_month_out_of_range(engine) -> None:
    ledger(engine)
    acme, _ = client(engine, "Acme")
    fee(engine, acme, "100.00")
    for month in ("0001-01", "9999-12"):
        with pytest.raises(BillingRuleError, match="between 2000-01 and 2099-12"):
            generate(engine, ADMIN, month)
    assert review.list_drafts(engine, ADMIN, OCT) == []


def test_billing_data_refuses_bad_amounts_with_a_message(engine) -> None:
    ledger(engine)
    acme, _ = client(engine, "Acme")
    with pytest.raises(BillingRuleError, match="written as digits"):
        fee(engine, acme, "1e25")
    with pytest.raises(BillingRuleError, match="credit line only"):
        fee(engine, acme, "-100.00")
    with pytest.raises(BillingRuleError, match="beyond the limit"):
        fee(engine, acme, "999999999.00", quantity="1000")
    with pytest.raises(BillingRuleError, match="markup must be between 0 and 1,000"):
        billing_data.save_profile(engine, ADMIN, acme, rebill_markup_percent="5000")
    credit = fee(engine, acme, "-100.00", kind="one_off", one_off_month="2026-10",
                 description="Credit for September")  # fmt: skip
    assert billing_data.list_items(engine, acme)[0].id == credit


def test_the_line_editor_refuses_bad_amounts_with_a_message(engine) -> None:
    ledger(engine)
    acme, _ = client(engine, "Acme")
    fee(engine, acme, "100.00")
    generate(engine, ADMIN, OCT)
    (draft,) = review.list_drafts(engine, ADMIN, OCT)
    line = draft.lines[0]
    row = {"id": line.id, "description": line.description, "quantity": 1.0,
           "account_code": "200", "tax_type": "OUTPUT2"}  # fmt: skip
    for unit, why in (("1e25", "written as digits"), ("-10", "credit line only"),
                      ("2000000000", "between")):  # fmt: skip
        with pytest.raises(review.ReviewError, match=why):
            review.update_lines(engine, ADMIN, draft.id, [{**row, "unit_amount": unit}])
    with pytest.raises(review.ReviewError, match="between"):
        review.update_lines(
            engine, ADMIN, draft.id, [{**row, "quantity": 1e25, "unit_amount": "1"}]
        )
    with pytest.raises(review.ReviewError, match="written as digits"):
        review.add_line(engine, ADMIN, draft.id, description="Extra", quantity="1e3",
                        unit_amount="10", account_code="200", tax_type="OUTPUT2")  # fmt: skip
    review.add_line(engine, ADMIN, draft.id, description="Credit: a missed discount",
                    quantity="1", unit_amount="-10.00", account_code="200", tax_type="OUTPUT2")  # fmt: skip
    (draft,) = review.list_drafts(engine, ADMIN, OCT)
    assert draft.sub_total == D("90.00")


def test_one_clients_unusable_fee_is_a_problem_on_its_draft_and_the_others_are_generated(
    engine,
) -> None:
    """A fee saved before the bounds existed (written directly) whose line amount cannot be
    computed or stored: today it aborts the whole month."""
    ledger(engine)
    acme, _ = client(engine, "Acme")
    fee(engine, acme, "100.00")
    huge, _ = client(engine, "Huge Ltd")
    stale_fee(engine, huge, "90000000000000", quantity=D("10000"))
    beta, _ = client(engine, "Beta")
    fee(engine, beta, "200.00")

    result = generate(engine, ADMIN, OCT)

    by_name = {d.client_name: d for d in review.list_drafts(engine, ADMIN, OCT)}
    assert by_name["Acme"].total == D("115.00") and not by_name["Acme"].problems
    assert by_name["Beta"].total == D("230.00") and not by_name["Beta"].problems
    assert any("beyond the limit" in p for p in by_name["Huge Ltd"].problems)
    assert not by_name["Huge Ltd"].can_approve
    assert [c.client_name for c in result.with_problems] == ["Huge Ltd"]


def test_a_failure_computing_one_clients_draft_is_a_problem_on_it(engine, monkeypatch) -> None:
    """Whatever else goes wrong while computing one client's draft (here: the tax arithmetic
    raising) is recorded on that client's draft, and the others are generated."""
    from xeroflow_core.eom import pricing

    ledger(engine)
    acme, _ = client(engine, "Acme")
    fee(engine, acme, "100.00")
    odd, _ = client(engine, "Odd Ltd")
    fee(engine, odd, "7.00", description="Odd fee")
    real = pricing.line_tax

    def tax(amount, rate, lat, rounding="half_up"):  # noqa: ANN001, ANN202
        if amount == D("7.00"):
            raise ArithmeticError("cannot compute")
        return real(amount, rate, lat, rounding)

    monkeypatch.setattr(pricing, "line_tax", tax)
    generate(engine, ADMIN, OCT)
    by_name = {d.client_name: d for d in review.list_drafts(engine, ADMIN, OCT)}
    assert by_name["Acme"].total == D("115.00")
    assert (
        by_name["Odd Ltd"].lines == [] and "could not be invoiced" in by_name["Odd Ltd"].problems[0]
    )

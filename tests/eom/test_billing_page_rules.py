"""The rules of the EOM and Billing pages: the contact choice, errors that do not cascade,
rebill defaults, the push selection, labels."""

from __future__ import annotations

from decimal import Decimal as D

from tests.eom.builders import ADMIN, OCT, client, fee, ledger
from tests.support.factories import TENANT, contact
from xeroflow_core.db import session_scope
from xeroflow_core.eom import billing_data, review
from xeroflow_core.eom.billing import BillingRuleError
from xeroflow_core.eom.engine import generate
from xeroflow_core.models import ClientContactLink
from xeroflow_core.models.eom import BillingProfile


def two_contacts(engine) -> int:
    ledger(engine)
    cid, _ = client(engine, "Cedar Gardens Trust")
    fee(engine, cid, "100.00")
    second = contact(engine, "Southern Optometry Trust", is_customer=True, default_currency="NZD")
    with session_scope(engine) as s:
        s.add(ClientContactLink(tenant_id=TENANT, contact_id=second, client_id=cid))
    return cid


def test_billing_form_asks_for_the_contact_when_several_are_linked(engine) -> None:
    from xeroflow_core.ui.billing import contact_prompt

    cid = two_contacts(engine)
    with session_scope(engine) as s:
        links = billing_data.linked_contacts(s, cid)
    label, flag = contact_prompt(links, billing_data.get_profile(engine, cid))
    assert "only linked contact" not in label.lower()
    assert "choose the contact to invoice" in label.lower()
    assert flag and "several" in flag.lower()
    one = [links[0]]
    label, flag = contact_prompt(one, billing_data.get_profile(engine, cid))
    assert label == f"The only linked contact ({links[0].name})" and flag is None
    billing_data.save_profile(engine, ADMIN, cid, tenant_id=TENANT, contact_id=links[1].contact_id)
    assert contact_prompt(links, billing_data.get_profile(engine, cid))[1] is None


def test_an_unknown_contact_reports_only_the_root_cause(engine) -> None:
    two_contacts(engine)
    result = generate(engine, ADMIN, OCT)
    problems = result.clients[0].problems
    assert len(problems) == 1 and "several Xero contacts are linked" in problems[0], problems
    d = review.list_drafts(engine, ADMIN, OCT)[0]
    assert d.currency == "NZD" and d.total_tax == D("15.00")


def test_rebilling_is_off_for_new_profiles_and_needs_an_account_when_on(engine) -> None:
    ledger(engine)
    assert billing_data.get_profile(engine, 12345).rebill_enabled is False
    cid, _ = client(engine, "Acme")
    assert billing_data.get_profile(engine, cid).rebill_enabled is False
    try:
        billing_data.save_profile(engine, ADMIN, cid, rebill_enabled=True, rebill_account_code="")
    except BillingRuleError as exc:
        assert "rebill account" in str(exc)
    else:
        raise AssertionError("rebilling without an account was saved")
    billing_data.save_profile(engine, ADMIN, cid, rebill_enabled=True, rebill_account_code="260")
    assert billing_data.get_profile(engine, cid).rebill_enabled is True
    # an existing row keeps its setting (written as the old default did)
    old, _ = client(engine, "Old")
    with session_scope(engine) as s:
        s.get(BillingProfile, old).rebill_enabled = True
    billing_data.save_profile(engine, ADMIN, old, rebill_markup_percent="5")
    assert billing_data.get_profile(engine, old).rebill_enabled is True


def test_the_push_selection_is_keyed_on_the_pushable_drafts() -> None:
    from xeroflow_core.eom.review import push_choice_key

    assert push_choice_key([3, 1]) == push_choice_key([1, 3])
    assert push_choice_key([1]) != push_choice_key([1, 3])
    assert push_choice_key([]) != push_choice_key([1])


def test_messages_start_with_a_capital() -> None:
    from xeroflow_core.eom.review import sentence

    assert sentence("several Xero contacts are linked") == "Several Xero contacts are linked"
    assert sentence("") == ""

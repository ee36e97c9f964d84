"""The Billing tab of a client's page: billing profile and fees (embedded by app_pages/clients.py).

Thin: widgets in, xeroflow_core.eom.billing_data out. The service functions check the role and
audit; this module only hides the edit widgets from people who may not edit.
"""

from __future__ import annotations

import streamlit as st
from sqlalchemy import Engine

from xeroflow_core.actor import Actor
from xeroflow_core.db import session_scope
from xeroflow_core.eom import billing_data as bd
from xeroflow_core.eom.billing import FREQUENCIES, KINDS, LINE_AMOUNT_TYPES, UNIT_HELP
from xeroflow_core.eom.billing_data import LinkedContact, pick_contact
from xeroflow_core.eom.review import sentence
from xeroflow_core.models.core import utc_today
from xeroflow_core.models.eom import BillingProfile
from xeroflow_core.money import fmt_money
from xeroflow_core.text import md, plain, plain_table
from xeroflow_core.ui.actions import flash, run_action, show_flash
from xeroflow_core.ui.guard import allowed

TERMS_LABELS = {
    "": "Organisation default",
    "days_after": "N days after the invoice date",
    "day_of_following_month": "Day N of the following month",
}


CHOOSE_CONTACT = "— Choose the contact to invoice —"


def contact_prompt(
    contacts: list[LinkedContact], profile: BillingProfile
) -> tuple[str, str | None]:
    """What the empty "Invoice contact" choice means for this client, and the flag the Billing
    tab shows when a person must choose (the rule generation uses too: pick_contact)."""
    if profile.contact_id:
        return CHOOSE_CONTACT, None
    chosen, why = pick_contact(contacts, profile)
    if chosen is not None:
        return plain(f"The only linked contact ({chosen.name})"), None
    if not contacts:
        return "No linked contact", "No Xero contact is linked: link one before invoicing."
    return CHOOSE_CONTACT, (
        f"Several Xero contacts are linked ({', '.join(c.name for c in contacts)}): choose the "
        "contact to invoice and save, or EOM invoicing cannot make this client's invoice."
    )


def render_billing(engine: Engine, actor: Actor, client_id: int) -> None:
    """Draw the billing editor for one client (read-only for roles that cannot edit)."""
    can_edit = allowed(actor, "edit_clients")
    profile = bd.get_profile(engine, client_id)
    with session_scope(engine) as s:
        contacts = bd.linked_contacts(s, client_id)
    tenant = profile.tenant_id or (contacts[0].tenant_id if contacts else None)
    accounts = bd.revenue_accounts(engine, tenant)
    taxes = bd.revenue_tax_rates(engine, tenant)
    account_codes = [a.code for a in accounts]
    account_label = {a.code: plain(f"{a.code} · {a.name}") for a in accounts}
    tax_codes = [t.tax_type for t in taxes]
    tax_label = {t.tax_type: plain(f"{t.name} ({t.effective_rate.normalize()}%)") for t in taxes}

    st.subheader("Billing")
    show_flash("billing")
    _, needs_choice = contact_prompt(contacts, profile)
    if needs_choice:
        st.warning(md(needs_choice))
    _profile_form(engine, actor, client_id, profile, contacts, account_codes, account_label,
                  tax_codes, tax_label, can_edit)  # fmt: skip
    st.markdown("**Fees**")
    items = bd.list_items(engine, client_id)
    if items:
        st.dataframe(
            plain_table(
                [
                    {
                        "id": i.id,
                        "kind": i.kind,
                        "description": i.description,
                        "quantity": str(i.quantity.normalize()),
                        "unit amount": fmt_money(i.unit_amount),
                        "account": i.account_code,
                        "tax": i.tax_type,
                        "frequency": i.frequency if i.kind == "recurring" else "",
                        "month": i.anchor_month if i.frequency != "monthly" else "",
                        "from": i.start_date,
                        "to": i.end_date,
                        "one-off month": i.one_off_month.strftime("%Y-%m")
                        if i.one_off_month
                        else "",
                        "active": i.active,
                    }
                    for i in items
                ]
            ),
            hide_index=True,
            key=f"billing_items_{client_id}",
        )
    else:
        st.caption("No fees yet.")
    if not can_edit:
        return
    if items:
        with st.form(f"billing_remove_{client_id}"):
            labels = {x.id: plain(f"{x.id}: {x.description}") for x in items}
            gone = st.selectbox("Remove a fee", list(labels), format_func=labels.get)
            if st.form_submit_button("Remove fee"):
                _run(lambda: bd.delete_item(engine, actor, int(gone)), "Fee removed.")
    _add_item_form(engine, actor, client_id, account_codes, account_label, tax_codes, tax_label)


def _run(action, ok: str) -> None:  # noqa: ANN001 - a zero-argument callable
    _, err = run_action(action)
    if err:
        st.error(md(sentence(err)))
        return
    flash("billing", ok)


def _profile_form(engine, actor, client_id, profile, contacts, account_codes, account_label,
                  tax_codes, tax_label, can_edit) -> None:  # noqa: ANN001  # fmt: skip
    keys = [""] + [f"{c.tenant_id}|{c.contact_id}" for c in contacts]
    names = {
        f"{c.tenant_id}|{c.contact_id}": plain(f"{c.name} ({c.status.lower()})") for c in contacts
    }
    current = f"{profile.tenant_id}|{profile.contact_id}" if profile.contact_id else ""
    empty_label, _ = contact_prompt(contacts, profile)
    with st.form(f"billing_profile_{client_id}"):
        c1, c2, c3 = st.columns(3)
        contact = c1.selectbox(
            "Invoice contact", keys, index=keys.index(current) if current in keys else 0,
            format_func=lambda k: names.get(k, k) if k else empty_label, disabled=not can_edit,
        )  # fmt: skip
        lat = c2.selectbox(
            "Amounts are", LINE_AMOUNT_TYPES,
            index=LINE_AMOUNT_TYPES.index(profile.line_amount_types), disabled=not can_edit,
        )  # fmt: skip
        ref = c3.text_input("Reference pattern", profile.reference_pattern, disabled=not can_edit)
        c4, c5, c6 = st.columns(3)
        terms = c4.selectbox(
            "Payment terms", list(TERMS_LABELS), index=list(TERMS_LABELS).index(profile.terms_type),
            format_func=TERMS_LABELS.get, disabled=not can_edit,
        )  # fmt: skip
        terms_value = c5.number_input(
            "N (days or day of month)", 0, 365, int(profile.terms_value or 0), disabled=not can_edit
        )
        prorate = c6.checkbox("Prorate partial months", profile.prorate, disabled=not can_edit)
        c7, c8, c9, c10 = st.columns(4)
        rebill = c7.checkbox(
            "Rebill attributed costs",
            profile.rebill_enabled,
            disabled=not can_edit,
            help="Needs a rebill account: costs attributed to the client are invoiced on it.",
        )
        markup = c8.text_input(
            "Markup %", str(profile.rebill_markup_percent.normalize()), disabled=not can_edit
        )
        rcode = c9.selectbox(
            "Rebill account", [""] + account_codes,
            index=([""] + account_codes).index(profile.rebill_account_code)
            if profile.rebill_account_code in account_codes else 0,
            format_func=lambda c: account_label.get(c, "—"), disabled=not can_edit,
        )  # fmt: skip
        rtax = c10.selectbox(
            "Rebill tax", [""] + tax_codes,
            index=([""] + tax_codes).index(profile.rebill_tax_type)
            if profile.rebill_tax_type in tax_codes else 0,
            format_func=lambda c: tax_label.get(c, "—"), disabled=not can_edit,
        )  # fmt: skip
        if st.form_submit_button("Save billing settings", disabled=not can_edit):
            tenant_id, _, contact_id = contact.partition("|")
            if rebill and not rcode:
                st.error("Choose the rebill account to rebill attributed costs, or untick "
                         "“Rebill attributed costs”.")  # fmt: skip
                return
            _run(
                lambda: bd.save_profile(
                    engine, actor, client_id, tenant_id=tenant_id, contact_id=contact_id,
                    line_amount_types=lat, reference_pattern=ref, terms_type=terms,
                    terms_value=int(terms_value) if terms else None, prorate=prorate,
                    rebill_enabled=rebill, rebill_markup_percent=markup or "0",
                    rebill_account_code=rcode, rebill_tax_type=rtax,
                ),
                "Billing settings saved.",
            )  # fmt: skip


def _add_item_form(engine, actor, client_id, account_codes, account_label, tax_codes,
                   tax_label) -> None:  # noqa: ANN001  # fmt: skip
    with st.form(f"billing_add_{client_id}", clear_on_submit=False):
        st.markdown("Add a fee")
        st.caption(UNIT_HELP)
        c1, c2, c3 = st.columns([1, 3, 1])
        kind = c1.selectbox("Kind", KINDS, format_func=lambda k: k.replace("_", "-"))
        desc = c2.text_input("Description", "Retainer - {month} {year}")
        freq = c3.selectbox("Frequency", FREQUENCIES)
        c4, c5, c6, c7 = st.columns(4)
        qty = c4.text_input("Quantity", "1")
        unit = c5.text_input("Unit amount", "0.00")
        code = c6.selectbox("Account", account_codes, format_func=lambda c: account_label.get(c, c))
        tax = c7.selectbox("Tax", tax_codes, format_func=lambda c: tax_label.get(c, c))
        c8, c9, c10, c11 = st.columns(4)
        anchor = c8.number_input("Month (quarterly/yearly)", 1, 12, 1)
        start = c9.date_input("Start", value=None)
        end = c10.date_input("End", value=None)
        one_off = c11.text_input("One-off month (YYYY-MM)", utc_today().strftime("%Y-%m"))
        if st.form_submit_button("Add fee"):
            _run(
                lambda: bd.add_item(
                    engine, actor, client_id, kind=kind, description=desc, quantity=qty,
                    unit_amount=unit, account_code=code or "", tax_type=tax or "",
                    frequency="monthly" if kind == "retainer" else freq, anchor_month=int(anchor),
                    start_date=start, end_date=end,
                    one_off_month=one_off if kind == "one_off" else None,
                ),
                "Fee added.",
            )  # fmt: skip

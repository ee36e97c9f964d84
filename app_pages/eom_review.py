"""EOM Review: generate a month's invoices, review and edit them, approve and push to Xero.

Admins generate, edit and push; partners review read-only; staff never get here (guard). The
Push button only writes an "eom_push" work request: the worker talks to Xero.
"""

from decimal import Decimal

import pandas as pd
import streamlit as st

from xeroflow_core import installation, work
from xeroflow_core.eom import billing_data, review
from xeroflow_core.eom.billing import UNIT_HELP, BillingRuleError, parse_month, previous_month
from xeroflow_core.eom.engine import generate
from xeroflow_core.eom.review import sentence
from xeroflow_core.models.core import utc_today, utcnow
from xeroflow_core.money import fmt_money
from xeroflow_core.sync.jobs import request_sync
from xeroflow_core.text import md, plain, plain_table
from xeroflow_core.ui.actions import action_round, flash, run_action, show_flash
from xeroflow_core.ui.guard import allowed, require_page
from xeroflow_core.ui.resources import get_engine, settings

actor = require_page("eom_review")
engine = get_engine()
can_push = allowed(actor, "push_eom")

st.title("EOM Review")
last_month = previous_month(utc_today()).strftime("%Y-%m")
c1, c2, c3 = st.columns([1, 1, 3])
month_text = c1.text_input("Month (YYYY-MM)", value=last_month, key="eom_month")
try:
    month = parse_month(month_text)
except BillingRuleError as exc:
    st.error(md(sentence(str(exc))))
    st.stop()

show_flash("eom")
for why in st.session_state.pop("eom_refused", None) or []:
    st.warning(md(f"Not pushed: {why}"))


def restored_copy_banner() -> None:
    """A database restored or copied from another installation pushes nothing until an admin
    confirms it here (or with `eom confirm-restore`)."""
    here = installation.current(engine)
    if not here.restored:
        return
    st.error(sentence(here.message))
    if can_push and st.button("Confirm: use this restored database here", key="eom_confirm_copy"):
        act(installation.confirm_restored_copy, engine, actor,
            ok="Confirmed: pushes are allowed again; earlier months are looked up in Xero first.")  # fmt: skip
        st.rerun()


def act(fn, *args, ok: str = "", **kwargs):  # noqa: ANN001, ANN201 - any service call
    """Run a service call (ui.actions.run_action); show its refusal as an error, or flash `ok`."""
    out, err = run_action(fn, *args, **kwargs)
    if err:
        st.error(md(sentence(err)))
        return None
    if ok:
        flash("eom", ok)
    return out


def forget_push_choice() -> None:
    """Generating again changes which drafts can be pushed: drop the old selection's state."""
    for key in [k for k in st.session_state if str(k).startswith("eom_push_choice")]:
        del st.session_state[key]


def unit_text(value: Decimal) -> str:
    """A unit price as a person writes it: 5000.00, 12.3456 (Xero keeps up to 4 places)."""
    d = Decimal(value).normalize()
    return f"{d:.2f}" if d.as_tuple().exponent >= -2 else f"{d:f}"


restored_copy_banner()
if can_push:
    c2.write("")
    c2.write("")
    if c2.button("Generate", type="primary", key="eom_generate"):
        result = act(generate, engine, actor, month, rounding=settings().rounding)
        if result is not None:
            forget_push_choice()
            flash("eom", "Generated " + result.summary())
else:
    c3.caption("Partners review the drafts; an admin generates and pushes them.")

drafts = review.list_drafts(engine, actor, month, settings())
if not drafts:
    st.info(f"No invoices for {month:%B %Y} yet." + (" Press Generate." if can_push else ""))
    st.stop()

m1, m2, m3, m4 = st.columns(4)
m1.metric("Drafts", len(drafts))
m2.metric("With problems", sum(1 for d in drafts if d.problems))
m3.metric("In Xero", sum(1 for d in drafts if d.xero_invoice_id))
m4.metric("Total", fmt_money(sum((d.total for d in drafts if d.state != "excluded"), start=0)))

table = plain_table(
    [
        {
            "Client": d.client_name,
            "Reference": d.reference,
            "Total": fmt_money(d.total, d.currency) if d.contact_name else fmt_money(d.total),
            "State": d.state,
            "Problems": len(d.problems) + (1 if d.error else 0),
            "Xero number": d.xero_invoice_number,
            "Xero status": d.xero_status,
            "Link": d.xero_url or None,
        }
        for d in drafts
    ]
)
st.dataframe(  # narrow: every column fits at 1400 px; problems are listed under it, per draft
    table,
    hide_index=True,
    column_config={
        "Client": st.column_config.TextColumn("Client", width="medium"),
        "Reference": st.column_config.TextColumn("Reference", width="medium"),
        "Problems": st.column_config.NumberColumn("Problems", width="small"),
        "Link": st.column_config.LinkColumn("Open in Xero", display_text="Open in Xero"),
    },
    key="eom_table",
)
for d in drafts:
    notes = [sentence(p) for p in d.problems] + ([sentence(d.error)] if d.error else [])
    if not notes and not d.warnings and not d.held:
        continue
    with st.container(border=True):
        st.markdown(f"**{md(d.client_name)}** · {md(d.reference)}")
        if d.held:
            st.info(md(sentence(d.held)))
        for p in notes:
            st.error(md(p))
        for w in d.warnings:
            st.warning(md(sentence(w)))


def month_pushes() -> list:
    """This month's recent push requests, newest first."""
    return [
        r
        for r in work.recent_requests(engine, 10, kind="eom_push")
        if (r.params or {}).get("month") == f"{month:%Y-%m}"
    ]


# the live refresh runs only while the worker has something of this page in flight: a page left
# open on a quiet month costs nothing (asking for a push or a sync reruns the page, which starts it)
in_flight = bool(st.session_state.get("eom_syncs")) or any(
    r.status in ("pending", "running") for r in month_pushes()[:1]
)


@st.fragment(run_every="3s" if in_flight else None)
def worker_progress() -> None:
    """The worker's progress on this month's push and on status syncs asked for here; the page
    redraws once when one finishes."""
    reqs = month_pushes()
    if reqs:
        latest = reqs[0]
        if latest.status == "pending" and latest.not_before and latest.not_before > utcnow():
            st.info(
                f"Push #{latest.id} waits until {latest.not_before:%H:%M:%S} UTC (Xero asked "
                "to wait, or another pusher holds a draft); the worker pushes the rest then."
            )
        elif latest.status in ("pending", "running"):
            st.info(
                f"Push #{latest.id} {latest.status}: the worker is sending the invoices to Xero…"
            )
        elif latest.status == "failed":
            st.error(md(f"Push #{latest.id} failed: {latest.error}"))
        else:
            res = latest.result or {}
            text = res.get("summary") or "done"
            (st.warning if res.get("stopped") or res.get("failed") else st.success)(
                md(f"Push #{latest.id} finished: {text}")
            )
            if st.session_state.get("eom_seen_push") != latest.id:
                st.session_state["eom_seen_push"] = latest.id
                st.rerun(scope="app")
    syncs = [work.get_request(engine, i) for i in st.session_state.get("eom_syncs", [])]
    if syncs:
        if any(r is not None and r.status in ("pending", "running") for r in syncs):
            st.info("Syncing statuses from Xero…")
        else:
            st.session_state["eom_syncs"] = []
            n = action_round("eom") + 1  # ui.actions.flash, but rerunning the app from here
            st.session_state["eom_round"] = n
            st.session_state["eom_flash"] = ("Statuses synced from Xero.", None, n)
            st.rerun(scope="app")


worker_progress()

SHOWN_REFERENCES = 10


def push_selection(ready: list) -> list[int]:
    """Which drafts to approve and push: all the ready ones (the usual case, no widget holding a
    chip per draft), or the rows chosen in a table, which stays quick at 1,000 drafts."""
    key = review.push_choice_key([d.id for d in ready])
    mode = st.radio(
        "Drafts to approve and push", ["all", "choose"], horizontal=True, key=f"{key}_mode",
        format_func=lambda m: f"All {len(ready)} ready" if m == "all" else "Choose in a table",
    )  # fmt: skip
    if mode == "all":
        refs = [d.reference for d in ready[:SHOWN_REFERENCES]]
        more = len(ready) - len(refs)
        with st.container(key="eom_push_ready"):
            st.caption(
                md(", ".join(refs) + (f" and {more} more" if more else ""))
                if ready
                else "No draft is ready: fix the problems listed above first."
            )
        return [d.id for d in ready]
    event = st.dataframe(
        plain_table(
            {
                "Client": [d.client_name for d in ready],
                "Reference": [d.reference for d in ready],
                "Total": [fmt_money(d.total, d.currency) for d in ready],
                "State": [d.state for d in ready],
            }
        ),
        hide_index=True, selection_mode="multi-row", on_select="rerun", key=key,
        height=min(420, 38 + 35 * len(ready)),
    )  # fmt: skip
    return [ready[i].id for i in event.selection.rows if i < len(ready)]


if can_push:
    st.subheader("Push to Xero")
    ready = [d for d in drafts if d.can_approve or d.state == "approved"]
    chosen = push_selection(ready)
    p1, p2 = st.columns([1, 4])
    if p1.button("Push to Xero", type="primary", disabled=not chosen, key="eom_push"):
        queued = act(review.request_push, engine, actor, month, chosen)
        if queued is not None:
            ids = ", ".join(f"#{i}" for i in queued.request_ids)
            st.session_state["eom_refused"] = [sentence(r) for r in queued.refused]
            flash("eom", f"Push {ids} queued: the worker sends the approved invoices to Xero "
                  "as drafts.")  # fmt: skip
    tenants = sorted({d.tenant_id for d in drafts if d.tenant_id})
    if allowed(actor, "resync") and p2.button("Sync statuses from Xero", key="eom_sync"):
        ids = [act(request_sync, engine, actor, t, full=False) for t in tenants]
        queued = [i for i in ids if i]
        st.session_state["eom_syncs"] = queued
        if queued:  # replaces the last sync's "Statuses synced", which is stale until this runs
            flash("eom", f"Sync {', '.join(f'#{i}' for i in queued)} queued: the worker reads "
                  "the invoices' statuses from Xero.")  # fmt: skip
        st.rerun()

st.subheader("Review a draft")
by_id = {d.id: d for d in drafts}
draft_labels = {d.id: plain(f"{d.client_name} · {d.reference}") for d in drafts}
pick = st.selectbox("Draft", list(draft_labels), key="eom_pick", format_func=draft_labels.get)
draft = by_id.get(pick, drafts[0])
st.caption(
    f"Invoice date {draft.invoice_date} · due {draft.due_date or 'organisation default'} · "
    f"amounts {draft.line_amount_types} · {draft.currency} · state {draft.state}"
)
if draft.xero_url:
    st.link_button(
        f"Open in Xero ({draft.xero_invoice_number or 'draft'}, {draft.xero_status or 'pushed'})",
        draft.xero_url,
    )
for p in draft.problems:
    st.error(md(sentence(p)))
for w in draft.warnings:
    st.warning(md(sentence(w)))
editable = can_push and draft.state in review.EDITABLE_STATES
# the same choices as Billing: the organisation's active revenue accounts and sales tax rates
accounts = billing_data.revenue_accounts(engine, draft.tenant_id or None)
taxes = billing_data.revenue_tax_rates(engine, draft.tenant_id or None)
account_label = {a.code: plain(f"{a.code} · {a.name}") for a in accounts}
tax_label = {t.tax_type: plain(f"{t.name} ({t.effective_rate.normalize()}%)") for t in taxes}
account_codes = list(dict.fromkeys([*account_label, *(ln.account_code for ln in draft.lines)]))
tax_types = list(dict.fromkeys([*tax_label, *(ln.tax_type for ln in draft.lines)]))
lines = pd.DataFrame(
    [
        {
            "id": ln.id, "source": ln.source, "description": ln.description,
            "quantity": float(ln.quantity), "unit_amount": unit_text(ln.unit_amount),
            "account_code": ln.account_code, "tax_type": ln.tax_type,
            "line_amount": fmt_money(ln.line_amount), "tax": fmt_money(ln.tax_amount),
        }
        for ln in draft.lines
    ],
    columns=["id", "source", "description", "quantity", "unit_amount", "account_code",
             "tax_type", "line_amount", "tax"],
)  # fmt: skip
edited = st.data_editor(
    lines,
    hide_index=True,
    width="stretch",
    column_order=["description", "quantity", "unit_amount", "account_code", "tax_type",
                  "line_amount", "tax", "source"],
    column_config={
        "id": None,
        "description": st.column_config.TextColumn("Description", width="large"),
        "quantity": st.column_config.NumberColumn("Qty", min_value=0, step=0.0001),
        "unit_amount": st.column_config.TextColumn("Unit price", help=UNIT_HELP),
        "account_code": st.column_config.SelectboxColumn(
            "Account", options=account_codes, format_func=lambda c: account_label.get(c, c)
        ),
        "tax_type": st.column_config.SelectboxColumn(
            "Tax rate", options=tax_types, format_func=lambda t: tax_label.get(t, t)
        ),
        "line_amount": st.column_config.TextColumn("Amount"),
        "tax": st.column_config.TextColumn("Tax"),
        "source": st.column_config.TextColumn("From"),
    },
    disabled=not editable or ["source", "line_amount", "tax"],
    num_rows="dynamic" if editable else "fixed",
    key=f"eom_lines_{draft.id}",
)  # fmt: skip
st.markdown(
    f"**Subtotal** {fmt_money(draft.sub_total)} · **Tax** {fmt_money(draft.total_tax)} · "
    f"**Total** {fmt_money(draft.total, draft.currency)}"
)
if editable:
    e1, e2 = st.columns([1, 4])
    if e1.button("Save lines", key="eom_save_lines"):
        rows = [
            {k: (None if pd.isna(v) else v) for k, v in row.items()}
            for row in edited.to_dict("records")
        ]
        act(
            review.update_lines, engine, actor, draft.id, rows, ok="Lines saved; totals recomputed."
        )
    if e2.button("Exclude this client this month", key="eom_exclude"):
        act(review.set_excluded, engine, actor, draft.id, True, ok=f"{draft.client_name} excluded.")
    with st.form(f"eom_add_line_{draft.id}", clear_on_submit=True):
        st.markdown("Add a one-off line")
        st.caption(UNIT_HELP)
        f1, f2, f3, f4, f5 = st.columns([3, 1, 1, 1, 1])
        desc = f1.text_input("Description", key="eom_add_desc")
        qty = f2.text_input("Quantity", "1", key="eom_add_qty")
        unit = f3.text_input("Unit amount", "0.00", key="eom_add_unit")
        first = draft.lines[0] if draft.lines else None
        code = f4.selectbox(
            "Account", list(account_label), format_func=account_label.get, key="eom_add_code",
            index=list(account_label).index(first.account_code)
            if first and first.account_code in account_label else 0,
        )  # fmt: skip
        tax = f5.selectbox(
            "Tax rate", list(tax_label), format_func=tax_label.get, key="eom_add_tax",
            index=list(tax_label).index(first.tax_type)
            if first and first.tax_type in tax_label else 0,
        )  # fmt: skip
        if st.form_submit_button("Add line"):
            act(review.add_line, engine, actor, draft.id, description=desc, quantity=qty,
                unit_amount=unit, account_code=code or "", tax_type=tax or "", ok="Line added.")  # fmt: skip
elif (
    can_push
    and draft.state == "excluded"
    and st.button("Include this client again", key="eom_include")
):
    act(review.set_excluded, engine, actor, draft.id, False, ok=f"{draft.client_name} included.")

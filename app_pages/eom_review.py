"""EOM Review: generate a month's invoices, review and edit them, approve and push to Xero.

Admins generate, edit and push; partners review read-only; staff never get here (guard). The
Push button only writes an "eom_push" work request: the worker talks to Xero.
"""

from collections.abc import Callable
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from xeroflow_core import installation, work
from xeroflow_core.eom import billing_data, review
from xeroflow_core.eom import review_view as rv
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
from xeroflow_core.ui.widgets import metric_row

actor = require_page("eom_review")
engine = get_engine()
can_push = allowed(actor, "push_eom")


def month_picker() -> tuple[date, DeltaGenerator, DeltaGenerator]:
    """Title and the month (last month by default); a month that does not parse stops the page.
    Returns the month and the two columns beside it (for Generate and the partners' note)."""
    st.title("EOM Review")
    last_month = previous_month(utc_today()).strftime("%Y-%m")
    c1, c2, c3 = st.columns([1, 1, 3])
    month_text = c1.text_input("Month (YYYY-MM)", value=last_month, key="eom_month")
    try:
        return parse_month(month_text), c2, c3
    except BillingRuleError as exc:
        st.error(md(sentence(str(exc))))
        st.stop()


def messages() -> None:
    """The last action's message, and the drafts a push request could not approve."""
    show_flash("eom")
    for why in st.session_state.pop("eom_refused", None) or []:
        st.warning(md(f"Not pushed: {why}"))


def act(fn: Callable[..., Any], *args: Any, ok: str = "", **kwargs: Any) -> Any:
    """Run a service call (ui.actions.run_action); show its refusal as an error, or flash `ok`."""
    out, err = run_action(fn, *args, **kwargs)
    if err:
        st.error(md(sentence(err)))
        return None
    if ok:
        flash("eom", ok)
    return out


def restored_copy_banner() -> None:
    """A database restored or copied from another installation pushes nothing until an admin
    confirms it here (or with `eom confirm-restore`)."""
    here = installation.current(engine)
    if not here.restored:
        return
    st.error(sentence(here.message))
    if can_push and st.button("Confirm: use this restored database here", key="eom_confirm_copy"):
        act(
            installation.confirm_restored_copy,
            engine,
            actor,
            ok="Confirmed: pushes are allowed again; earlier months are looked up in Xero first.",
        )
        st.rerun()


def forget_push_choice() -> None:
    """Generating again changes which drafts can be pushed: drop the old selection's state."""
    for key in [k for k in st.session_state if str(k).startswith("eom_push_choice")]:
        del st.session_state[key]


def generate_button(month: date, c2: DeltaGenerator, c3: DeltaGenerator) -> None:
    """Generate (admins), or the note that an admin generates (partners)."""
    if not can_push:
        c3.caption("Partners review the drafts; an admin generates and pushes them.")
        return
    c2.write("")
    c2.write("")
    if c2.button("Generate", type="primary", key="eom_generate"):
        result = act(generate, engine, actor, month, rounding=settings().rounding)
        if result is not None:
            forget_push_choice()
            flash("eom", "Generated " + result.summary())


def month_drafts(month: date) -> list[review.DraftView]:
    """The month's drafts; with none, there is nothing to review."""
    drafts = review.list_drafts(engine, actor, month, settings())
    if not drafts:
        st.info(f"No invoices for {month:%B %Y} yet." + (" Press Generate." if can_push else ""))
        st.stop()
    return drafts


def month_table(drafts: list[review.DraftView]) -> None:
    """The month's counts, one row per draft, and a box per draft with something to fix."""
    metric_row(rv.month_metrics(drafts))
    st.dataframe(  # narrow: every column fits at 1400 px; problems are listed under it, per draft
        plain_table([rv.draft_row(d) for d in drafts]),
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
        if not rv.needs_notes(d):
            continue
        with st.container(border=True):
            st.markdown(f"**{md(d.client_name)}** · {md(d.reference)}")
            if d.held:
                st.info(md(sentence(d.held)))
            for p in rv.draft_errors(d):
                st.error(md(p))
            for w in d.warnings:
                st.warning(md(sentence(w)))


def month_pushes(month: date) -> list:
    """This month's recent push requests, newest first."""
    return rv.month_pushes(work.recent_requests(engine, 10, kind="eom_push"), month)


def worker_progress(month: date) -> None:
    """The worker's progress on this month's push and on status syncs asked for here; the page
    redraws once when one finishes."""
    reqs = month_pushes(month)
    if reqs:
        state = rv.push_state(reqs[0], utcnow())
        {"info": st.info, "error": st.error, "warning": st.warning, "success": st.success}[
            state.level
        ](state.text)
        if state.redraw and st.session_state.get("eom_seen_push") != reqs[0].id:
            st.session_state["eom_seen_push"] = reqs[0].id
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


def live_progress(month: date) -> None:
    """`worker_progress` as a fragment that refreshes every 3 s only while the worker has
    something of this page in flight: a page left open on a quiet month costs nothing (asking
    for a push or a sync reruns the page, which starts it)."""
    in_flight = bool(st.session_state.get("eom_syncs")) or rv.push_in_flight(month_pushes(month))
    st.fragment(run_every="3s" if in_flight else None)(worker_progress)(month)


def push_selection(ready: list) -> list[int]:
    """Which drafts to approve and push: all the ready ones (the usual case, no widget holding a
    chip per draft), or the rows chosen in a table, which stays quick at 1,000 drafts."""
    key = review.push_choice_key([d.id for d in ready])
    mode = st.radio(
        "Drafts to approve and push",
        ["all", "choose"],
        horizontal=True,
        key=f"{key}_mode",
        format_func=lambda m: f"All {len(ready)} ready" if m == "all" else "Choose in a table",
    )
    if mode == "all":
        with st.container(key="eom_push_ready"):
            st.caption(rv.ready_caption(ready))
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
        hide_index=True,
        selection_mode="multi-row",
        on_select="rerun",
        key=key,
        height=min(420, 38 + 35 * len(ready)),
    )
    return [ready[i].id for i in event.selection.rows if i < len(ready)]


def push_controls(month: date, drafts: list[review.DraftView]) -> None:
    """Push the chosen drafts to Xero, and ask for their statuses from Xero (admins)."""
    st.subheader("Push to Xero")
    chosen = push_selection(rv.ready_to_push(drafts))
    p1, p2 = st.columns([1, 4])
    if p1.button("Push to Xero", type="primary", disabled=not chosen, key="eom_push"):
        queued = act(review.request_push, engine, actor, month, chosen)
        if queued is not None:
            ids = ", ".join(f"#{i}" for i in queued.request_ids)
            st.session_state["eom_refused"] = [sentence(r) for r in queued.refused]
            flash(
                "eom",
                f"Push {ids} queued: the worker sends the approved invoices to Xero as drafts.",
            )
    tenants = sorted({d.tenant_id for d in drafts if d.tenant_id})
    if allowed(actor, "resync") and p2.button("Sync statuses from Xero", key="eom_sync"):
        ids = [act(request_sync, engine, actor, t, full=False) for t in tenants]
        queued = [i for i in ids if i]
        st.session_state["eom_syncs"] = queued
        if queued:  # replaces the last sync's "Statuses synced", which is stale until this runs
            flash("eom", f"Sync {', '.join(f'#{i}' for i in queued)} queued: the worker reads "
                  "the invoices' statuses from Xero.")  # fmt: skip
        st.rerun()


def draft_picker(drafts: list[review.DraftView]) -> review.DraftView:
    """The draft to review, with its dates, link to Xero, problems and warnings."""
    st.subheader("Review a draft")
    by_id = {d.id: d for d in drafts}
    draft_labels = {d.id: plain(f"{d.client_name} · {d.reference}") for d in drafts}
    pick = st.selectbox("Draft", list(draft_labels), key="eom_pick", format_func=draft_labels.get)
    draft = by_id.get(pick, drafts[0])
    st.caption(rv.draft_caption(draft))
    if draft.xero_url:
        st.link_button(rv.open_in_xero_label(draft), draft.xero_url)
    for p in draft.problems:
        st.error(md(sentence(p)))
    for w in draft.warnings:
        st.warning(md(sentence(w)))
    return draft


def line_editor(draft: review.DraftView, choices: rv.LineChoices, editable: bool) -> pd.DataFrame:
    """The draft's lines in a table, editable before the draft is sent; returns the edits."""
    return st.data_editor(
        rv.lines_frame(draft),
        hide_index=True,
        width="stretch",
        column_order=[
            "description",
            "quantity",
            "unit_amount",
            "account_code",
            "tax_type",
            "line_amount",
            "tax",
            "source",
        ],
        column_config={
            "id": None,
            "description": st.column_config.TextColumn("Description", width="large"),
            "quantity": st.column_config.NumberColumn("Qty", min_value=0, step=0.0001),
            "unit_amount": st.column_config.TextColumn("Unit price", help=UNIT_HELP),
            "account_code": st.column_config.SelectboxColumn(
                "Account",
                options=choices.account_codes,
                format_func=lambda c: choices.account_label.get(c, c),
            ),
            "tax_type": st.column_config.SelectboxColumn(
                "Tax rate",
                options=choices.tax_types,
                format_func=lambda t: choices.tax_label.get(t, t),
            ),
            "line_amount": st.column_config.TextColumn("Amount"),
            "tax": st.column_config.TextColumn("Tax"),
            "source": st.column_config.TextColumn("From"),
        },
        disabled=not editable or ["source", "line_amount", "tax"],
        num_rows="dynamic" if editable else "fixed",
        key=f"eom_lines_{draft.id}",
    )


def draft_lines(draft: review.DraftView) -> None:
    """The draft's lines and totals; its Save, Exclude and Add-line actions while editable, or
    Include again once excluded."""
    editable = rv.editable(draft, can_push)
    # the same choices as Billing: the organisation's active revenue accounts and sales tax rates
    choices = rv.line_choices(
        draft,
        billing_data.revenue_accounts(engine, draft.tenant_id or None),
        billing_data.revenue_tax_rates(engine, draft.tenant_id or None),
    )
    edited = line_editor(draft, choices, editable)
    st.markdown(
        f"**Subtotal** {fmt_money(draft.sub_total)} · **Tax** {fmt_money(draft.total_tax)} · "
        f"**Total** {fmt_money(draft.total, draft.currency)}"
    )
    if editable:
        edit_actions(draft, edited)
        add_line_form(draft, choices)
    elif (
        can_push
        and draft.state == "excluded"
        and st.button("Include this client again", key="eom_include")
    ):
        act(
            review.set_excluded, engine, actor, draft.id, False, ok=f"{draft.client_name} included."
        )


def edit_actions(draft: review.DraftView, edited: pd.DataFrame) -> None:
    """Save the edited lines, or leave the client out of this month."""
    e1, e2 = st.columns([1, 4])
    if e1.button("Save lines", key="eom_save_lines"):
        rows = rv.edited_rows(edited)
        act(
            review.update_lines, engine, actor, draft.id, rows, ok="Lines saved; totals recomputed."
        )
    if e2.button("Exclude this client this month", key="eom_exclude"):
        act(review.set_excluded, engine, actor, draft.id, True, ok=f"{draft.client_name} excluded.")


def add_line_form(draft: review.DraftView, choices: rv.LineChoices) -> None:
    """A one-off line, on the first line's account and tax rate unless changed."""
    account_label, tax_label = choices.account_label, choices.tax_label
    code_index, tax_index = choices.add_defaults(draft)
    with st.form(f"eom_add_line_{draft.id}", clear_on_submit=True):
        st.markdown("Add a one-off line")
        st.caption(UNIT_HELP)
        f1, f2, f3, f4, f5 = st.columns([3, 1, 1, 1, 1])
        desc = f1.text_input("Description", key="eom_add_desc")
        qty = f2.text_input("Quantity", "1", key="eom_add_qty")
        unit = f3.text_input("Unit amount", "0.00", key="eom_add_unit")
        code = f4.selectbox(
            "Account",
            list(account_label),
            format_func=account_label.get,
            key="eom_add_code",
            index=code_index,
        )
        tax = f5.selectbox(
            "Tax rate",
            list(tax_label),
            format_func=tax_label.get,
            key="eom_add_tax",
            index=tax_index,
        )
        if st.form_submit_button("Add line"):
            act(
                review.add_line,
                engine,
                actor,
                draft.id,
                description=desc,
                quantity=qty,
                unit_amount=unit,
                account_code=code or "",
                tax_type=tax or "",
                ok="Line added.",
            )


month, gen_col, note_col = month_picker()
messages()
restored_copy_banner()
generate_button(month, gen_col, note_col)
drafts = month_drafts(month)
month_table(drafts)
live_progress(month)
if can_push:
    push_controls(month, drafts)
draft_lines(draft_picker(drafts))

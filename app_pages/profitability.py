"""Profitability: P&L per client for partners and admins.

Definitions: README.md, "Profitability"."""

from datetime import date

import streamlit as st

from xeroflow_core import profitability as pf
from xeroflow_core.exports import csv_text
from xeroflow_core.models.core import utc_today
from xeroflow_core.money import fmt_money
from xeroflow_core.profitability import charts, figures, tables
from xeroflow_core.profitability import xero_report as reports
from xeroflow_core.profitability.definitions import DEFINITIONS
from xeroflow_core.profitability.periods import default_custom_range, period_choices, trend_period
from xeroflow_core.profitability.view import default_organisation, group_label
from xeroflow_core.sync.status import age
from xeroflow_core.text import md, plain, plain_table
from xeroflow_core.ui.guard import require_page
from xeroflow_core.ui.resources import get_engine
from xeroflow_core.ui.xero_links import OPEN, links, open_column
from xeroflow_core.users import PermissionDenied

actor = require_page("profitability")
engine = get_engine()
state = st.session_state

st.title("Profitability")
with st.expander("How these figures are made"):
    st.markdown(DEFINITIONS)

orgs = pf.organisations(engine)
if not orgs:
    st.info("No organisation is synced yet. An admin connects Xero on the Connect page.")
    st.stop()

# --- filters ------------------------------------------------------------------------------------
f1, f2, f3 = st.columns([2, 2, 3])
ALL = "__all__"
today = utc_today()
if state.get("pf_org_default") not in orgs:
    # open on the organisation with the most revenue in the default period (last month); kept
    # for the session so the widget's default never changes under a person's choice
    months, i = period_choices("month", today)
    try:
        opening = pf.profitability(engine, actor, months[i], tuple(orgs), today)
    except PermissionDenied as exc:
        st.error(md(exc))
        st.stop()
    state["pf_org_default"] = default_organisation(orgs, opening.revenue_by_tenant())
org_options = [ALL, *orgs]
org_choice = f1.selectbox(
    "Organisation",
    org_options,
    index=org_options.index(state["pf_org_default"]),
    format_func=lambda t: "All organisations" if t == ALL else plain(orgs[t].name),
    key="pf_org",
)
kind = f2.radio(
    "Period",
    ["Month", "Quarter", "Financial year", "Custom range"],
    horizontal=True,
    key="pf_kind",
)
ref_org = orgs[org_choice] if org_choice != ALL else next(iter(orgs.values()))
if kind == "Custom range":
    picked = f3.date_input("From – to", default_custom_range(today), key="pf_range")
    if not isinstance(picked, tuple) or len(picked) != 2:
        st.info("Pick the first and the last day of the range.")
        st.stop()
    try:
        period = pf.custom(picked[0], picked[1])
    except ValueError as exc:
        st.error(md(exc))
        st.stop()
else:
    core_kind = {"Month": "month", "Quarter": "quarter", "Financial year": "financial_year"}[kind]
    choices, index = period_choices(core_kind, today, ref_org.fy_end_day, ref_org.fy_end_month)
    label, fmt = kind, (lambda p: p.label)
    if core_kind == "financial_year":
        label = (f"Financial year (ends {ref_org.fy_end_day} "
                 f"{date(2000, ref_org.fy_end_month, 1):%B}, {md(ref_org.name)})")  # fmt: skip
        fmt = lambda p: f"{p.label} ({p.start:%d %b %Y} – {p.end:%d %b %Y})"  # noqa: E731
    key = {"month": "pf_month", "quarter": "pf_quarter", "financial_year": "pf_fy"}[core_kind]
    period = f3.selectbox(label, choices, index=index, format_func=fmt, key=key)

tenants = tuple(orgs) if org_choice == ALL else (org_choice,)
try:
    view = pf.profitability(engine, actor, period, tenants, today)
except PermissionDenied as exc:
    st.error(md(exc))
    st.stop()

# --- freshness ----------------------------------------------------------------------------------
synced = pf.last_sync(engine, tenants)
st.caption(
    "Data as of the last sync: "
    + " · ".join(
        f"{md(orgs[t].name)}: {age(w) if w else 'never synced'}" for t, w in synced.items()
    )
    + f" · {view.period.start:%d %b %Y} – {view.period.end:%d %b %Y}"
    + (
        f" · {view.comparison_note}"
        if view.comparison_note
        else f" vs {view.previous.label or view.previous.start}"
    )
)

currencies = view.currencies
if not currencies:
    st.info(f"Nothing counted in {period.label}: no posted invoices or direct-cost bills.")
    st.stop()
currency = currencies[0]
if len(currencies) > 1:
    group_rev = {c: sum(r for t, r in view.revenue_by_tenant().items()
                        if orgs[t].base_currency == c) for c in currencies}  # fmt: skip
    if state.get("pf_currency") not in currencies:
        state["pf_currency"] = max(currencies, key=lambda c: (group_rev[c], c == currencies[0]))
    currency = st.radio(
        "Base-currency group (organisations in different currencies are never added together)",
        currencies,
        format_func=lambda c: md(group_label(c, orgs, tenants)),
        horizontal=True,
        key="pf_currency",
    )
if org_choice == ALL:
    st.subheader(f"Figures for {md(group_label(currency, orgs, tenants))} (in {currency})")
cur_tenants = tuple(t for t in tenants if orgs[t].base_currency == currency)
table = view.table[view.table["currency"] == currency]

# --- headline -----------------------------------------------------------------------------------
head = view.headline[view.headline["currency"] == currency].iloc[0]
for col, metric in zip(st.columns(4), tables.headline_metrics(head, currency), strict=True):
    col.metric(**metric)
tot = view.totals[view.totals["currency"] == currency].iloc[0]
st.caption(tables.totals_caption(tot, currency))

# --- charts -------------------------------------------------------------------------------------
c1, c2 = st.columns([3, 2])
with c1:
    st.subheader("Per client")
    n = st.slider("Clients shown (the rest grouped as Other)", 5, 40, 15, key="pf_topn")
    top = figures.top_n(table, n)
    event = st.plotly_chart(
        charts.clients_bar(top, currency),
        key="pf_bar",
        on_select="rerun",
        selection_mode="points",
        width="stretch",
        config={"displaylogo": False},
    )
    picked = charts.selected_client(event)
    if picked and picked != state.get("pf_last_pick"):
        state["pf_last_pick"] = picked
        state["pf_client"] = picked
with c2:
    st.subheader("Revenue concentration")
    conc = figures.concentration(table, currency)
    st.caption(tables.concentration_text(conc, tot["unmatched_revenue"], currency))
    if len(conc):
        st.plotly_chart(
            charts.concentration_chart(conc, currency),
            key="pf_pareto",
            width="stretch",
            config={"displaylogo": False},
        )

st.subheader("Margin trend by month")
client_rows = table[table["row_kind"] == figures.ROW_CLIENT]
names = dict(zip(client_rows["client_id"].astype(int), client_rows["client"], strict=True))
trend_ids = []
if names:
    trend_ids = st.multiselect(
        "Clients",
        list(names),
        default=list(names)[:5],
        format_func=lambda c: plain(names.get(c, str(c))),
        key=f"pf_trend_{currency}",
    )
else:
    st.caption(tables.NO_CLIENTS_HINT)
if trend_ids:
    span = trend_period(period)
    trend_view = view if span == period else pf.profitability(engine, actor, span, tenants)
    title = (
        f"Gross margin by month, {period.label}"
        if span == period
        else f"Gross margin by month, {span.label} (the period is too short for a trend)"
    )
    st.plotly_chart(
        charts.margin_trend(trend_view.monthly_for(trend_ids), currency, title=title),
        key="pf_trend_chart",
        width="stretch",
        config={"displaylogo": False},
    )

# --- table and export ---------------------------------------------------------------------------
st.subheader("All clients")
shown = tables.clients_frame(table)
st.dataframe(
    plain_table(tables.clients_display(shown)),
    hide_index=True,
    width="stretch",
    height=min(38 + 35 * len(shown), 500),
    column_config={c: st.column_config.TextColumn(c) for c in tables.MONEY_COLUMNS},
)
csv = csv_text(shown.assign(Currency=currency))
st.download_button(
    "Download CSV",
    csv,
    file_name=f"profitability-{currency}-{period.start}-{period.end}.csv",
    mime="text/csv",
    key="pf_csv",
)

# --- drill-down ---------------------------------------------------------------------------------
st.subheader("Drill down")
keys = [charts.row_key(k, c) for k, c in zip(table["row_kind"], table["client_id"], strict=True)]
labels = dict(zip(keys, table["client"], strict=True))
if state.get("pf_client") not in labels:
    state["pf_client"] = ""
choice = st.selectbox(
    "Client (or click a bar above)",
    ["", *keys],
    format_func=lambda k: "Choose a client…" if k == "" else plain(labels[k]),
    key="pf_client",
)
if choice:
    is_client = choice.isdigit()
    cid = int(choice) if is_client else None
    row_kind = figures.ROW_CLIENT if is_client else choice
    row = table[[k == choice for k in keys]].iloc[0]
    d1, d2, d3, d4 = st.columns(4)
    d1.metric("Revenue", fmt_money(row["revenue"], currency))
    d2.metric("Direct costs", fmt_money(row["direct_costs"], currency))
    d3.metric("Gross profit", fmt_money(row["gross_profit"], currency))
    d4.metric("Margin", "–" if row["margin"] is None else f"{row['margin'] * 100:.1f}%")
    if is_client:
        mon = view.monthly_for([cid])
        mon = mon[mon["currency"] == currency]
        st.plotly_chart(
            charts.monthly_bars(mon), key="pf_month_chart", width="stretch",
            config={"displaylogo": False},
        )  # fmt: skip
        st.dataframe(tables.monthly_frame(mon), hide_index=True, width="stretch")
    lines = pf.drill_down(engine, actor, period, cur_tenants, client_id=cid, row_kind=row_kind)
    st.markdown(f"**The documents behind these figures** ({len(lines)} lines)")
    detail = tables.lines_frame(lines)
    xero = links()
    shown = detail.astype({"Amount": "float64"}).assign(
        **{OPEN: [xero(t, k, d) or None for t, k, d in
                  zip(lines["tenant_id"], lines["doc_type"], lines["document_id"], strict=True)]}
    )  # fmt: skip
    st.dataframe(
        plain_table(shown),
        hide_index=True,
        width="stretch",
        column_config={"Amount": st.column_config.NumberColumn(format="%.2f"), **open_column()},
    )
    st.download_button(
        "Download these lines (CSV)",
        csv_text(detail),
        file_name=f"profitability-lines-{choice}-{period.start}-{period.end}.csv",
        mime="text/csv",
        key="pf_lines_csv",
    )

# --- reconciliation -----------------------------------------------------------------------------
st.subheader("Ties to Xero?")
st.caption(
    "Our totals (all clients + unmatched revenue + unattributed costs) against Xero's own Profit "
    "and Loss report for the same period, account by account."
)
for item in pf.reconciliation(engine, actor, period, cur_tenants, view=view):
    tid, stored, rec = item.tenant_id, item.stored, item.result
    org = orgs[tid]
    with st.container(border=True):
        h1, h2 = st.columns([4, 1])
        h1.markdown(f"**{md(org.name)}**")
        if h2.button("Refresh Xero's P&L", key=f"pf_refresh_{tid}"):
            try:
                rid = reports.request_report(engine, actor, tid, period.start, period.end)
                h1.success(f"Asked the worker for Xero's P&L (request {rid}); reload shortly.")
            except (PermissionDenied, ValueError) as exc:
                h1.error(str(exc))
        if stored is None:
            st.info(
                "Xero's Profit and Loss for this period has not been fetched yet. The worker "
                "fetches the usual periods every hour; use Refresh to ask for this one."
            )
        elif rec.ties:
            st.success(
                f"Ties to the cent: revenue {fmt_money(rec.our_revenue, currency)}, direct costs "
                f"{fmt_money(rec.our_costs, currency)} (Xero's report fetched {age(stored.fetched_at)})."
            )
        else:
            st.warning(
                f"Does not tie (Xero's report fetched {age(stored.fetched_at)}): "
                f"revenue ours {fmt_money(rec.our_revenue, currency)} vs Xero "
                f"{fmt_money(rec.xero_revenue, currency)}; direct costs ours "
                f"{fmt_money(rec.our_costs, currency)} vs Xero {fmt_money(rec.xero_costs, currency)}."
            )
        if stored is not None and len(rec.rows):
            st.dataframe(
                plain_table(tables.reconciliation_frame(rec.rows)), hide_index=True, width="stretch"
            )
        if len(rec.explanations):
            st.markdown("**Documents that explain the difference**")
            st.dataframe(plain_table(rec.explanations), hide_index=True, width="stretch")
        for note in rec.notes:
            st.caption(md(note))

"""Profitability: P&L per client for partners and admins.

Definitions: README.md, "Profitability"."""

from datetime import date

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from xeroflow_core import profitability as pf
from xeroflow_core.exports import csv_text
from xeroflow_core.models.core import utc_today
from xeroflow_core.money import fmt_money
from xeroflow_core.profitability import charts, figures, tables
from xeroflow_core.profitability import choices as pc
from xeroflow_core.profitability import xero_report as reports
from xeroflow_core.profitability.definitions import DEFINITIONS
from xeroflow_core.profitability.periods import default_custom_range, period_choices, trend_period
from xeroflow_core.profitability.view import default_organisation, group_label
from xeroflow_core.sync.status import age
from xeroflow_core.text import md, plain, plain_table
from xeroflow_core.ui.guard import require_page
from xeroflow_core.ui.resources import get_engine
from xeroflow_core.ui.widgets import chart, metric_row, or_stop
from xeroflow_core.ui.xero_links import OPEN, links, open_column
from xeroflow_core.users import PermissionDenied

actor = require_page("profitability")
engine = get_engine()
state = st.session_state


def organisations() -> dict[str, pf.Org]:
    """Title and definitions, then the synced organisations; with none there is nothing to show."""
    st.title("Profitability")
    with st.expander("How these figures are made"):
        st.markdown(DEFINITIONS)
    orgs = pf.organisations(engine)
    if not orgs:
        st.info("No organisation is synced yet. An admin connects Xero on the Connect page.")
        st.stop()
    return orgs


def organisation_filter(col: DeltaGenerator, orgs: dict, today: date) -> str:
    """The organisation choice. It opens on the organisation with the most revenue last month,
    kept for the session so the widget's default never changes under a person's choice."""
    if state.get("pf_org_default") not in orgs:
        opening = or_stop(
            pf.profitability, engine, actor, pc.opening_period(today), tuple(orgs), today
        )
        state["pf_org_default"] = default_organisation(orgs, opening.revenue_by_tenant())
    options = [pc.ALL, *orgs]
    return col.selectbox(
        "Organisation",
        options,
        index=options.index(state["pf_org_default"]),
        format_func=lambda t: plain(pc.organisation_label(t, orgs)),
        key="pf_org",
    )


def period_filter(
    kind_col: DeltaGenerator, range_col: DeltaGenerator, org: pf.Org, today: date
) -> pf.Period:
    """The period kind, then the period: a date range, or one of the kind's periods (a financial
    year follows `org`'s year end)."""
    kind = kind_col.radio("Period", list(pc.PERIOD_KINDS), horizontal=True, key="pf_kind")
    core_kind = pc.PERIOD_KINDS[kind]
    if core_kind == "custom":
        picked = range_col.date_input("From – to", default_custom_range(today), key="pf_range")
        if not isinstance(picked, tuple) or len(picked) != 2:
            st.info("Pick the first and the last day of the range.")
            st.stop()
        return or_stop(pf.custom, picked[0], picked[1], refusals=(ValueError,))
    choices, index = period_choices(core_kind, today, org.fy_end_day, org.fy_end_month)
    key = {"month": "pf_month", "quarter": "pf_quarter", "financial_year": "pf_fy"}[core_kind]
    return range_col.selectbox(
        pc.period_label(core_kind, org),
        choices,
        index=index,
        format_func=pc.period_format(core_kind),
        key=key,
    )


def filters(orgs: dict[str, pf.Org]) -> tuple[str, pf.Period, tuple[str, ...], pf.View]:
    """Organisation and period, and the figures they select (the page stops on a refusal)."""
    f1, f2, f3 = st.columns([2, 2, 3])
    today = utc_today()
    org_choice = organisation_filter(f1, orgs, today)
    period = period_filter(f2, f3, pc.reference_org(org_choice, orgs), today)
    tenants = pc.tenants_for(org_choice, orgs)
    view = or_stop(pf.profitability, engine, actor, period, tenants, today)
    return org_choice, period, tenants, view


def freshness(orgs: dict[str, pf.Org], tenants: tuple[str, ...], view: pf.View) -> None:
    """How old the figures are, and what they are compared with."""
    st.caption(pc.freshness_caption(orgs, pf.last_sync(engine, tenants), view))


def currency_group(orgs: dict, org_choice: str, tenants: tuple[str, ...], view: pf.View) -> str:
    """The base-currency group to show (organisations in different currencies are never added
    together): the only one, or a choice opening on the group with the most revenue."""
    currencies = view.currencies
    if not currencies:
        st.info(f"Nothing counted in {view.period.label}: no posted invoices or direct-cost bills.")
        st.stop()
    currency = currencies[0]
    if len(currencies) > 1:
        if state.get("pf_currency") not in currencies:
            state["pf_currency"] = pc.default_currency(currencies, orgs, view.revenue_by_tenant())
        currency = st.radio(
            "Base-currency group (organisations in different currencies are never added together)",
            currencies,
            format_func=lambda c: md(group_label(c, orgs, tenants)),
            horizontal=True,
            key="pf_currency",
        )
    if org_choice == pc.ALL:
        st.subheader(f"Figures for {md(group_label(currency, orgs, tenants))} (in {currency})")
    return currency


def headline(view: pf.View, currency: str) -> None:
    """The four headline metrics against the previous period, and the totals under them."""
    head = view.headline[view.headline["currency"] == currency].iloc[0]
    metric_row(tables.headline_metrics(head, currency))
    st.caption(tables.totals_caption(totals_row(view, currency), currency))


def totals_row(view: pf.View, currency: str) -> pd.Series:
    """The currency group's totals (all clients, unmatched revenue, unattributed costs)."""
    return view.totals[view.totals["currency"] == currency].iloc[0]


def client_charts(view: pf.View, table: pd.DataFrame, currency: str) -> None:
    """Per-client bars (a click picks the drill-down client) and revenue concentration."""
    c1, c2 = st.columns([3, 2])
    with c1:
        st.subheader("Per client")
        n = st.slider("Clients shown (the rest grouped as Other)", 5, 40, 15, key="pf_topn")
        top = figures.top_n(table, n)
        event = chart(
            charts.clients_bar(top, currency), "pf_bar", on_select="rerun", selection_mode="points"
        )
        picked = charts.selected_client(event)
        if picked and picked != state.get("pf_last_pick"):
            state["pf_last_pick"] = picked
            state["pf_client"] = picked
    with c2:
        st.subheader("Revenue concentration")
        conc = figures.concentration(table, currency)
        tot = totals_row(view, currency)
        st.caption(tables.concentration_text(conc, tot["unmatched_revenue"], currency))
        if len(conc):
            chart(charts.concentration_chart(conc, currency), "pf_pareto")


def margin_trend(
    view: pf.View, table: pd.DataFrame, tenants: tuple[str, ...], currency: str
) -> None:
    """Gross margin by month for the chosen clients (a longer span when the period is short)."""
    st.subheader("Margin trend by month")
    client_rows = table[table["row_kind"] == figures.ROW_CLIENT]
    names = dict(zip(client_rows["client_id"].astype(int), client_rows["client"], strict=True))
    if not names:
        st.caption(tables.NO_CLIENTS_HINT)
        return
    trend_ids = st.multiselect(
        "Clients",
        list(names),
        default=list(names)[:5],
        format_func=lambda c: plain(names.get(c, str(c))),
        key=f"pf_trend_{currency}",
    )
    if not trend_ids:
        return
    period = view.period
    span = trend_period(period)
    trend_view = view if span == period else pf.profitability(engine, actor, span, tenants)
    title = pc.trend_title(period, span)
    chart(
        charts.margin_trend(trend_view.monthly_for(trend_ids), currency, title=title),
        "pf_trend_chart",
    )


def all_clients(table: pd.DataFrame, period: pf.Period, currency: str) -> None:
    """Every row of the table, and its CSV."""
    st.subheader("All clients")
    shown = tables.clients_frame(table)
    st.dataframe(
        plain_table(tables.clients_display(shown)),
        hide_index=True,
        width="stretch",
        height=min(38 + 35 * len(shown), 500),
        column_config={c: st.column_config.TextColumn(c) for c in tables.MONEY_COLUMNS},
    )
    st.download_button(
        "Download CSV",
        csv_text(shown.assign(Currency=currency)),
        file_name=f"profitability-{currency}-{period.start}-{period.end}.csv",
        mime="text/csv",
        key="pf_csv",
    )


def drill_choice(table: pd.DataFrame) -> str:
    """The row to drill into (a bar click chooses it too); empty until one is chosen."""
    keys = [
        charts.row_key(k, c) for k, c in zip(table["row_kind"], table["client_id"], strict=True)
    ]
    labels = dict(zip(keys, table["client"], strict=True))
    if state.get("pf_client") not in labels:
        state["pf_client"] = ""
    return st.selectbox(
        "Client (or click a bar above)",
        ["", *keys],
        format_func=lambda k: "Choose a client…" if k == "" else plain(labels[k]),
        key="pf_client",
    )


def drill_down(
    view: pf.View, table: pd.DataFrame, cur_tenants: tuple[str, ...], currency: str
) -> None:
    """One row's figures, its months (for a client) and the document lines behind it."""
    st.subheader("Drill down")
    choice = drill_choice(table)
    if not choice:
        return
    target = pc.drill_target(choice)
    row = table[
        [
            charts.row_key(k, c) == choice
            for k, c in zip(table["row_kind"], table["client_id"], strict=True)
        ]
    ].iloc[0]
    metric_row(
        [
            {"label": "Revenue", "value": fmt_money(row["revenue"], currency)},
            {"label": "Direct costs", "value": fmt_money(row["direct_costs"], currency)},
            {"label": "Gross profit", "value": fmt_money(row["gross_profit"], currency)},
            {"label": "Margin", "value": pc.margin_text(row["margin"])},
        ]
    )
    if target.is_client:
        mon = view.monthly_for([target.client_id])
        mon = mon[mon["currency"] == currency]
        chart(charts.monthly_bars(mon), "pf_month_chart")
        st.dataframe(tables.monthly_frame(mon), hide_index=True, width="stretch")
    document_lines(view.period, cur_tenants, target, choice)


def document_lines(
    period: pf.Period, tenants: tuple[str, ...], target: pc.DrillTarget, choice: str
) -> None:
    """The documents behind a drilled row, each with a link to it in Xero, and their CSV."""
    lines = pf.drill_down(
        engine, actor, period, tenants, client_id=target.client_id, row_kind=target.row_kind
    )
    st.markdown(f"**The documents behind these figures** ({len(lines)} lines)")
    detail = tables.lines_frame(lines)
    xero = links()
    shown = detail.astype({"Amount": "float64"}).assign(
        **{
            OPEN: [
                xero(t, k, d) or None
                for t, k, d in zip(
                    lines["tenant_id"], lines["doc_type"], lines["document_id"], strict=True
                )
            ]
        }
    )
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


def ties_to_xero(orgs: dict, view: pf.View, cur_tenants: tuple[str, ...], currency: str) -> None:
    """Our totals against Xero's own Profit and Loss report, one box per organisation."""
    st.subheader("Ties to Xero?")
    st.caption(
        "Our totals (all clients + unmatched revenue + unattributed costs) against Xero's own "
        "Profit and Loss report for the same period, account by account."
    )
    for item in pf.reconciliation(engine, actor, view.period, cur_tenants, view=view):
        with st.container(border=True):
            organisation_tie(orgs[item.tenant_id], item, view.period, currency)


def organisation_tie(
    org: pf.Org, item: pf.OrgReconciliation, period: pf.Period, currency: str
) -> None:
    """One organisation's verdict, its Refresh button, and the accounts and documents behind it."""
    tid, stored, rec = item.tenant_id, item.stored, item.result
    h1, h2 = st.columns([4, 1])
    h1.markdown(f"**{md(org.name)}**")
    if h2.button("Refresh Xero's P&L", key=f"pf_refresh_{tid}"):
        try:
            rid = reports.request_report(engine, actor, tid, period.start, period.end)
            h1.success(f"Asked the worker for Xero's P&L (request {rid}); reload shortly.")
        except (PermissionDenied, ValueError) as exc:
            h1.error(str(exc))
    level, message = pc.verdict(age(stored.fetched_at) if stored else None, rec, currency)
    {"info": st.info, "success": st.success, "warning": st.warning}[level](message)
    if stored is not None and len(rec.rows):
        st.dataframe(
            plain_table(tables.reconciliation_frame(rec.rows)), hide_index=True, width="stretch"
        )
    if len(rec.explanations):
        st.markdown("**Documents that explain the difference**")
        st.dataframe(plain_table(rec.explanations), hide_index=True, width="stretch")
    for note in rec.notes:
        st.caption(md(note))


orgs = organisations()
org_choice, period, tenants, view = filters(orgs)
freshness(orgs, tenants, view)
currency = currency_group(orgs, org_choice, tenants, view)
table = view.table[view.table["currency"] == currency]
cur_tenants = pc.currency_tenants(tenants, orgs, currency)
headline(view, currency)
client_charts(view, table, currency)
margin_trend(view, table, tenants, currency)
all_clients(table, period, currency)
drill_down(view, table, cur_tenants, currency)
ties_to_xero(orgs, view, cur_tenants, currency)

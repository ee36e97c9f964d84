"""The Profitability page's choices as plain functions: which period opens, which organisations
a filter covers, which base-currency group shows first, and the words of the captions and the
"Ties to Xero?" verdict. The page only draws what these return, so the unit tests read the rules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from xeroflow_core.money import fmt_money
from xeroflow_core.profitability import figures
from xeroflow_core.profitability.periods import Period, period_choices
from xeroflow_core.profitability.reconcile import Reconciliation
from xeroflow_core.profitability.view import Org, View
from xeroflow_core.sync.status import age
from xeroflow_core.text import md

ALL = "__all__"  # the "All organisations" choice of the organisation filter

# the period radio's labels, in order, and the periods module's kind for each ("custom" is drawn
# as a date range, not a list of periods)
PERIOD_KINDS = {
    "Month": "month",
    "Quarter": "quarter",
    "Financial year": "financial_year",
    "Custom range": "custom",
}


def opening_period(today: date) -> Period:
    """The period the organisation default is judged on: the month choice's default (last
    month), so the page opens on the book a partner reads first whatever the period radio says."""
    months, i = period_choices("month", today)
    return months[i]


def organisation_label(choice: str, orgs: Mapping[str, Org]) -> str:
    """How the organisation filter names a choice (the name is raw text from Xero)."""
    return "All organisations" if choice == ALL else orgs[choice].name


def tenants_for(choice: str, orgs: Mapping[str, Org]) -> tuple[str, ...]:
    """The organisations a filter choice covers: every one for "All organisations"."""
    return tuple(orgs) if choice == ALL else (choice,)


def reference_org(choice: str, orgs: Mapping[str, Org]) -> Org:
    """The organisation whose financial year the period list follows: the chosen one, or with
    "All organisations" the first by name."""
    return orgs[choice] if choice != ALL else next(iter(orgs.values()))


def period_label(kind: str, org: Org) -> str:
    """The label of the period list: a financial year names whose year it is (markdown-safe)."""
    if kind != "financial_year":
        return {v: k for k, v in PERIOD_KINDS.items()}[kind]
    return (
        f"Financial year (ends {org.fy_end_day} {date(2000, org.fy_end_month, 1):%B}, "
        f"{md(org.name)})"
    )


def period_format(kind: str) -> Callable[[Period], str]:
    """How the period list shows one period: a financial year with its dates, else its label."""
    if kind == "financial_year":
        return lambda p: f"{p.label} ({p.start:%d %b %Y} – {p.end:%d %b %Y})"
    return lambda p: p.label


def freshness_caption(
    orgs: Mapping[str, Org],
    synced: Mapping[str, datetime | None],
    view: View,
    now: datetime | None = None,
) -> str:
    """When each organisation last synced, the period's dates and what it is compared with."""
    ages = " · ".join(
        f"{md(orgs[t].name)}: {age(w, now) if w else 'never synced'}" for t, w in synced.items()
    )
    compared = (
        f" · {view.comparison_note}"
        if view.comparison_note
        else f" vs {view.previous.label or view.previous.start}"
    )
    return (
        f"Data as of the last sync: {ages} · {view.period.start:%d %b %Y} – "
        f"{view.period.end:%d %b %Y}{compared}"
    )


def group_revenue(
    currencies: list[str], orgs: Mapping[str, Org], revenue: Mapping[str, Decimal]
) -> dict[str, Decimal]:
    """Each base-currency group's revenue (organisations in one currency added together)."""
    return {
        c: sum((r for t, r in revenue.items() if orgs[t].base_currency == c), start=Decimal(0))
        for c in currencies
    }


def default_currency(
    currencies: list[str], orgs: Mapping[str, Org], revenue: Mapping[str, Decimal]
) -> str:
    """The currency group shown first: the one with the most revenue; on a tie, the first
    currency in alphabetical order."""
    by_group = group_revenue(currencies, orgs, revenue)
    return max(currencies, key=lambda c: (by_group[c], c == currencies[0]))


def currency_tenants(
    tenants: tuple[str, ...], orgs: Mapping[str, Org], currency: str
) -> tuple[str, ...]:
    """The organisations of one base-currency group (drill-down and reconciliation run on it)."""
    return tuple(t for t in tenants if orgs[t].base_currency == currency)


def trend_title(period: Period, span: Period) -> str:
    """The margin trend's title; `span` differs from `period` when the period is too short."""
    if span == period:
        return f"Gross margin by month, {period.label}"
    return f"Gross margin by month, {span.label} (the period is too short for a trend)"


@dataclass(frozen=True)
class DrillTarget:
    """What a drill-down choice means: one client (its id), or a row such as Unmatched."""

    client_id: int | None
    row_kind: str

    @property
    def is_client(self) -> bool:
        return self.client_id is not None


def drill_target(choice: str) -> DrillTarget:
    """A drill-down key (charts.row_key) as the client id or the row kind it names."""
    if choice.isdigit():
        return DrillTarget(int(choice), figures.ROW_CLIENT)
    return DrillTarget(None, choice)


def margin_text(margin: Decimal | None) -> str:
    """A margin as the drill-down metric shows it ("–" when there is no revenue)."""
    return "–" if margin is None else f"{margin * 100:.1f}%"


def verdict(fetched: str | None, rec: Reconciliation, currency: str) -> tuple[str, str]:
    """("info" | "success" | "warning", message): whether one organisation's figures tie to
    Xero's P&L; `fetched` says how long ago Xero's report was fetched ("3 min ago"; None: not
    fetched yet)."""
    if fetched is None:
        return "info", (
            "Xero's Profit and Loss for this period has not been fetched yet. The worker "
            "fetches the usual periods every hour; use Refresh to ask for this one."
        )
    if rec.ties:
        return "success", (
            f"Ties to the cent: revenue {fmt_money(rec.our_revenue, currency)}, direct costs "
            f"{fmt_money(rec.our_costs, currency)} (Xero's report fetched {fetched})."
        )
    return "warning", (
        f"Does not tie (Xero's report fetched {fetched}): "
        f"revenue ours {fmt_money(rec.our_revenue, currency)} vs Xero "
        f"{fmt_money(rec.xero_revenue, currency)}; direct costs ours "
        f"{fmt_money(rec.our_costs, currency)} vs Xero {fmt_money(rec.xero_costs, currency)}."
    )

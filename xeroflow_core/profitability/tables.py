"""The Profitability page's tables as people read them: rounded to the cent, named columns.

Pure pandas over `view`'s frames (figures stay unrounded Decimal until here)."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from xeroflow_core.money import fmt_money, round_money

MONEY_COLUMNS = ("Revenue", "Direct costs", "Gross profit", "Margin %")
NONE = "—"
NO_CLIENTS_HINT = "No clients yet: link contacts in the Unmatched Queue."
# Xero's document types and account types as a partner reads them
DOC_LABELS = {
    "ACCREC": "Invoice",
    "ACCPAY": "Bill",
    "ACCRECCREDIT": "Credit note",
    "ACCPAYCREDIT": "Supplier credit note",
    "RECEIPT": "Receipt",
}
ACCOUNT_TYPES = {
    "REVENUE": "Revenue",
    "SALES": "Sales",
    "OTHERINCOME": "Other income",
    "DIRECTCOSTS": "Direct costs",
    "EXPENSE": "Expense",
    "OVERHEADS": "Overheads",
}


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def concentration_text(conc: pd.DataFrame, unmatched_revenue: Decimal, currency: str) -> str:
    """The sentence over the concentration chart: how many of the largest clients bring 80%
    of the clients' revenue and the share they really bring; when no revenue is linked to a
    client, where it is."""
    if not len(conc):
        if unmatched_revenue:
            return (
                f"Revenue of {fmt_money(unmatched_revenue, currency)} is not linked to clients "
                "yet: link its contacts to clients in the Unmatched Queue."
            )
        return "No revenue in this period."
    k = len(conc)
    for rank, cum in zip(conc["rank"], conc["cumulative_share"], strict=True):
        if cum is not None and cum >= Decimal("0.8"):
            k = int(rank)
            break
    share = conc["cumulative_share"].iloc[k - 1]
    pct = f"{share * 100:.0f}%"
    who = "The top client brings" if k == 1 else f"The top {k} clients bring"
    return f"{who} {pct} of the clients' revenue ({plural(len(conc), 'client')} with revenue)."


def totals_caption(tot: pd.Series, currency: str) -> str:
    """The line under the headline: how many clients, what is not linked to one."""
    return (
        f"{plural(int(tot['clients']), 'client')} · unmatched revenue "
        f"{fmt_money(tot['unmatched_revenue'], currency)} · unattributed costs "
        f"{fmt_money(tot['unattributed_costs'], currency)}"
    )


def _pct(v: Decimal | None) -> Decimal | None:
    return None if v is None else round_money(v * 100)


def change_text(value: Decimal | None, pct: Decimal | None) -> str | None:
    """A metric's change against the previous period: "1,234.00 (+5.0%)", None when unknown."""
    if value is None:
        return None
    text = fmt_money(value)
    return f"{text} ({pct * 100:+.1f}%)" if pct is not None else text


def clients_frame(table: pd.DataFrame) -> pd.DataFrame:
    """One row per client (and Unmatched / Unattributed), rounded Decimal: the table and CSV."""
    return pd.DataFrame(
        {
            "Client": table["client"],
            "Revenue": [round_money(v) for v in table["revenue"]],
            "Direct costs": [round_money(v) for v in table["direct_costs"]],
            "Gross profit": [round_money(v) for v in table["gross_profit"]],
            "Margin %": [_pct(v) for v in table["margin"]],
        }
    )


def _missing(v: object) -> bool:
    return v is None or v is pd.NA or v != v  # noqa: PLR0124 - NaN is not equal to itself


def clients_display(shown: pd.DataFrame) -> pd.DataFrame:
    """`clients_frame` as text for the screen: money with thousands separators and 2 places,
    margin as a percentage, "—" where there is none (the CSV keeps the exact Decimals)."""
    out = shown.copy()
    for col in MONEY_COLUMNS[:3]:
        out[col] = [NONE if _missing(v) else fmt_money(v) for v in shown[col]]
    out["Margin %"] = [NONE if _missing(v) else f"{v:.1f}%" for v in shown["Margin %"]]
    return out


def monthly_frame(mon: pd.DataFrame) -> pd.DataFrame:
    """One client's months, as floats for display."""
    return pd.DataFrame(
        {
            "Month": mon["month"],
            "Revenue": [float(round_money(v)) for v in mon["revenue"]],
            "Direct costs": [float(round_money(v)) for v in mon["direct_costs"]],
            "Gross profit": [float(round_money(v)) for v in mon["gross_profit"]],
            "Margin %": [None if v is None else float(_pct(v)) for v in mon["margin"]],
        }
    )


def lines_frame(lines: pd.DataFrame) -> pd.DataFrame:
    """The drill-down's document lines, with why each one is there (rounded Decimal amounts)."""
    return pd.DataFrame(
        {
            "Date": lines["date"],
            "Document": [
                f"{DOC_LABELS.get(t, t)} {n}"
                for t, n in zip(lines["doc_type"], lines["number"].astype(str), strict=True)
            ],
            "Contact": lines["contact"],
            "Account": lines["account_code"],
            "Description": lines["description"],
            "Amount": [round_money(v) for v in lines["amount"]],
            "Counts as": lines["category"].map({"revenue": "revenue", "cost": "direct cost"}),
            "Why it is here": lines["why"],
        }
    )


def reconciliation_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """A reconciliation's accounts: ours against Xero's, formatted."""
    return pd.DataFrame(
        {
            "Account": rows["code"] + " " + rows["account"],
            "Type": [ACCOUNT_TYPES.get(t, str(t).title()) for t in rows["type"]],
            "XeroFlow": [fmt_money(v) for v in rows["ours"]],
            "Xero": [fmt_money(v) for v in rows["xero"]],
            "Difference": [fmt_money(v) for v in rows["difference"]],
            "Ties": ["yes" if t else "no" for t in rows["ties"]],
        }
    )


def headline_metrics(head: pd.Series, currency: str) -> list[dict]:
    """The four headline metrics (keyword arguments of `st.metric`) of one currency's headline
    row: value, change against the previous period, and what it means."""
    mg, mg_change = head["margin"], head["margin_change"]
    return [
        {
            "label": f"Revenue ({currency})",
            "value": fmt_money(head["revenue"]),
            "delta": change_text(head["revenue_change"], head["revenue_change_pct"]),
            "help": "vs the previous period",
        },
        {
            "label": f"Direct costs ({currency})",
            "value": fmt_money(head["direct_costs"]),
            "delta": change_text(head["direct_costs_change"], head["direct_costs_change_pct"]),
            "delta_color": "inverse",
        },
        {
            "label": f"Gross profit ({currency})",
            "value": fmt_money(head["gross_profit"]),
            "delta": change_text(head["gross_profit_change"], head["gross_profit_change_pct"]),
            "help": "Before people costs: Xero keeps salaries in overheads.",
        },
        {
            "label": "Margin",
            "value": "–" if mg is None else f"{mg * 100:.1f}%",
            "delta": None if mg_change is None else f"{mg_change * 100:+.1f} pts",
        },
    ]

"""The Profitability page's tables as people read them: rounded to the cent, named columns.

Pure pandas over `view`'s frames (figures stay unrounded Decimal until here)."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from xeroflow_core.money import fmt_money, round_money

MONEY_COLUMNS = ("Revenue", "Direct costs", "Gross profit", "Margin %")


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
            "Document": lines["doc_type"] + " " + lines["number"].astype(str),
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
            "Type": rows["type"],
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

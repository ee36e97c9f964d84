"""Profitability: P&L per client (revenue, direct costs, gross profit, margin) from synced lines.

- `query`: the SQL (what counts, and the attribution rule of every line), grouped in SQL.
- `figures`: pure pandas/Decimal computations over the grouped facts.
- `periods`: month, quarter, financial year, custom range, and the previous period.
- `view`: one render's figures for the page, checked (`view_profitability`) and cached.
- `choices`: the page's choices (opening organisation, currency group, captions, verdicts).
Definitions: README.md, "Profitability". Gross profit is before people costs (Xero keeps
salaries in overheads).
"""

from xeroflow_core.profitability.figures import (
    ROW_CLIENT,
    ROW_OTHER,
    ROW_UNATTRIBUTED,
    ROW_UNMATCHED,
    client_table,
    concentration,
    margin,
    monthly,
    top_n,
    totals,
)
from xeroflow_core.profitability.periods import (
    Period,
    custom,
    default_custom_range,
    financial_year,
    month,
    period_choices,
    previous,
    quarter,
)
from xeroflow_core.profitability.query import facts, lines
from xeroflow_core.profitability.view import (
    Org,
    OrgReconciliation,
    View,
    clear_cache,
    compute,
    data_version,
    default_organisation,
    drill_down,
    group_label,
    last_sync,
    organisations,
    profitability,
    reconciliation,
)

__all__ = [
    "ROW_CLIENT",
    "ROW_OTHER",
    "ROW_UNATTRIBUTED",
    "ROW_UNMATCHED",
    "Org",
    "OrgReconciliation",
    "Period",
    "View",
    "clear_cache",
    "client_table",
    "compute",
    "concentration",
    "custom",
    "data_version",
    "default_custom_range",
    "default_organisation",
    "drill_down",
    "facts",
    "financial_year",
    "group_label",
    "last_sync",
    "lines",
    "margin",
    "month",
    "monthly",
    "organisations",
    "period_choices",
    "previous",
    "profitability",
    "quarter",
    "reconciliation",
    "top_n",
    "totals",
]

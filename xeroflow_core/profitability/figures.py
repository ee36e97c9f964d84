"""Pure computations over the grouped facts: per-client P&L, monthly series, totals, top N,
revenue concentration and the change against the previous period.

Every amount stays a Decimal; nothing here rounds (the page rounds for display only).
Organisations are grouped by base currency: figures in NZD and GBP are never added together.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

import pandas as pd

from xeroflow_core.profitability.query import RULE_UNATTRIBUTED, RULE_UNMATCHED

ZERO = Decimal(0)
ROW_CLIENT, ROW_UNMATCHED, ROW_UNATTRIBUTED, ROW_OTHER = (
    "client",
    "unmatched",
    "unattributed",
    "other",
)
LABELS = {ROW_UNMATCHED: "Unmatched revenue", ROW_UNATTRIBUTED: "Unattributed costs"}
TABLE_COLUMNS = [
    "currency",
    "row_kind",
    "client_id",
    "client",
    "revenue",
    "direct_costs",
    "gross_profit",
    "margin",
]


def dsum(values) -> Decimal:  # noqa: ANN001 - any iterable of Decimals
    """An exact Decimal sum (never through floats)."""
    return sum(values, ZERO)


SCALE = 4  # amounts have at most 4 places (Money columns; converted lines are in cents)


def to_units(amounts: pd.Series) -> pd.Series:
    """Decimals as exact integers of 1/10,000: pandas then sums them vectorised, exactly."""
    return pd.Series([int(a.scaleb(SCALE)) for a in amounts], index=amounts.index, dtype="int64")


def from_units(units) -> list[Decimal]:  # noqa: ANN001 - a Series or list of ints
    return [Decimal(int(u)).scaleb(-SCALE) for u in units]


def _summed(f: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    t = (
        f.groupby(keys, dropna=False, sort=False)[["revenue_u", "direct_costs_u"]]
        .sum()
        .reset_index()
    )
    t["revenue"] = from_units(t.pop("revenue_u"))
    t["direct_costs"] = from_units(t.pop("direct_costs_u"))
    return t


def margin(revenue: Decimal, gross_profit: Decimal) -> Decimal | None:
    """Gross profit / revenue; None when there is no revenue (a margin of nothing is no number)."""
    return None if not revenue else gross_profit / revenue


def _keyed(
    facts: pd.DataFrame, clients: Mapping[int, str], currencies: Mapping[str, str]
) -> pd.DataFrame:
    f = facts.copy()
    f["currency"] = f["tenant_id"].map(lambda t: currencies.get(t, "?"))
    has_client = f["client_id"].notna()
    f["row_kind"] = ROW_CLIENT
    f.loc[~has_client & (f["category"] == "revenue"), "row_kind"] = ROW_UNMATCHED
    f.loc[~has_client & (f["category"] == "cost"), "row_kind"] = ROW_UNATTRIBUTED
    f["client"] = [
        clients.get(int(c), f"Client {c}") if k == ROW_CLIENT else LABELS[k]
        for c, k in zip(f["client_id"], f["row_kind"], strict=True)
    ]
    units = to_units(f["amount"])
    is_rev = (f["category"] == "revenue").to_numpy()
    f["revenue_u"] = units.where(is_rev, 0)
    f["direct_costs_u"] = units.where(~is_rev, 0)
    return f


def _finish(t: pd.DataFrame) -> pd.DataFrame:
    t["gross_profit"] = [r - c for r, c in zip(t["revenue"], t["direct_costs"], strict=True)]
    t["margin"] = [margin(r, g) for r, g in zip(t["revenue"], t["gross_profit"], strict=True)]
    return t


_ORDER = {ROW_CLIENT: 0, ROW_OTHER: 1, ROW_UNMATCHED: 2, ROW_UNATTRIBUTED: 3}


def _sorted(t: pd.DataFrame) -> pd.DataFrame:
    """Clients by revenue (largest first), then Other, unmatched and unattributed rows."""
    if t.empty:
        return t
    order = t["row_kind"].map(_ORDER)
    neg_rev = [-r for r in t["revenue"]]
    t = t.assign(_o=order, _r=neg_rev).sort_values(["currency", "_o", "_r", "client"])
    return t.drop(columns=["_o", "_r"]).reset_index(drop=True)


def client_table(
    facts: pd.DataFrame, clients: Mapping[int, str], currencies: Mapping[str, str]
) -> pd.DataFrame:
    """One row per (currency, client) plus the unmatched-revenue and unattributed-cost rows:
    revenue, direct costs, gross profit and margin."""
    if facts.empty:
        return pd.DataFrame(columns=TABLE_COLUMNS)
    f = _keyed(facts, clients, currencies)
    keys = ["currency", "row_kind", "client_id", "client"]
    t = _summed(f, keys)
    return _sorted(_finish(t))[TABLE_COLUMNS]


def monthly(
    facts: pd.DataFrame,
    clients: Mapping[int, str],
    currencies: Mapping[str, str],
    months: list[str] | None = None,
    client_ids: Iterable[int] | None = None,
) -> pd.DataFrame:
    """The monthly series per (currency, client row), for every row or only `client_ids`:
    every month of `months` is present for each row, with zeros where nothing happened, so
    trend lines do not skip months."""
    cols = ["currency", "row_kind", "client_id", "client", "month", *TABLE_COLUMNS[4:]]
    if client_ids is not None:
        facts = facts[facts["client_id"].isin(list(client_ids))]
    if facts.empty:
        return pd.DataFrame(columns=cols)
    f = _keyed(facts, clients, currencies)
    keys = ["currency", "row_kind", "client_id", "client", "month"]
    t = _summed(f, keys)
    if months:
        rows = t[keys[:4]].drop_duplicates()
        grid = rows.merge(pd.DataFrame({"month": months}), how="cross")
        t = grid.merge(t, on=keys, how="left")
        for col in ("revenue", "direct_costs"):
            t[col] = [v if isinstance(v, Decimal) else ZERO for v in t[col]]
    t = _finish(t)
    return t.sort_values(["currency", "client", "month"]).reset_index(drop=True)[cols]


def totals(table: pd.DataFrame) -> pd.DataFrame:
    """Per currency: the sums of every row of the table (clients + unmatched + unattributed),
    which must equal the organisations' own totals for the same documents."""
    out = []
    for cur, t in table.groupby("currency", sort=True):
        rev, cost = dsum(t["revenue"]), dsum(t["direct_costs"])
        is_unm = t["row_kind"] == ROW_UNMATCHED
        is_una = t["row_kind"] == ROW_UNATTRIBUTED
        out.append(
            {
                "currency": cur,
                "revenue": rev,
                "direct_costs": cost,
                "gross_profit": rev - cost,
                "margin": margin(rev, rev - cost),
                "unmatched_revenue": dsum(t.loc[is_unm, "revenue"]),
                "unattributed_costs": dsum(t.loc[is_una, "direct_costs"]),
                "clients": int((t["row_kind"] == ROW_CLIENT).sum()),
            }
        )
    return pd.DataFrame(
        out,
        columns=[
            "currency",
            "revenue",
            "direct_costs",
            "gross_profit",
            "margin",
            "unmatched_revenue",
            "unattributed_costs",
            "clients",
        ],
    )


def org_totals(facts: pd.DataFrame, currencies: Mapping[str, str]) -> pd.DataFrame:
    """Per currency: revenue, direct costs, gross profit and margin of every counted line,
    whoever it belongs to (the organisations' own totals for the same documents)."""
    cols = ["currency", "revenue", "direct_costs", "gross_profit", "margin"]
    if facts.empty:
        return pd.DataFrame(columns=cols)
    f = facts.assign(currency=facts["tenant_id"].map(lambda t: currencies.get(t, "?")))
    f["revenue_u"] = 0
    f["direct_costs_u"] = 0
    units = to_units(f["amount"])
    is_rev = (f["category"] == "revenue").to_numpy()
    f["revenue_u"] = units.where(is_rev, 0)
    f["direct_costs_u"] = units.where(~is_rev, 0)
    t = _summed(f, ["currency"]).sort_values("currency").reset_index(drop=True)
    return _finish(t)[cols]


def top_n(table: pd.DataFrame, n: int = 15) -> pd.DataFrame:
    """The n largest clients by revenue in each currency, the rest summed into one "Other"
    row, then the unmatched and unattributed rows (shown, never dropped)."""
    parts = []
    for cur, t in table.groupby("currency", sort=True):
        cl = t[t["row_kind"] == ROW_CLIENT]
        rest = cl.iloc[n:]
        parts.append(cl.iloc[:n])
        if len(rest):
            rev, cost = dsum(rest["revenue"]), dsum(rest["direct_costs"])
            other = {
                "currency": cur,
                "row_kind": ROW_OTHER,
                "client_id": pd.NA,
                "client": f"Other ({len(rest)} clients)",
                "revenue": rev,
                "direct_costs": cost,
            }
            parts.append(_finish(pd.DataFrame([other])))
        parts.append(t[t["row_kind"] != ROW_CLIENT])
    if not parts:
        return table.iloc[0:0]
    return pd.concat([p for p in parts if not p.empty] or [table.iloc[0:0]], ignore_index=True)[
        TABLE_COLUMNS
    ]


def concentration(table: pd.DataFrame, currency: str) -> pd.DataFrame:
    """Clients of one currency by revenue, largest first, with each one's share of the clients'
    revenue (unmatched revenue is no client's) and the cumulative share (a Pareto curve: how much of the revenue the top k clients bring)."""
    t = table[(table["currency"] == currency) & (table["row_kind"] == ROW_CLIENT)]
    t = t[[r > 0 for r in t["revenue"]]] if len(t) else t
    t = t.assign(_r=[-r for r in t["revenue"]]).sort_values("_r").drop(columns="_r")
    total = dsum(t["revenue"])
    shares, cum, running = [], [], ZERO
    for r in t["revenue"]:
        running += r
        shares.append(r / total if total else None)
        cum.append(running / total if total else None)
    out = t[["client_id", "client", "revenue"]].reset_index(drop=True)
    out.insert(0, "rank", range(1, len(out) + 1))
    out["share"] = shares
    out["cumulative_share"] = cum
    return out


def change(current: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    """Headline figures per currency with their change against the previous period
    (absolute, and relative only when the previous figure is positive: a percentage of a zero
    or negative base means nothing)."""
    prev = {r["currency"]: r for _, r in previous.iterrows()}
    out = []
    for _, r in current.iterrows():
        p = prev.get(r["currency"])
        row = {"currency": r["currency"]}
        for col in ("revenue", "direct_costs", "gross_profit"):
            before = p[col] if p is not None else ZERO
            row[col] = r[col]
            row[f"{col}_prev"] = before
            row[f"{col}_change"] = r[col] - before
            row[f"{col}_change_pct"] = (r[col] - before) / before if before > 0 else None
        row["margin"] = r["margin"]
        row["margin_prev"] = p["margin"] if p is not None else None
        row["margin_change"] = (
            r["margin"] - row["margin_prev"]
            if r["margin"] is not None and row["margin_prev"] is not None
            else None
        )
        out.append(row)
    return pd.DataFrame(out)


RULE_TEXT = {
    "linked contact": "linked contact {name}",
    "tracking option": "tracking option {name}",
    "supplier mapped": "supplier {name} mapped to the client",
    RULE_UNMATCHED: "unmatched: contact {contact} is not linked to a client",
    RULE_UNATTRIBUTED: "unattributed: no mapped tracking option, supplier {contact} not mapped",
}


def explain(
    lines: pd.DataFrame,
    option_names: Mapping[tuple[str, str], str],
    contact_names: Mapping[tuple[str, str], str],
) -> list[str]:
    """The sentence that says why each line sits where it does ("tracking option Acme",
    "supplier Jane Smith mapped to the client", "unattributed: ...")."""
    out = []
    for t, rule, key, contact in zip(
        lines["tenant_id"], lines["rule"], lines["rule_key"], lines["contact_id"], strict=True
    ):
        cname = contact_names.get((t, contact), contact or "(none)")
        if rule == "tracking option":
            name = option_names.get((t, key), key)
        else:
            name = contact_names.get((t, key), key)
        out.append(RULE_TEXT.get(rule, rule).format(name=name, contact=cname))
    return out

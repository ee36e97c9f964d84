"""Reports/ProfitAndLoss computed from the org's own posted documents, per account.

Posted = AUTHORISED or PAID invoices and credit notes, and AUTHORISED receipts of AUTHORISED or
PAID expense claims, dated in the period (accrual basis). Each line's ex-tax amount converts to
base currency with its document's CurrencyRate (amount / rate, rounded to 2 dp per line), so
the report ties to the cent with a sum over the same lines.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from .models import Document, Line, line_net, to_base
from .msdate import ms_envelope
from .store import Org

if TYPE_CHECKING:
    from .accounting import Ctx

POSTED = ("AUTHORISED", "PAID")
# document type -> sign of a line on the account's credit side
CREDIT_SIGN = {"ACCREC": 1, "ACCPAYCREDIT": 1, "ACCPAY": -1, "ACCRECCREDIT": -1, "RECEIPT": -1}
SECTIONS = [
    ("Income", ("REVENUE", "SALES"), 1, "Total Income"),
    ("Less Cost of Sales", ("DIRECTCOSTS",), -1, "Total Cost of Sales"),
    ("Plus Other Income", ("OTHERINCOME",), 1, "Total Other Income"),
    (
        "Less Operating Expenses",
        ("EXPENSE", "OVERHEADS", "DEPRECIATN"),
        -1,
        "Total Operating Expenses",
    ),
]


def posted_documents(org: Org) -> list[Document]:
    """The documents that reach the ledger: what the P&L (and a reconciliation) sums."""
    docs = [d for d in org.invoices.items.values() if d.status in POSTED]
    docs += [d for d in org.credit_notes.items.values() if d.status in POSTED]
    for claim in org.expense_claims.items.values():
        if claim.status in POSTED:
            docs += [
                r
                for rid in claim.receipt_ids
                if (r := org.receipts.get(rid)) and r.status == "AUTHORISED"
            ]
    return docs


def credit_by_account(
    org: Org, start: date, end: date, keep: Callable[[Line], bool] | None = None
) -> dict[str, Decimal]:
    """Credits minus debits per account code over the posted lines dated in [start, end]
    (only the lines `keep` accepts, e.g. one tracking option)."""
    out: dict[str, Decimal] = defaultdict(Decimal)
    for doc in posted_documents(org):
        if start <= doc.date <= end:
            sign = CREDIT_SIGN[doc.type]
            for ln in doc.lines:
                if keep is None or keep(ln):
                    out[ln.account_code] += sign * to_base(line_net(doc, ln), doc.currency_rate)
    return out


def _tracking_columns(
    org: Org, start: date, end: date, category_id: str, option_id: str | None
) -> list[tuple[str, dict[str, Decimal]]] | None:
    """One column per option of the category, then Unassigned and Total (or one option only)."""
    cat = org.tracking.get(category_id.lower())
    if cat is None:
        return None

    def has(opt: str) -> Callable[[Line], bool]:
        return lambda ln: any(t["TrackingOptionID"] == opt for t in ln.tracking)

    if option_id:
        opt = next((o for o in cat.options if o.id == option_id.lower()), None)
        return [(opt.name, credit_by_account(org, start, end, has(opt.id)))] if opt else None
    columns = [(o.name, credit_by_account(org, start, end, has(o.id))) for o in cat.options]
    unassigned = credit_by_account(
        org, start, end, lambda ln: not any(t["TrackingCategoryID"] == cat.id for t in ln.tracking)
    )
    return columns + [("Unassigned", unassigned), ("Total", credit_by_account(org, start, end))]


def _shift(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    y += d.year
    m += 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(y, m, day)
        except ValueError:
            continue
    raise ValueError(d)


def _month_end(d: date) -> date:
    return _shift(date(d.year, d.month, 1), 1) - timedelta(days=1)


def _fmt(v: Decimal) -> str:
    return f"{v:.2f}"


def profit_and_loss(ctx: Ctx) -> Response:
    org, q = ctx.org, ctx.q
    today = ctx.sb.clock.today()
    try:
        start = (
            date.fromisoformat(q["fromDate"])
            if q.get("fromDate")
            else date(today.year, today.month, 1)
        )
        end = date.fromisoformat(q["toDate"]) if q.get("toDate") else _month_end(start)
        periods = int(q.get("periods") or 0)
    except ValueError:
        from .responses import json_response, validation_exception

        return json_response(validation_exception([]) | {"Message": "Invalid date or periods"}, 400)
    step = {"MONTH": 1, "QUARTER": 3, "YEAR": 12}.get(str(q.get("timeframe", "MONTH")).upper(), 1)
    columns = [(start, end)]
    for i in range(1, min(periods, 11) + 1):
        s = _shift(start, -step * i)
        columns.append(
            (s, _month_end(_shift(s, step - 1)) if start.day == 1 else _shift(end, -step * i))
        )
    labels = [f"{e:%d %b %y}" for _, e in columns]
    sums = [credit_by_account(org, s, e) for s, e in columns]
    if q.get("trackingCategoryID"):
        split = _tracking_columns(
            org, start, end, q["trackingCategoryID"], q.get("trackingOptionID")
        )
        if split is None:
            from .responses import not_found

            return not_found()
        labels, sums = [label for label, _ in split], [v for _, v in split]
    accounts = sorted(org.accounts.values(), key=lambda a: a.code)
    rows: list[dict[str, Any]] = [
        {
            "RowType": "Header",
            "Cells": [{"Value": ""}] + [{"Value": label} for label in labels],
        }
    ]
    totals: dict[str, list[Decimal]] = {}
    for title, types, sign, total_label in SECTIONS:
        section_rows = []
        section_total = [Decimal("0")] * len(sums)
        for acc in accounts:
            if acc.type not in types:
                continue
            values = [sign * s.get(acc.code, Decimal("0")) for s in sums]
            if not any(values):
                continue
            attrs = [{"Value": acc.id, "Id": "account"}]
            section_rows.append(
                {
                    "RowType": "Row",
                    "Cells": [{"Value": acc.name, "Attributes": attrs}]
                    + [{"Value": _fmt(v), "Attributes": attrs} for v in values],
                }
            )
            section_total = [a + b for a, b in zip(section_total, values, strict=True)]
        totals[title] = section_total
        if section_rows:
            section_rows.append(
                {
                    "RowType": "SummaryRow",
                    "Cells": [{"Value": total_label}] + [{"Value": _fmt(v)} for v in section_total],
                }
            )
            rows.append({"RowType": "Section", "Title": title, "Rows": section_rows})
        if title == "Less Cost of Sales":
            gross = [a - b for a, b in zip(totals["Income"], section_total, strict=True)]
            rows.append(
                {
                    "RowType": "Section",
                    "Title": "",
                    "Rows": [
                        {
                            "RowType": "Row",
                            "Cells": [{"Value": "Gross Profit"}]
                            + [{"Value": _fmt(v)} for v in gross],
                        }
                    ],
                }
            )
    net = [
        g + o - x
        for g, o, x in zip(
            gross, totals["Plus Other Income"], totals["Less Operating Expenses"], strict=True
        )
    ]
    rows.append(
        {
            "RowType": "Section",
            "Title": "",
            "Rows": [
                {
                    "RowType": "Row",
                    "Cells": [{"Value": "Net Profit"}] + [{"Value": _fmt(v)} for v in net],
                }
            ],
        }
    )
    report = {
        "ReportID": "ProfitAndLoss",
        "ReportName": "Profit and Loss",
        "ReportType": "ProfitAndLoss",
        "ReportTitles": [
            "Profit & Loss",
            org.name,
            f"{start.day} {start:%B %Y} to {end.day} {end:%B %Y}",
        ],
        "ReportDate": f"{today.day} {today:%B %Y}",
        "UpdatedDateUTC": ms_envelope(ctx.sb.now()),
        "Fields": [],
        "Rows": rows,
    }
    return ctx.ok({"Reports": [report]})

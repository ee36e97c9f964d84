"""What the EOM Review page shows, as plain functions: the month's counts, a draft's row and
notes, which drafts are ready to push, what the latest push is doing, whether a draft may be
edited, and the account and tax choices of its lines. The page only draws what these return."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pandas as pd

from xeroflow_core.eom.review import EDITABLE_STATES, DraftView, sentence
from xeroflow_core.models import Account, TaxRate
from xeroflow_core.models.sync import WorkRequest
from xeroflow_core.money import fmt_money
from xeroflow_core.text import md, plain

SHOWN_REFERENCES = 10  # references listed under "All N ready" before "and N more"
LINE_COLUMNS = [
    "id",
    "source",
    "description",
    "quantity",
    "unit_amount",
    "account_code",
    "tax_type",
    "line_amount",
    "tax",
]


def unit_text(value: Decimal) -> str:
    """A unit price as a person writes it: 5000.00, 12.3456 (Xero keeps up to 4 places)."""
    d = Decimal(value).normalize()
    return f"{d:.2f}" if d.as_tuple().exponent >= -2 else f"{d:f}"


def month_metrics(drafts: Sequence[DraftView]) -> list[dict[str, Any]]:
    """The month's four counts (keyword arguments of `st.metric`); excluded drafts are not in
    the total."""
    total = sum((d.total for d in drafts if d.state != "excluded"), start=0)
    return [
        {"label": "Drafts", "value": len(drafts)},
        {"label": "With problems", "value": sum(1 for d in drafts if d.problems)},
        {"label": "In Xero", "value": sum(1 for d in drafts if d.xero_invoice_id)},
        {"label": "Total", "value": fmt_money(total)},
    ]


def draft_row(d: DraftView) -> dict[str, Any]:
    """One row of the month's table (a total shows its currency once a contact is chosen)."""
    return {
        "Client": d.client_name,
        "Reference": d.reference,
        "Total": fmt_money(d.total, d.currency) if d.contact_name else fmt_money(d.total),
        "State": d.state,
        "Problems": len(d.problems) + (1 if d.error else 0),
        "Xero number": d.xero_invoice_number,
        "Xero status": d.xero_status,
        "Link": d.xero_url or None,
    }


def draft_errors(d: DraftView) -> list[str]:
    """What stops a draft, as sentences: its problems, then the last push's error."""
    return [sentence(p) for p in d.problems] + ([sentence(d.error)] if d.error else [])


def needs_notes(d: DraftView) -> bool:
    """Whether the draft gets a box under the table (errors, warnings, or held by a pusher)."""
    return bool(draft_errors(d) or d.warnings or d.held)


def month_pushes(requests: Iterable[WorkRequest], month: date) -> list[WorkRequest]:
    """The push requests of `month` among `requests` (newest first stays newest first)."""
    return [r for r in requests if (r.params or {}).get("month") == f"{month:%Y-%m}"]


def push_in_flight(pushes: Sequence[WorkRequest]) -> bool:
    """Whether the month's latest push is still waiting or running."""
    return any(r.status in ("pending", "running") for r in pushes[:1])


@dataclass(frozen=True)
class PushState:
    """The latest push in words ("info" | "error" | "warning" | "success"), and whether the page
    redraws once for it (a finished push changed the drafts' states)."""

    level: str
    text: str
    redraw: bool = False


def push_state(latest: WorkRequest, now: datetime) -> PushState:
    """What the month's latest push is doing: waiting for a time, running, failed or done (a
    finished push that stopped early or failed drafts is a warning)."""
    if latest.status == "pending" and latest.not_before and latest.not_before > now:
        return PushState(
            "info",
            f"Push #{latest.id} waits until {latest.not_before:%H:%M:%S} UTC (Xero asked "
            "to wait, or another pusher holds a draft); the worker pushes the rest then.",
        )
    if latest.status in ("pending", "running"):
        return PushState(
            "info",
            f"Push #{latest.id} {latest.status}: the worker is sending the invoices to Xero…",
        )
    if latest.status == "failed":
        return PushState("error", md(f"Push #{latest.id} failed: {latest.error}"))
    res = latest.result or {}
    level = "warning" if res.get("stopped") or res.get("failed") else "success"
    text = md(f"Push #{latest.id} finished: {res.get('summary') or 'done'}")
    return PushState(level, text, True)


def ready_to_push(drafts: Iterable[DraftView]) -> list[DraftView]:
    """The drafts the Push button may send: approvable ones and those already approved."""
    return [d for d in drafts if d.can_approve or d.state == "approved"]


def ready_caption(ready: Sequence[DraftView]) -> str:
    """The references "All N ready" would push (the first few, then how many more)."""
    if not ready:
        return "No draft is ready: fix the problems listed above first."
    refs = [d.reference for d in ready[:SHOWN_REFERENCES]]
    more = len(ready) - len(refs)
    return md(", ".join(refs) + (f" and {more} more" if more else ""))


def draft_caption(d: DraftView) -> str:
    """The draft's dates, amounts mode, currency and state, under its picker."""
    return (
        f"Invoice date {d.invoice_date} · due {d.due_date or 'organisation default'} · "
        f"amounts {d.line_amount_types} · {d.currency} · state {d.state}"
    )


def open_in_xero_label(d: DraftView) -> str:
    """The label of the draft's "Open in Xero" button."""
    return f"Open in Xero ({d.xero_invoice_number or 'draft'}, {d.xero_status or 'pushed'})"


def editable(d: DraftView, can_push: bool) -> bool:
    """Whether the draft's lines may be edited here: by someone who pushes, before it is sent."""
    return can_push and d.state in EDITABLE_STATES


@dataclass(frozen=True)
class LineChoices:
    """The account and tax choices of a draft's lines: the organisation's revenue accounts and
    sales tax rates (as Billing offers them), plus any code a line already holds."""

    account_label: dict[str, str]
    tax_label: dict[str, str]
    account_codes: list[str]
    tax_types: list[str]

    def add_defaults(self, d: DraftView) -> tuple[int, int]:
        """The index of the first line's account and tax rate in "Add a one-off line" (0 when
        the draft has no line, or its code is not on offer)."""
        first = d.lines[0] if d.lines else None
        accounts, taxes = list(self.account_label), list(self.tax_label)
        a = accounts.index(first.account_code) if first and first.account_code in accounts else 0
        t = taxes.index(first.tax_type) if first and first.tax_type in taxes else 0
        return a, t


def line_choices(
    d: DraftView, accounts: Iterable[Account], taxes: Iterable[TaxRate]
) -> LineChoices:
    """The choices for `d`'s lines from its organisation's accounts and tax rates."""
    account_label = {a.code: plain(f"{a.code} · {a.name}") for a in accounts}
    tax_label = {t.tax_type: plain(f"{t.name} ({t.effective_rate.normalize()}%)") for t in taxes}
    return LineChoices(
        account_label,
        tax_label,
        list(dict.fromkeys([*account_label, *(ln.account_code for ln in d.lines)])),
        list(dict.fromkeys([*tax_label, *(ln.tax_type for ln in d.lines)])),
    )


def lines_frame(d: DraftView) -> pd.DataFrame:
    """The draft's lines as the editor shows them (amounts as text, quantity as a number)."""
    return pd.DataFrame(
        [
            {
                "id": ln.id,
                "source": ln.source,
                "description": ln.description,
                "quantity": float(ln.quantity),
                "unit_amount": unit_text(ln.unit_amount),
                "account_code": ln.account_code,
                "tax_type": ln.tax_type,
                "line_amount": fmt_money(ln.line_amount),
                "tax": fmt_money(ln.tax_amount),
            }
            for ln in d.lines
        ],
        columns=LINE_COLUMNS,
    )


def edited_rows(edited: pd.DataFrame) -> list[dict]:
    """The editor's rows for `review.update_lines` (empty cells as None)."""
    return [
        {k: (None if pd.isna(v) else v) for k, v in row.items()}
        for row in edited.to_dict("records")
    ]

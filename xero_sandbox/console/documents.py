"""Invoices and bills in the console: lists with search and status filters, a document's page
with Approve, Void, Delete and Record payment, and a new sales invoice. Every change goes
through bookkeeper.py, i.e. the Accounting API's own write path."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.requests import Request

from .. import bookkeeper as bk
from ..models import Document
from ..msdate import iso_z, parse_body_date
from ..state import Sandbox
from ..store import Org
from .base import NotThere, org_of, token
from .html import Html, esc, field, form, join, link, money, select, table, url

PER_PAGE = 50
KINDS = {"ACCREC": "Invoices", "ACCPAY": "Bills"}
STATUSES = ["DRAFT", "SUBMITTED", "AUTHORISED", "PAID", "VOIDED", "DELETED"]
LABELS = {"ACCREC": "Invoice", "ACCPAY": "Bill", "ACCRECCREDIT": "Credit note",
          "ACCPAYCREDIT": "Supplier credit note"}  # fmt: skip


def _kind(request: Request) -> str:
    return "ACCPAY" if request.query_params.get("type") == "ACCPAY" else "ACCREC"


def contact_name(org: Org, contact_id: str) -> str:
    c = org.contacts.get(contact_id)
    return c.name if c else ""


def document_url(org: Org, doc: Document) -> str:
    part = "credit-notes" if doc.type.endswith("CREDIT") else "invoices"
    return url(f"/{org.tenant_id}/{part}/{doc.id}")


def list_title(sb: Sandbox, request: Request) -> str:
    return f"{KINDS[_kind(request)]} · {org_of(sb, request).name}"


def list_page(sb: Sandbox, request: Request) -> Html:
    org, q = org_of(sb, request), request.query_params
    kind, status = _kind(request), q.get("status", "")
    term = q.get("q", "").strip().lower()
    try:
        number = max(1, int(q.get("page") or 1))
    except ValueError:
        number = 1
    docs = [
        d
        for d in list(org.invoices.items.values())
        if d.type == kind
        and (not status or d.status == status)
        and (
            not term
            or term in d.number.lower()
            or term in d.reference.lower()
            or term in contact_name(org, d.contact_id).lower()
        )
    ]
    docs.sort(key=lambda d: (d.date, d.number), reverse=True)
    shown = docs[(number - 1) * PER_PAGE : number * PER_PAGE]
    path = f"/{org.tenant_id}/invoices"
    tabs = join(
        [link(url(path, type=kind, q=q.get("q")), "All"), " "]
        + [x for s in STATUSES for x in (link(url(path, type=kind, status=s), s.title()), " ")]
    )
    search = Html(
        f'<form method="get" action="{esc(url(path))}"><input type="hidden" name="type" '
        f'value="{esc(kind)}">{field("Search", "q", q.get("q", ""), placeholder="number, reference or contact")}'
        f"{select('Status', 'status', [('', 'Any')] + [(s, s.title()) for s in STATUSES], status)}"
        " <button type=submit>Search</button></form>"
    )
    rows = [
        [
            link(document_url(org, d), d.number or "(no number)"),
            d.reference,
            contact_name(org, d.contact_id),
            d.date.isoformat(),
            d.due_date.isoformat() if d.due_date else "",
            d.status,
            money(d.total, d.currency_code),
            money(d.amount_due, d.currency_code),
        ]
        for d in shown
    ]
    pages = -(-len(docs) // PER_PAGE)
    more = []
    if number > 1:
        more.append(
            link(url(path, type=kind, status=status, q=q.get("q"), page=number - 1), "‹ Newer")
        )
    if number < pages:
        more.append(
            link(url(path, type=kind, status=status, q=q.get("q"), page=number + 1), "Older ›")
        )
    headers = ["Number", "Reference", "Contact", "Date", "Due", "Status", "Total", "Due amount"]
    return join(
        [
            Html('<nav class="tabs">'), tabs, Html("</nav>"), search,
            Html(f'<p class="muted">{len(docs)} found · page {number} of {max(1, pages)}</p>'),
            table(headers, rows, numeric=(6, 7)) if rows else Html("<p>Nothing matches.</p>"),
            Html("<p>"), join(x for m in more for x in (m, " ")), Html("</p>"),
        ]
    )  # fmt: skip


def _doc(org: Org, request: Request, credit: bool) -> Document:
    coll = org.credit_notes if credit else org.invoices
    doc = coll.get(str(request.path_params["id"]).lower())
    if doc is None:
        raise NotThere("No such document in this organisation.")
    return doc


def doc_title(sb: Sandbox, request: Request) -> str:
    org = org_of(sb, request)
    doc = _doc(org, request, "credit-notes" in request.url.path)
    return f"{LABELS.get(doc.type, doc.type)} {doc.number or '(draft)'}"


def doc_page(sb: Sandbox, request: Request) -> Html:
    org = org_of(sb, request)
    credit = "credit-notes" in request.url.path
    doc = _doc(org, request, credit)
    cur = doc.currency_code
    facts = table(
        ["Status", "Contact", "Date", "Due", "Reference", "Currency", "UpdatedDateUTC"],
        [[
            Html(f'<strong id="status">{esc(doc.status)}</strong>'),
            link(url(f"/{org.tenant_id}/contacts/{doc.contact_id}"), contact_name(org, doc.contact_id)),
            doc.date.isoformat(), doc.due_date.isoformat() if doc.due_date else "",
            doc.reference, cur, iso_z(doc.updated),
        ]],
    )  # fmt: skip
    lines = table(
        ["Description", "Quantity", "Unit amount", "Account", "Tax", "Amount"],
        [
            [ln.description, f"{ln.quantity:f}", f"{ln.unit_amount:f}", ln.account_code,
             ln.tax_type, money(ln.line_amount)]
            for ln in doc.lines
        ],
        numeric=(1, 2, 5),
    )  # fmt: skip
    totals = table(
        ["Sub-total", "Tax", "Total", "Paid", "Due"],
        [[money(doc.sub_total, cur), money(doc.total_tax, cur), money(doc.total, cur),
          money(doc.amount_paid, cur), Html(f'<span id="due">{esc(money(doc.amount_due, cur))}</span>')]],
        numeric=range(5),
    )  # fmt: skip
    parts: list[Any] = [Html('<div class="panel">'), facts, Html("</div>"), lines, totals]
    if doc.payments:
        parts += [Html("<h2>Payments</h2>"), table(
            ["Date", "Amount"], [[p.date.isoformat(), money(p.amount, cur)] for p in doc.payments],
            numeric=(1,),
        )]  # fmt: skip
    if not credit:
        parts.append(_actions(sb, org, doc))
    return join(parts)


def _actions(sb: Sandbox, org: Org, doc: Document) -> Html:
    base, csrf = url(f"/{org.tenant_id}/invoices/{doc.id}"), token(sb)
    out: list[Any] = [Html('<div class="panel" id="actions">')]
    if doc.status in ("DRAFT", "SUBMITTED"):
        out += [
            form(f"{base}/approve", csrf, [], "Approve", inline=True), " ",
            form(f"{base}/delete", csrf, [], "Delete", "danger", inline=True),
        ]  # fmt: skip
    if doc.status == "AUTHORISED":
        if doc.amount_paid == 0:
            out += [form(f"{base}/void", csrf, [], "Void", "danger", inline=True)]
        out += [
            Html("<h2>Record payment</h2>"),
            form(
                f"{base}/pay", csrf,
                [field("Amount", "amount", f"{doc.amount_due:.2f}", inputmode="decimal"), " ",
                 field("Date", "date", sb.clock.today().isoformat(), "date")],
                "Record payment",
            ),
        ]  # fmt: skip
    if len(out) == 1:
        out.append(Html(f'<p class="muted">Nothing to do: this document is {esc(doc.status)}.</p>'))
    out.append(Html("</div>"))
    return join(out)


def doc_action(sb: Sandbox, request: Request, form_: dict[str, str]) -> tuple[str, str]:
    org = org_of(sb, request)
    doc = _doc(org, request, False)
    action = str(request.path_params["action"])
    label = LABELS.get(doc.type, "Document")
    if action == "pay":
        try:
            day = parse_body_date(form_.get("date") or None)
        except ValueError:
            raise bk.ControlError("The payment date is not a date (YYYY-MM-DD).") from None
        bk.pay(sb, org, doc, form_.get("amount"), day)
        note = "paid in full" if doc.status == "PAID" else f"{money(doc.amount_due)} still due"
        return document_url(org, doc), f"Payment recorded: {note}."
    bk.change_status(sb, org, doc, action)
    return document_url(org, doc), f"{label} {doc.number} is now {doc.status}."


def new_title(sb: Sandbox, request: Request) -> str:
    return f"New sales invoice · {org_of(sb, request).name}"


def new_page(sb: Sandbox, request: Request) -> Html:
    """The form; a refused one comes back with what was typed (the query string)."""
    org, q = org_of(sb, request), request.query_params
    today = sb.clock.today()
    people = sorted(
        (c for c in list(org.contacts.items.values()) if c.status == "ACTIVE"),
        key=lambda c: (not c.is_customer, c.name.lower()),
    )
    accounts = sorted(
        (a for a in org.accounts.values()
         if a.cls == "REVENUE" and a.status == "ACTIVE" and not a.system_account),
        key=lambda a: a.code,
    )  # fmt: skip
    taxes = [t for t in org.tax_rates.values() if t.revenue and t.status == "ACTIVE"]
    due = (today + timedelta(days=14)).isoformat()
    fields = [
        select("Contact", "contact", [(c.id, c.name) for c in people], q.get("contact", "")),
        Html("<br>"),
        field("Date", "date", q.get("date", today.isoformat()), "date"),
        field("Due date", "due", q.get("due", due), "date"),
        field("Reference", "reference", q.get("reference", "")),
        Html("<br>"),
        field("Description", "description", q.get("description", "Consulting"), size="40"),
        field("Quantity", "quantity", q.get("quantity", "1"), inputmode="decimal", size="6"),
        field("Unit amount", "unit", q.get("unit", ""), inputmode="decimal", size="10"),
        Html("<br>"),
        select("Account", "account", [(a.code, f"{a.code} {a.name}") for a in accounts],
               q.get("account", "")),
        select("Tax", "tax", [(t.tax_type, t.name) for t in taxes], q.get("tax", "")),
        select("Save as", "status", [("DRAFT", "Draft"), ("AUTHORISED", "Approved")],
               q.get("status", "DRAFT")),
    ]  # fmt: skip
    return form(url(f"/{org.tenant_id}/invoices/new"), token(sb), fields, "Create invoice")


def create(sb: Sandbox, request: Request, form_: dict[str, str]) -> tuple[str, str]:
    org = org_of(sb, request)
    body = {
        "Type": "ACCREC",
        "Contact": {"ContactID": form_.get("contact", "")},
        "Date": form_.get("date") or None,
        "DueDate": form_.get("due") or None,
        "Reference": form_.get("reference", ""),
        "Status": form_.get("status") or "DRAFT",
        "LineAmountTypes": "Exclusive",
        "LineItems": [
            {
                "Description": form_.get("description", ""),
                "Quantity": form_.get("quantity") or "1",
                "UnitAmount": form_.get("unit") or None,
                "AccountCode": form_.get("account", ""),
                "TaxType": form_.get("tax", ""),
            }
        ],
    }
    if body["Date"] is None:
        del body["Date"]
    doc = bk.save_document(sb, org, body, None)
    return document_url(org, doc), f"Invoice {doc.number} created as {doc.status}."

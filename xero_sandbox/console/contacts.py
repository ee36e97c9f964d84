"""Contacts in the console: search, a contact's page with its documents, rename, archive or
restore, merge into another contact, and a new sales invoice for it."""

from __future__ import annotations

from starlette.requests import Request

from .. import bookkeeper as bk
from ..models import Contact
from ..state import Sandbox
from ..store import Org
from .base import NotThere, org_of, token
from .documents import document_url
from .html import Html, esc, field, form, join, link, money, select, table, url

PER_PAGE = 100


def list_title(sb: Sandbox, request: Request) -> str:
    return f"Contacts · {org_of(sb, request).name}"


def list_page(sb: Sandbox, request: Request) -> Html:
    org, q = org_of(sb, request), request.query_params
    term = q.get("q", "").strip().lower()
    status = q.get("status", "ACTIVE")
    people = [
        c
        for c in list(org.contacts.items.values())
        if (not status or c.status == status)
        and (not term or term in c.name.lower() or term in c.email.lower())
    ]
    people.sort(key=lambda c: c.name.lower())
    path = f"/{org.tenant_id}/contacts"
    search = Html(
        f'<form method="get" action="{esc(url(path))}">'
        f"{field('Search', 'q', q.get('q', ''), placeholder='name or email')}"
        f"{select('Status', 'status', [('ACTIVE', 'Active'), ('ARCHIVED', 'Archived'), ('', 'Any')], status)}"
        " <button type=submit>Search</button></form>"
    )
    rows = [
        [
            link(url(f"{path}/{c.id}"), c.name),
            c.email,
            ", ".join(
                k for k, on in (("customer", c.is_customer), ("supplier", c.is_supplier)) if on
            ),
            c.status + (" · merged" if c.merged_to else ""),
        ]
        for c in people[:PER_PAGE]
    ]
    shown = f"{len(people)} found" + (
        f", the first {PER_PAGE} shown" if len(people) > PER_PAGE else ""
    )
    return join(
        [
            search,
            Html(f'<p class="muted">{esc(shown)}</p>'),
            table(["Name", "Email", "Is a", "Status"], rows) if rows else Html("<p>Nobody.</p>"),
        ]
    )


def _contact(org: Org, request: Request) -> Contact:
    c = org.contacts.get(str(request.path_params["id"]).lower())
    if c is None:
        raise NotThere("No such contact in this organisation.")
    return c


def contact_title(sb: Sandbox, request: Request) -> str:
    return _contact(org_of(sb, request), request).name


def contact_page(sb: Sandbox, request: Request) -> Html:
    org = org_of(sb, request)
    c = _contact(org, request)
    base, csrf = url(f"/{org.tenant_id}/contacts/{c.id}"), token(sb)
    facts = [Html(f'<p>Status <strong id="status">{esc(c.status)}</strong>')]
    if c.merged_to:
        survivor = org.contacts.get(c.merged_to)
        facts += [" · merged into ", link(url(f"/{org.tenant_id}/contacts/{c.merged_to}"),
                                          survivor.name if survivor else c.merged_to)]  # fmt: skip
    facts.append(Html("</p>"))
    others = sorted(
        (o for o in list(org.contacts.items.values()) if o.id != c.id and o.status == "ACTIVE"),
        key=lambda o: o.name.lower(),
    )
    panel = [
        Html('<div class="panel">'),
        form(f"{base}/rename", csrf, [field("Name", "name", c.name, size="40")], "Rename"),
        Html("<br>"),
        form(f"{base}/unarchive", csrf, [], "Restore", inline=True)
        if c.status == "ARCHIVED"
        else form(f"{base}/archive", csrf, [], "Archive", "danger", inline=True),
        Html("<br><br>"),
        form(
            f"{base}/merge",
            csrf,
            [select("Merge into", "into", [(o.id, o.name) for o in others])],
            "Merge",
            "danger",
        ),  # fmt: skip
        Html("<br>"),
        link(
            url(f"/{org.tenant_id}/invoices/new", contact=c.id),
            "New sales invoice for this contact",
        ),
        Html("</div>"),
    ]
    docs = sorted(
        (d for coll in (org.invoices, org.credit_notes) for d in list(coll.items.values())
         if d.contact_id == c.id),
        key=lambda d: (d.date, d.number), reverse=True,
    )  # fmt: skip
    rows = [
        [link(document_url(org, d), d.number or "(no number)"), d.type, d.date.isoformat(),
         d.status, money(d.total, d.currency_code)]
        for d in docs[:200]
    ]  # fmt: skip
    return join(
        facts
        + panel
        + [
            Html("<h2>Documents</h2>"),
            table(["Number", "Type", "Date", "Status", "Total"], rows, numeric=(4,))
            if rows
            else Html("<p>None.</p>"),
        ]
    )


def contact_action(sb: Sandbox, request: Request, form_: dict[str, str]) -> tuple[str, str]:
    org = org_of(sb, request)
    c = _contact(org, request)
    action = str(request.path_params["action"])
    back = url(f"/{org.tenant_id}/contacts/{c.id}")
    if action == "rename":
        old = c.name
        bk.save_contact(sb, org, c, {"Name": form_.get("name", "")})
        return back, f"Renamed {old} to {c.name}."
    if action in ("archive", "unarchive"):
        bk.archive(sb, org, c, action == "archive")
        return back, f"{c.name} is now {c.status}."
    if action == "merge":
        survivor = org.contacts.get(form_.get("into", "").lower())
        bk.merge(sb, org, c, survivor)
        assert survivor is not None
        return url(
            f"/{org.tenant_id}/contacts/{survivor.id}"
        ), f"Merged {c.name} into {survivor.name}."
    raise NotThere("No such action.")

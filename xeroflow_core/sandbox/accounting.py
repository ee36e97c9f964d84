"""The Accounting API (`/api.xro/2.0/...`): the request pipeline and the read endpoints.

Pipeline, in Xero's order: armed faults, bearer token (401), `xero-tenant-id` (403), scope
(401 insufficient_scope), rate limits (429), user role on writes (403), then the handler. Every
tenant response carries the X-*Limit-Remaining headers.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Iterable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from . import fields as F
from . import serialize as S
from .identity import bearer_claims, sb_of
from .msdate import dt_ms, parse_if_modified_since
from .query import QueryError, compile_order, compile_where, sort_records
from .responses import envelope, json_response, not_found, problem, query_parse_exception
from .state import Sandbox
from .store import KeyView, Org

# resource -> (broad scope, granular scope); GET accepts either or its `.read`, writes the bare one.
SCOPES = {
    "organisation": ("accounting.settings", "accounting.settings"),
    "accounts": ("accounting.settings", "accounting.settings"),
    "taxrates": ("accounting.settings", "accounting.settings"),
    "trackingcategories": ("accounting.settings", "accounting.settings"),
    "users": ("accounting.settings", "accounting.settings"),
    "contacts": ("accounting.contacts", "accounting.contacts"),
    "invoices": ("accounting.transactions", "accounting.invoices"),
    "creditnotes": ("accounting.transactions", "accounting.invoices"),
    "expenseclaims": ("accounting.transactions", "accounting.classicexpenses"),
    "receipts": ("accounting.transactions", "accounting.classicexpenses"),
    "reports": ("accounting.reports.read", "accounting.reports.profitandloss.read"),
}


def scope_ok(resource: str, scopes: set[str], write: bool) -> bool:
    broad, granular = SCOPES[resource]
    allowed = {broad, granular} if write else {broad, granular, f"{broad}.read", f"{granular}.read"}
    return bool(allowed & scopes)


class Ctx:
    """What a handler needs: the sandbox, the org, the request, its parts and the headers."""

    def __init__(
        self, sb: Sandbox, org: Org, request: Request, parts: list[str], claims: dict[str, Any]
    ) -> None:
        self.sb, self.org, self.request, self.parts, self.claims = sb, org, request, parts, claims
        self.q = request.query_params

    def ok(self, payload: dict[str, Any]) -> Response:
        return json_response(envelope(self.sb.config.provider_name, self.sb.now(), payload))

    def flag(self, name: str) -> bool:
        return str(self.q.get(name, "")).lower() == "true"

    def ims_ms(self) -> int | None:
        raw = self.request.headers.get("if-modified-since")
        if not raw:
            return None
        dt = parse_if_modified_since(raw).replace(microsecond=0)  # second precision, >=
        return dt_ms(dt)


def _ids(raw: str | None) -> set[str] | None:
    return {p.strip().lower() for p in raw.split(",") if p.strip()} if raw else None


def _filter(
    ctx: Ctx,
    items: Iterable[Any],
    fields: dict[str, Any],
    extra: Callable[[Any], bool] | None = None,
    default_order: str | None = None,
) -> list[Any]:
    """Apply `where`, a custom filter and `order` (default: UpdatedDateUTC ASC = index order)."""
    pred = compile_where(ctx.q["where"], fields) if ctx.q.get("where") else None
    out = [r for r in items if (extra is None or extra(r)) and (pred is None or pred(r))]
    order = ctx.q.get("order") or default_order
    if order:
        sort_records(out, compile_order(order, fields))
    return out


def _select(
    ctx: Ctx, collection: Any, fields: dict[str, Any], extra: Callable[[Any], bool] | None
) -> Any:
    """Filtered, ordered records; the app's path (no filter, UpdatedDateUTC ASC) is a slice."""
    order = (ctx.q.get("order") or "").replace(" ", "").lower()
    if (
        extra is None
        and not ctx.q.get("where")
        and order in ("", "updateddateutc", "updateddateutcasc")
    ):
        return KeyView(collection.keys_since(ctx.ims_ms()), collection.items)
    return _filter(ctx, collection.since(ctx.ims_ms()), fields, extra)


def _page(ctx: Ctx, items: Any) -> tuple[list[Any], dict[str, int] | None]:
    """Slice a page (1-based; pageSize default 100, clamped to 1..1000) and its pagination."""
    if "page" not in ctx.q:
        return items, None
    try:
        page = max(1, int(ctx.q["page"]))
        size = min(1000, max(1, int(ctx.q.get("pageSize", 100))))
    except ValueError:
        page, size = 1, 100
    n = len(items)
    return items[(page - 1) * size : page * size], {
        "page": page,
        "pageSize": size,
        "pageCount": math.ceil(n / size),
        "itemCount": n,
    }


def _touch_while_paging(ctx: Ctx, resource: str, ordered: Any, collection: Any) -> bool:
    """Fault: a person edits records that sit on earlier pages while a client is paging."""
    if int(ctx.q.get("page", "1") or 1) < 2:
        return False
    f = ctx.sb.faults.take(ctx.request.url.path, "GET", ctx.org.tenant_id, ("touch_while_paging",))
    if f is None:
        return False
    if f.resource.lower().replace("_", "") != resource:
        return False
    with ctx.sb.lock:
        for rec in ordered[: f.records]:
            ctx.sb.touch(ctx.org, collection, rec)
    return True


def get_invoices(ctx: Ctx) -> Response:
    org = ctx.org
    unitdp4 = ctx.q.get("unitdp") == "4"
    if len(ctx.parts) > 1:
        key = ctx.parts[1].lower()
        doc = org.invoices.get(ctx.parts[1]) or next(
            (d for d in org.invoices.items.values() if d.number.lower() == key or d.id == key), None
        )
        if doc is None:
            return not_found()
        return ctx.ok({"Invoices": [S.invoice_json(org, doc, True, unitdp4)]})
    ids, numbers, contacts = (
        _ids(ctx.q.get("IDs")),
        _ids(ctx.q.get("InvoiceNumbers")),
        _ids(ctx.q.get("ContactIDs")),
    )
    statuses = {s.strip().upper() for s in ctx.q.get("Statuses", "").split(",") if s.strip()}
    term = (ctx.q.get("searchTerm") or "").lower()
    mine = ctx.claims.get("client_id") if ctx.flag("createdByMyApp") else None

    filtered = (
        ids is not None or numbers is not None or contacts is not None or statuses or term or mine
    )

    def extra(d: Any) -> bool:
        return (
            (ids is None or d.id in ids)
            and (numbers is None or d.number.lower() in numbers)
            and (contacts is None or d.contact_id in contacts)
            and (not statuses or d.status in statuses)
            and (not term or term in d.number.lower() or term in d.reference.lower())
            and (mine is None or d.created_by_app == mine)
        )

    fields = F.invoice_fields(org)
    pred = extra if filtered else None
    rows = _select(ctx, org.invoices, fields, pred)
    if _touch_while_paging(ctx, "invoices", rows, org.invoices):
        rows = _select(ctx, org.invoices, fields, pred)
    page, pagination = _page(ctx, rows)
    lines = pagination is not None and not ctx.flag("summaryOnly")
    out: dict[str, Any] = {"pagination": pagination} if pagination else {}
    out["Warnings"] = []
    out["Invoices"] = [S.invoice_json(org, d, lines, unitdp4) for d in page]
    return ctx.ok(out)


def get_credit_notes(ctx: Ctx) -> Response:
    org = ctx.org
    if len(ctx.parts) > 1:
        doc = org.credit_notes.get(ctx.parts[1]) or next(
            (d for d in org.credit_notes.items.values() if d.number == ctx.parts[1]), None
        )
        return ctx.ok({"CreditNotes": [S.credit_note_json(org, doc, True)]}) if doc else not_found()
    fields = F.credit_note_fields(org)
    rows = _select(ctx, org.credit_notes, fields, None)
    if _touch_while_paging(ctx, "creditnotes", rows, org.credit_notes):
        rows = _select(ctx, org.credit_notes, fields, None)
    page, pagination = _page(ctx, rows)
    out: dict[str, Any] = {"pagination": pagination} if pagination else {}
    out["CreditNotes"] = [S.credit_note_json(org, d, pagination is not None) for d in page]
    return ctx.ok(out)


def get_contacts(ctx: Ctx) -> Response:
    org = ctx.org
    if len(ctx.parts) > 1:
        key = ctx.parts[1]
        c = org.contacts.get(key) or next(
            (c for c in org.contacts.items.values() if c.number == key), None
        )
        return ctx.ok({"Contacts": [S.contact_json(org, c, True)]}) if c else not_found()
    ids = _ids(ctx.q.get("IDs"))
    archived = ctx.flag("includeArchived")
    term = (ctx.q.get("searchTerm") or "").lower()

    def extra(c: Any) -> bool:
        if ids is not None:
            return c.id in ids
        if not archived and c.status == "ARCHIVED":
            return False
        return not term or any(
            term in v.lower() for v in (c.name, c.first_name, c.last_name, c.number, c.email)
        )

    fields = F.contact_fields()
    pred = extra if (ids is not None or not archived or term) else None
    rows = _select(ctx, org.contacts, fields, pred)
    if _touch_while_paging(ctx, "contacts", rows, org.contacts):
        rows = _select(ctx, org.contacts, fields, pred)
    page, pagination = _page(ctx, rows)
    out: dict[str, Any] = {"pagination": pagination} if pagination else {}
    out["Warnings"] = []
    out["Contacts"] = [S.contact_json(org, c, pagination is not None) for c in page]
    return ctx.ok(out)


def get_accounts(ctx: Ctx) -> Response:
    org = ctx.org
    if len(ctx.parts) > 1:
        acc = org.accounts.get(ctx.parts[1].lower())
        return ctx.ok({"Accounts": [S.account_json(acc)]}) if acc else not_found()
    ims = ctx.ims_ms()
    rows = _filter(
        ctx,
        org.accounts.values(),
        F.account_fields(),
        (lambda a: dt_ms(a.updated) >= ims) if ims else None,
        "Code ASC",
    )
    return ctx.ok({"Accounts": [S.account_json(a) for a in rows]})


def get_tax_rates(ctx: Ctx) -> Response:
    rows = _filter(ctx, ctx.org.tax_rates.values(), F.tax_rate_fields())
    return ctx.ok({"TaxRates": [S.tax_rate_json(t) for t in rows]})


def get_tracking(ctx: Ctx) -> Response:
    org, archived = ctx.org, ctx.flag("includeArchived")
    if len(ctx.parts) > 1:
        cat = org.tracking.get(ctx.parts[1].lower())
        return ctx.ok({"TrackingCategories": [S.tracking_json(cat, True)]}) if cat else not_found()
    rows = _filter(
        ctx, org.tracking.values(), F.tracking_fields(), lambda c: archived or c.status == "ACTIVE"
    )
    return ctx.ok({"TrackingCategories": [S.tracking_json(c, archived) for c in rows]})


def get_organisation(ctx: Ctx) -> Response:
    return ctx.ok({"Organisations": [S.organisation_json(ctx.org)]})


def get_users(ctx: Ctx) -> Response:
    return ctx.ok({"Users": [S.user_json(u) for u in ctx.org.users.values()]})


def _classic_refused(ctx: Ctx) -> Response | None:
    mode = ctx.org.classic_expenses
    if mode == "forbidden":
        return problem(403, "AuthorizationUnsuccessful")
    if mode == "unauthorized":
        return problem(
            401,
            "AuthorizationUnsuccessful",
            {"WWW-Authenticate": 'Bearer error="insufficient_scope"'},
        )
    return None


def get_expense_claims(ctx: Ctx) -> Response:
    org = ctx.org
    refused = _classic_refused(ctx)
    if refused:
        return refused
    if org.classic_expenses == "empty":
        return ctx.ok({"ExpenseClaims": []})
    if len(ctx.parts) > 1:
        claim = org.expense_claims.get(ctx.parts[1].lower())
        return (
            ctx.ok({"ExpenseClaims": [S.expense_claim_json(org, claim, True)]})
            if claim
            else not_found()
        )
    rows = _filter(ctx, org.expense_claims.since(ctx.ims_ms()), F.expense_claim_fields())
    return ctx.ok({"ExpenseClaims": [S.expense_claim_json(org, c, False) for c in rows]})


def get_receipts(ctx: Ctx) -> Response:
    org = ctx.org
    refused = _classic_refused(ctx)
    if refused:
        return refused
    if org.classic_expenses == "empty":
        return ctx.ok({"Receipts": []})
    if len(ctx.parts) > 1:
        r = org.receipts.get(ctx.parts[1].lower())
        return ctx.ok({"Receipts": [S.receipt_json(org, r, True)]}) if r else not_found()
    rows = _filter(ctx, org.receipts.since(ctx.ims_ms()), F.receipt_fields())
    return ctx.ok({"Receipts": [S.receipt_json(org, r, True) for r in rows]})


def get_reports(ctx: Ctx) -> Response:
    from .reports import profit_and_loss

    if len(ctx.parts) < 2 or ctx.parts[1].lower() != "profitandloss":
        return not_found()
    return profit_and_loss(ctx)


READS: dict[str, Callable[[Ctx], Response]] = {
    "invoices": get_invoices,
    "creditnotes": get_credit_notes,
    "contacts": get_contacts,
    "accounts": get_accounts,
    "taxrates": get_tax_rates,
    "trackingcategories": get_tracking,
    "organisation": get_organisation,
    "users": get_users,
    "expenseclaims": get_expense_claims,
    "receipts": get_receipts,
    "reports": get_reports,
}


async def _pre_faults(sb: Sandbox, request: Request, tenant: str | None) -> Response | None:
    """Armed faults that fire before Xero even looks at the call."""
    path, method = request.url.path, request.method
    f = sb.faults.take(path, method, tenant, ("rate_limit", "status", "drop", "malformed"))
    if f is None:
        return None
    if f.kind == "rate_limit":
        retry = (
            f.retry_after
            if f.retry_after is not None
            else (30 if f.problem == "minute" else 43_200)
        )
        headers = {
            "X-Rate-Limit-Problem": f.problem,
            "Retry-After": str(retry),
            "X-MinLimit-Remaining": "0" if f.problem == "minute" else "59",
            "X-DayLimit-Remaining": "0" if f.problem == "day" else "1000",
            "X-AppMinLimit-Remaining": "9999",
        }
        return Response(b"", status_code=429, headers=headers)
    if f.kind == "status":
        return Response(
            b"Service Unavailable" if f.status == 503 else b"Internal Server Error",
            status_code=f.status,
            media_type="text/plain",
        )
    if f.kind == "malformed":
        return Response(
            b'{"Id":"x","Status":"OK","Invoices":[{"InvoiceID":',
            status_code=200,
            media_type="application/json",
        )
    return DropConnection()


class DropConnection(Response):
    """Declares a body it never sends: the server closes the connection mid-response."""

    def __init__(self) -> None:
        super().__init__(b"", status_code=200, media_type="application/json")

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"100000")],
            }
        )
        await send({"type": "http.response.body", "body": b'{"Invoices":[', "more_body": False})


async def api(request: Request) -> Response:
    """Every `/api.xro/2.0/...` call goes through here."""
    sb = sb_of(request)
    parts = [p for p in request.path_params["path"].split("/") if p]
    resource = parts[0].lower() if parts else ""
    tenant = request.headers.get("xero-tenant-id", "").strip().lower() or None
    early = await _pre_faults(sb, request, tenant)
    if early is not None:
        return early
    claims, detail = bearer_claims(sb, request)
    if claims is None:
        return problem(
            401,
            detail or "AuthenticationUnsuccessful",
            {"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    user = sb.identity.users.get(claims.get("xero_userid", ""))
    conn_ok = tenant is not None and any(
        c.tenant_id == tenant
        and c.user_id == claims["xero_userid"]
        and c.client_id == claims["client_id"]
        for c in list(sb.identity.connections.values())
    )
    org = sb.orgs.get(tenant or "")
    if not conn_ok or org is None or user is None or user.removed:
        return problem(403, "AuthenticationUnsuccessful")
    if resource not in SCOPES:
        return not_found()
    write = request.method in ("PUT", "POST", "DELETE")
    scopes = set(claims.get("scope") or [])
    if isinstance(claims.get("scope"), str):
        scopes = set(claims["scope"].split())
    if not scope_ok(resource, scopes, write):
        return problem(
            401,
            "AuthorizationUnsuccessful",
            {"WWW-Authenticate": 'Bearer error="insufficient_scope"'},
        )
    started = time.perf_counter()
    verdict = sb.limits.acquire(org.tenant_id)
    if not verdict.ok:
        return Response(b"", status_code=429, headers=verdict.headers)
    try:
        slow = sb.faults.take(request.url.path, request.method, tenant, ("slow",))
        if slow:
            await asyncio.sleep(slow.seconds)
        if write and user.read_only:
            response = problem(403, "AuthorizationUnsuccessful")
        else:
            ctx = Ctx(sb, org, request, parts, claims)
            response = await _dispatch(ctx, resource, write)
    except QueryError as e:
        response = query_parse_exception(str(e))
    finally:
        sb.limits.release(org.tenant_id)
    response.headers.update(verdict.headers)
    response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
    return response


async def _dispatch(ctx: Ctx, resource: str, write: bool) -> Response:
    if not write:
        handler = READS.get(resource)
        return handler(ctx) if handler else not_found()
    from .writes import WRITES

    handler_w = WRITES.get(resource)
    if handler_w is None:
        return Response(b"The method is not allowed", status_code=405, media_type="text/plain")
    return await handler_w(ctx)

"""The Accounting API's read endpoints: Xero's envelope, paging, filters and shapes.

The request pipeline that leads here (auth, tenant, scopes, limits, faults) is pipeline.py.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from . import fields as F
from . import serialize as S
from .msdate import dt_ms, parse_if_modified_since
from .query import compile_order, compile_where, sort_records
from .responses import envelope, json_response, not_found, problem, unserved
from .serialize_documents import credit_note_json, expense_claim_json, invoice_json, receipt_json
from .state import Sandbox
from .store import KeyView, Org

log = logging.getLogger("xero_sandbox")


class BadHeader(ValueError):
    """A request header the sandbox refuses (400), e.g. a malformed If-Modified-Since when
    `SandboxConfig.malformed_if_modified_since` is "reject"."""


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
        """If-Modified-Since in epoch ms at second precision (records with UpdatedDateUTC >= it
        are served), or None. A malformed value is ignored and logged, or refused (config)."""
        raw = self.request.headers.get("if-modified-since")
        if not raw:
            return None
        try:
            dt = parse_if_modified_since(raw).replace(microsecond=0)
        except (ValueError, TypeError, OverflowError, IndexError):
            if self.sb.config.malformed_if_modified_since == "reject":
                raise BadHeader(f"If-Modified-Since is not a date: {raw[:60]!r}") from None
            log.warning("ignoring malformed If-Modified-Since %r on %s", raw[:60], self.parts)
            return None
        return dt_ms(dt)

    def page_number(self) -> int:
        try:
            return max(1, int(self.q.get("page") or 1))
        except ValueError:
            return 1


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
    page = ctx.page_number()
    try:
        size = min(1000, max(1, int(ctx.q.get("pageSize") or 100)))
    except ValueError:
        size = 100
    n = len(items)
    return items[(page - 1) * size : page * size], {
        "page": page,
        "pageSize": size,
        "pageCount": math.ceil(n / size),
        "itemCount": n,
    }


def _touch_while_paging(ctx: Ctx, resource: str, ordered: Any, collection: Any) -> bool:
    """Fault: a person edits records that sit on earlier pages while a client is paging."""
    if ctx.page_number() < 2:
        return False
    f = ctx.sb.faults.take(
        ctx.request.url.path, "GET", ctx.org.tenant_id, ("touch_while_paging",), resource
    )
    if f is None:
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
        return ctx.ok({"Invoices": [invoice_json(org, doc, True, unitdp4)]})
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
    out["Invoices"] = [invoice_json(org, d, lines, unitdp4) for d in page]
    return ctx.ok(out)


def get_credit_notes(ctx: Ctx) -> Response:
    org = ctx.org
    if len(ctx.parts) > 1:
        doc = org.credit_notes.get(ctx.parts[1]) or next(
            (d for d in org.credit_notes.items.values() if d.number == ctx.parts[1]), None
        )
        return ctx.ok({"CreditNotes": [credit_note_json(org, doc, True)]}) if doc else not_found()
    fields = F.credit_note_fields(org)
    rows = _select(ctx, org.credit_notes, fields, None)
    if _touch_while_paging(ctx, "creditnotes", rows, org.credit_notes):
        rows = _select(ctx, org.credit_notes, fields, None)
    page, pagination = _page(ctx, rows)
    out: dict[str, Any] = {"pagination": pagination} if pagination else {}
    out["CreditNotes"] = [credit_note_json(org, d, pagination is not None) for d in page]
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


def get_currencies(ctx: Ctx) -> Response:
    """The organisation's currencies: its base currency and those its contacts and documents use."""
    rows = _filter(ctx, ctx.org.currencies(), F.currency_fields())
    return ctx.ok({"Currencies": [S.currency_json(c) for c in rows]})


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
            ctx.ok({"ExpenseClaims": [expense_claim_json(org, claim, True)]})
            if claim
            else not_found()
        )
    rows = _filter(ctx, org.expense_claims.since(ctx.ims_ms()), F.expense_claim_fields())
    return ctx.ok({"ExpenseClaims": [expense_claim_json(org, c, False) for c in rows]})


def get_receipts(ctx: Ctx) -> Response:
    org = ctx.org
    refused = _classic_refused(ctx)
    if refused:
        return refused
    if org.classic_expenses == "empty":
        return ctx.ok({"Receipts": []})
    if len(ctx.parts) > 1:
        r = org.receipts.get(ctx.parts[1].lower())
        return ctx.ok({"Receipts": [receipt_json(org, r, True)]}) if r else not_found()
    rows = _filter(ctx, org.receipts.since(ctx.ims_ms()), F.receipt_fields())
    return ctx.ok({"Receipts": [receipt_json(org, r, True) for r in rows]})


def get_reports(ctx: Ctx) -> Response:
    from .reports import profit_and_loss

    if len(ctx.parts) < 2 or ctx.parts[1].lower() != "profitandloss":
        return unserved(ctx.sb.config.unserved_path_body)
    return profit_and_loss(ctx)


READS: dict[str, Callable[[Ctx], Response]] = {
    "invoices": get_invoices,
    "creditnotes": get_credit_notes,
    "contacts": get_contacts,
    "accounts": get_accounts,
    "taxrates": get_tax_rates,
    "trackingcategories": get_tracking,
    "organisation": get_organisation,
    # tap-xero reads "Organisations"; that Xero serves it is UNCONFIRMED (its docs name only
    # /Organisation), but a client that works against Xero calls it, so it is served here too.
    "organisations": get_organisation,
    "currencies": get_currencies,
    "users": get_users,
    "expenseclaims": get_expense_claims,
    "receipts": get_receipts,
    "reports": get_reports,
}

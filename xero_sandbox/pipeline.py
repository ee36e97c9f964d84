"""The Accounting API request pipeline (`/api.xro/2.0/...`), in Xero's order: armed faults,
bearer token (401), `xero-tenant-id` (403), scope (401 insufficient_scope), rate limits (429),
user role on writes (403), then the handler. Every tenant response carries the
X-*Limit-Remaining headers and a Server-Timing figure. A `lose_answer` fault fires after the
handler: the work is done (an invoice created), then the connection closes with no answer.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .accounting import READS, BadHeader, Ctx
from .identity import sb_of
from .query import QueryError
from .responses import problem, query_parse_exception, unserved
from .state import Sandbox
from .tokens import bearer_claims
from .xmlformat import negotiate

# resource -> (broad scope, granular scope); GET accepts either or its `.read`, writes the bare one.
SCOPES = {
    "organisation": ("accounting.settings", "accounting.settings"),
    "organisations": ("accounting.settings", "accounting.settings"),
    "currencies": ("accounting.settings", "accounting.settings"),
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


class AnswerLost(ConnectionError):
    """Raised in-process (no socket to close) where a served sandbox would hang up."""


SERVER_SEND = "xero_sandbox.server_send"  # scope key: the HTTP server's own `send` (app.py)


class HangUp(Response):
    """The request was processed; then the connection closes before a single byte of the
    answer, as when a proxy or the network drops it (the client sees "server disconnected")."""

    def __init__(self) -> None:
        super().__init__(b"", status_code=200)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        # uvicorn's send is a method of the request cycle, which holds the connection
        server_send = scope.get(SERVER_SEND)
        transport = getattr(getattr(server_send, "__self__", None), "transport", None)
        if transport is None:
            raise AnswerLost("the sandbox closed the connection without an answer")
        transport.close()
        await asyncio.sleep(0)  # the server notes the disconnect before it would answer for us


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
        return unserved(sb.config.unserved_path_body)
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
    except BadHeader as e:
        response = problem(400, str(e))
    finally:
        sb.limits.release(org.tenant_id)
    if sb.faults.take(request.url.path, request.method, tenant, ("lose_answer",)):
        return HangUp()
    response = negotiate(request, response)
    response.headers.update(verdict.headers)
    response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
    return response


async def _dispatch(ctx: Ctx, resource: str, write: bool) -> Response:
    if not write:
        handler = READS.get(resource)
        return handler(ctx) if handler else unserved(ctx.sb.config.unserved_path_body)
    from .writes import WRITES

    handler_w = WRITES.get(resource)
    if handler_w is None or ctx.request.method == "DELETE":
        return Response(b"The method is not allowed", status_code=405, media_type="text/plain")
    return await handler_w(ctx)

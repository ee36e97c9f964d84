"""Test controls on `/_sandbox/...` (JSON): change data as a person in Xero would, move the clock,
age and revoke tokens, change the user's role, arm faults, read snapshots, reset.

Only mounted when `SandboxConfig.test_controls` is on, and every call needs the run's
`X-Sandbox-Key` (access.py); bodies must be `application/json`. Every data change re-stamps
UpdatedDateUTC from the sandbox clock, as Xero does.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .access import refuse_control
from .edits import (
    ControlError,
    contact_action,
    contacts,
    document_action,
    documents,
    expense_claim_action,
    expense_claims,
    new_tenant_id,
    org_of,
    snapshot,
    tracking_option,
)
from .identity import sb_of
from .responses import json_response
from .state import Sandbox
from .tokens import revoke_grant


def _body(raw: bytes) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as e:
        raise ControlError("body is not JSON") from e
    if not isinstance(data, dict):
        raise ControlError("body must be a JSON object")
    return data


def _clock(sb: Sandbox) -> dict[str, Any]:
    return {"now": sb.now().isoformat().replace("+00:00", "Z"), "frozen": sb.clock.frozen}


def control(fn: Any) -> Any:
    """Wrap a control: key checked, JSON body in, JSON out, ControlError -> {"error": ...}."""

    async def endpoint(request: Request) -> Response:
        sb = sb_of(request)
        raw = await request.body()
        refused = refuse_control(sb, request, raw)
        if refused is not None:
            return refused
        try:
            body = _body(raw)
            result = fn(sb, request, body)
        except ControlError as e:
            return json_response({"error": str(e)}, e.status)
        return result if isinstance(result, Response) else json_response(result)

    return endpoint


def state(sb: Sandbox, request: Request, body: dict[str, Any]) -> Any:
    ident = sb.identity
    return {
        "clock": _clock(sb),
        "generated_seconds": round(sb.generated_seconds, 3),
        "organisations": [
            {
                "tenantId": o.tenant_id,
                "name": o.name,
                "baseCurrency": o.base_currency,
                "classicExpenses": o.classic_expenses,
                "contacts": len(o.contacts),
                "invoices": len(o.invoices),
                "creditNotes": len(o.credit_notes),
                "expenseClaims": len(o.expense_claims),
            }
            for o in sb.orgs.values()
        ],
        "users": [
            {"id": u.id, "email": u.email, "read_only": u.read_only, "removed": u.removed}
            for u in ident.users.values()
        ],
        "connections": [
            {"id": c.id, "tenantId": c.tenant_id, "authEventId": c.auth_event_id}
            for c in ident.connections.values()
        ],
        "grants": len(ident.grants),
        "faults": sb.faults.list(),
        "limits": sb.limits.snapshot(),
    }


def reset(sb: Sandbox, request: Request, body: dict[str, Any]) -> Any:
    sb.reset()
    return state(sb, request, body)


def clock(sb: Sandbox, request: Request, body: dict[str, Any]) -> Any:
    if request.method == "POST":
        if "set" in body:
            sb.clock.set(datetime.fromisoformat(str(body["set"]).replace("Z", "+00:00")))
        if "advance_seconds" in body:
            sb.clock.advance(float(body["advance_seconds"]))
        if "freeze" in body:
            sb.clock.freeze(bool(body["freeze"]))
    return _clock(sb)


def expire_tokens(sb: Sandbox, request: Request, body: dict[str, Any]) -> Any:
    """Every access token issued so far answers 401 TokenExpired from now on, saying it expired
    a second ago (Xero's message names a time in the past)."""
    n = 0
    past = sb.now() - timedelta(seconds=1)
    with sb.lock:
        for rec in sb.identity.access.values():
            if not rec.expired_by_control:
                rec.expired_by_control, n = True, n + 1
                rec.expires = min(rec.expires, past)
    return {"expired": n}


def revoke_tokens(sb: Sandbox, request: Request, body: dict[str, Any]) -> Any:
    """Revoke one refresh token's chain (`refresh_token`) or every grant (`all`): invalid_grant."""
    with sb.lock:
        grants = list(sb.identity.grants.values()) if body.get("all") else []
        rec = sb.identity.refresh.get(str(body.get("refresh_token", "")))
        if rec is not None:
            grants.append(sb.identity.grants[rec.grant_id])
        if not grants:
            raise ControlError("give refresh_token or all: true")
        for g in grants:
            if body.get("keep_connections"):
                g.revoked = True
                for r in sb.identity.refresh.values():
                    if r.grant_id == g.id:
                        r.revoked = True
            else:
                revoke_grant(sb, g)
    return {"revoked": len(grants)}


def disconnect(sb: Sandbox, request: Request, body: dict[str, Any]) -> Any:
    """The user disconnects the app inside Xero: the tenant's connections vanish (403 after)."""
    tenant = str(body.get("tenant_id", "")).lower()
    with sb.lock:
        gone = [cid for cid, c in sb.identity.connections.items() if c.tenant_id == tenant]
        for cid in gone:
            del sb.identity.connections[cid]
    return {"removed": len(gone)}


def user(sb: Sandbox, request: Request, body: dict[str, Any]) -> Any:
    """`read_only`: writes get 403; `removed`: every call gets 403 AuthenticationUnsuccessful."""
    u = sb.demo_user
    if "read_only" in body:
        u.read_only = bool(body["read_only"])
    if "removed" in body:
        u.removed = bool(body["removed"])
    return {"id": u.id, "read_only": u.read_only, "removed": u.removed}


def faults(sb: Sandbox, request: Request, body: dict[str, Any]) -> Any:
    if request.method == "DELETE":
        sb.faults.clear()
    elif request.method == "POST":
        try:
            f = sb.faults.arm(body)
        except (TypeError, ValueError) as e:
            raise ControlError(str(e)) from e
        return {"id": f.id, "armed": sb.faults.list()}
    return {"armed": sb.faults.list(), "fired": sb.faults.fired[-50:]}


def limits(sb: Sandbox, request: Request, body: dict[str, Any]) -> Any:
    cfg = sb.config
    for key in ("rate_limits", "day_limit", "minute_limit", "concurrent_limit", "app_minute_limit"):
        if key in body:
            setattr(cfg, key, type(getattr(cfg, key))(body[key]))
    if body.get("clear"):
        sb.limits.clear()
    if body.get("use_calls"):
        sb.limits.use(str(body.get("tenant_id", "")).lower(), int(body["use_calls"]))
    return {
        "rate_limits": cfg.rate_limits,
        "day_limit": cfg.day_limit,
        "minute_limit": cfg.minute_limit,
        "usage": sb.limits.snapshot(),
    }


def expenses_mode(sb: Sandbox, request: Request, body: dict[str, Any]) -> Any:
    org = org_of(sb, request)
    mode = body.get("mode")
    if mode not in ("enabled", "empty", "forbidden", "unauthorized"):
        raise ControlError("mode: enabled | empty | forbidden | unauthorized")
    org.classic_expenses = mode
    return {"tenantId": org.tenant_id, "classicExpenses": mode}


def access_log(sb: Sandbox, request: Request, body: dict[str, Any]) -> Any:
    if request.method == "DELETE":
        sb.access_log.clear()
    return sb.access_log[-500:]


def save(sb: Sandbox, request: Request, body: dict[str, Any]) -> Any:
    """Write the state file the sandbox was started with; never a path from the request."""
    if "path" in body:
        raise ControlError("the state file is chosen when the sandbox starts, not here")
    path = sb.config.state_file
    if not path:
        raise ControlError("no state file configured")
    sb.save(path)
    return {"saved": path}


def control_routes() -> list[Route]:
    """The `/_sandbox/...` routes."""
    P = "/_sandbox"
    org = P + "/orgs/{tenant}"
    return [
        Route(P + "/state", control(state), methods=["GET"]),
        Route(P + "/reset", control(reset), methods=["POST"]),
        Route(P + "/save", control(save), methods=["POST"]),
        Route(P + "/clock", control(clock), methods=["GET", "POST"]),
        Route(P + "/tokens/expire", control(expire_tokens), methods=["POST"]),
        Route(P + "/tokens/revoke", control(revoke_tokens), methods=["POST"]),
        Route(P + "/disconnect", control(disconnect), methods=["POST"]),
        Route(P + "/user", control(user), methods=["POST"]),
        Route(P + "/faults", control(faults), methods=["GET", "POST", "DELETE"]),
        Route(P + "/limits", control(limits), methods=["GET", "POST"]),
        Route(P + "/access-log", control(access_log), methods=["GET", "DELETE"]),
        Route(P + "/state/{tenant}/{kind}", control(snapshot), methods=["GET"]),
        Route(org + "/expenses", control(expenses_mode), methods=["POST"]),
        Route(org + "/new-tenant-id", control(new_tenant_id), methods=["POST"]),
        Route(org + "/expense-claims", control(expense_claims), methods=["POST"]),
        Route(
            org + "/expense-claims/{id}/{action}", control(expense_claim_action), methods=["POST"]
        ),
        Route(org + "/invoices", control(documents), methods=["POST"]),
        Route(org + "/invoices/{id}", control(documents), methods=["POST"]),
        Route(org + "/invoices/{id}/{action}", control(document_action), methods=["POST"]),
        Route(org + "/credit-notes", control(documents), methods=["POST"]),
        Route(org + "/credit-notes/{id}", control(documents), methods=["POST"]),
        Route(org + "/credit-notes/{id}/{action}", control(document_action), methods=["POST"]),
        Route(org + "/contacts", control(contacts), methods=["POST"]),
        Route(org + "/contacts/{id}", control(contacts), methods=["POST"]),
        Route(org + "/contacts/{id}/{action}", control(contact_action), methods=["POST"]),
        Route(org + "/tracking-options", control(tracking_option), methods=["POST"]),
    ]

"""Test controls on `/_sandbox/...` (JSON): change data as a person in Xero would, move the clock,
age and revoke tokens, change the user's role, arm faults, read snapshots, reset.

Only mounted when `SandboxConfig.test_controls` is on. Every data change re-stamps
UpdatedDateUTC from the sandbox clock, as Xero does.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import serialize as S
from .identity import revoke_grant, sb_of
from .models import Contact
from .msdate import dt_ms, iso_z, ms_datetime, parse_body_date
from .reports import credit_by_account
from .responses import json_response
from .state import Sandbox
from .store import Org
from .writes import apply_invoice, record_payment


class ControlError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw:
        return {}
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as e:
        raise ControlError("body is not JSON") from e
    if not isinstance(data, dict):
        raise ControlError("body must be a JSON object")
    return data


def _org(sb: Sandbox, request: Request) -> Org:
    org = sb.orgs.get(request.path_params["tenant"].lower())
    if org is None:
        raise ControlError("unknown tenant", 404)
    return org


def _clock(sb: Sandbox) -> dict[str, Any]:
    return {"now": sb.now().isoformat().replace("+00:00", "Z"), "frozen": sb.clock.frozen}


def control(fn: Any) -> Any:
    """Wrap a control: JSON body in, JSON out, ControlError -> {"error": ...}."""

    async def endpoint(request: Request) -> Response:
        sb = sb_of(request)
        try:
            body = await _body(request)
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
    """Every access token issued so far answers 401 TokenExpired from now on."""
    n = 0
    with sb.lock:
        for rec in sb.identity.access.values():
            if not rec.expired_by_control:
                rec.expired_by_control, n = True, n + 1
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
    org = _org(sb, request)
    mode = body.get("mode")
    if mode not in ("enabled", "empty", "forbidden", "unauthorized"):
        raise ControlError("mode: enabled | empty | forbidden | unauthorized")
    org.classic_expenses = mode
    return {"tenantId": org.tenant_id, "classicExpenses": mode}


def _doc(org: Org, request: Request, credit: bool = False) -> Any:
    coll = org.credit_notes if credit else org.invoices
    doc = coll.get(request.path_params["id"].lower())
    if doc is None:
        raise ControlError("unknown document", 404)
    return doc


def _apply(sb: Sandbox, org: Org, body: dict[str, Any], existing: Any, credit: bool) -> Any:
    doc, errors = apply_invoice(sb, org, body, existing, None, credit)
    if errors:
        raise ControlError("; ".join(errors))
    return S.credit_note_json(org, doc, True) if credit else S.invoice_json(org, doc, True)


def documents(sb: Sandbox, request: Request, body: dict[str, Any]) -> Any:
    """Create (no id) or edit (with id) an invoice or credit note with an Invoice-shaped body."""
    org = _org(sb, request)
    credit = "credit" in request.url.path
    existing = _doc(org, request, credit) if "id" in request.path_params else None
    return _apply(sb, org, body, existing, credit)


def document_action(sb: Sandbox, request: Request, body: dict[str, Any]) -> Any:
    """approve | submit | void | delete | pay {amount?, date?} | touch."""
    org = _org(sb, request)
    credit = "credit" in request.url.path
    doc = _doc(org, request, credit)
    action = request.path_params["action"]
    target = {
        "approve": "AUTHORISED",
        "submit": "SUBMITTED",
        "void": "VOIDED",
        "delete": "DELETED",
    }.get(action)
    if target:
        return _apply(sb, org, {"Status": target}, doc, credit)
    if action == "pay" and not credit:
        if doc.status != "AUTHORISED":
            raise ControlError("Payments can only be made against authorised documents")
        amount = Decimal(str(body.get("amount", doc.amount_due)))
        if amount <= 0 or amount > doc.amount_due:
            raise ControlError("The payment amount must be between 0 and the amount due")
        day = parse_body_date(body.get("date")) or sb.clock.today()
        record_payment(sb, org, doc, amount, day)
        return S.invoice_json(org, doc, True)
    if action == "touch":
        with sb.lock:
            sb.touch(org, org.credit_notes if credit else org.invoices, doc)
        return S.credit_note_json(org, doc, True) if credit else S.invoice_json(org, doc, True)
    raise ControlError(f"unknown action {action}", 404)


CONTACT_FIELDS = {
    "Name": "name",
    "FirstName": "first_name",
    "LastName": "last_name",
    "EmailAddress": "email",
    "ContactNumber": "number",
    "AccountNumber": "account_number",
    "DefaultCurrency": "default_currency",
    "IsCustomer": "is_customer",
    "IsSupplier": "is_supplier",
}


def contacts(sb: Sandbox, request: Request, body: dict[str, Any]) -> Any:
    """Create (no id) or edit a contact with Contact-shaped fields."""
    import uuid

    org = _org(sb, request)
    with sb.lock:
        if "id" in request.path_params:
            c = org.contacts.get(request.path_params["id"].lower())
            if c is None:
                raise ControlError("unknown contact", 404)
        else:
            if not body.get("Name"):
                raise ControlError("Name is required")
            c = Contact(str(uuid.uuid4()), str(body["Name"]), sb.now())
            c.updated = org.stamp(sb.now())
            org.contacts.add(c)
        for key, attr in CONTACT_FIELDS.items():
            if key in body:
                setattr(c, attr, body[key])
        if body.get("ContactStatus") in ("ACTIVE", "ARCHIVED"):
            c.status = body["ContactStatus"]
        sb.touch(org, org.contacts, c)
        for coll in (org.invoices, org.credit_notes):  # documents show the contact's current name
            for d in coll.items.values():
                if d.contact_id == c.id:
                    d.cache.clear()
    return S.contact_json(org, c, True)


def contact_action(sb: Sandbox, request: Request, body: dict[str, Any]) -> Any:
    """archive | unarchive | merge {"into": survivor ContactID}."""
    org = _org(sb, request)
    c = org.contacts.get(request.path_params["id"].lower())
    if c is None:
        raise ControlError("unknown contact", 404)
    action = request.path_params["action"]
    with sb.lock:
        if action in ("archive", "unarchive"):
            c.status = "ARCHIVED" if action == "archive" else "ACTIVE"
            sb.touch(org, org.contacts, c)
        elif action == "merge":
            survivor = org.contacts.get(str(body.get("into", "")).lower())
            if survivor is None or survivor.id == c.id:
                raise ControlError("into: the surviving ContactID")
            for coll in (org.invoices, org.credit_notes):
                for d in [d for d in coll.items.values() if d.contact_id == c.id]:
                    d.contact_id = survivor.id
                    sb.touch(org, coll, d)
            c.status, c.merged_to = "ARCHIVED", survivor.id
            survivor.is_customer |= c.is_customer
            survivor.is_supplier |= c.is_supplier
            sb.touch(org, org.contacts, c)
            sb.touch(org, org.contacts, survivor)
        else:
            raise ControlError(f"unknown action {action}", 404)
    return S.contact_json(org, c, True)


def tracking_option(sb: Sandbox, request: Request, body: dict[str, Any]) -> Any:
    """Add an option to a tracking category by name ({"category": "Client", "name": ...})."""
    import uuid

    from .models import TrackingOption

    org = _org(sb, request)
    cat = next(
        (
            c
            for c in org.tracking.values()
            if c.name.lower() == str(body.get("category", "Client")).lower()
        ),
        None,
    )
    if cat is None or not body.get("name"):
        raise ControlError("category and name are required")
    opt = TrackingOption(
        str(uuid.uuid4()), str(body["name"])[:100], str(body.get("status", "ACTIVE"))
    )
    cat.options.append(opt)
    return S.tracking_json(cat, True)


def snapshot(sb: Sandbox, request: Request, body: dict[str, Any]) -> Any:
    """Compact rows to compare with a synced database (amounts as strings)."""
    org = _org(sb, request)
    kind = request.path_params["kind"]
    if kind in ("invoices", "credit-notes"):
        coll = org.invoices if kind == "invoices" else org.credit_notes
        return [
            {
                "id": d.id,
                "number": d.number,
                "type": d.type,
                "status": d.status,
                "contactId": d.contact_id,
                "date": d.date.isoformat(),
                "currency": d.currency_code,
                "currencyRate": str(d.currency_rate),
                "subTotal": str(d.sub_total),
                "totalTax": str(d.total_tax),
                "total": str(d.total),
                "amountDue": str(d.amount_due),
                "lines": len(d.lines),
                "updatedDateUTC": ms_datetime(d.updated),
                "updated": iso_z(d.updated),
                "updatedMs": dt_ms(d.updated),
            }
            for d in coll.since(None)
        ]
    if kind == "contacts":
        return [
            {
                "id": c.id,
                "name": c.name,
                "status": c.status,
                "mergedTo": c.merged_to,
                "isCustomer": c.is_customer,
                "isSupplier": c.is_supplier,
                "updatedDateUTC": ms_datetime(c.updated),
            }
            for c in org.contacts.since(None)
        ]
    if kind == "pnl":
        start = parse_body_date(request.query_params.get("fromDate"))
        end = parse_body_date(request.query_params.get("toDate"))
        if not start or not end:
            raise ControlError("fromDate and toDate are required")
        return {code: str(v) for code, v in sorted(credit_by_account(org, start, end).items())}
    raise ControlError(f"unknown snapshot {kind}", 404)


def access_log(sb: Sandbox, request: Request, body: dict[str, Any]) -> Any:
    if request.method == "DELETE":
        sb.access_log.clear()
    return sb.access_log[-500:]


def save(sb: Sandbox, request: Request, body: dict[str, Any]) -> Any:
    path = body.get("path") or sb.config.state_file
    if not path:
        raise ControlError("no state file configured")
    sb.save(str(path))
    return {"saved": str(path)}


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

"""The push outbox: approved drafts become DRAFT invoices in Xero exactly once.

For each draft: claim the row (approved -> pushing, committed *before* the call, so a crash
leaves a trace), PUT /Invoices?summarizeErrors=false with the draft's deterministic
Idempotency-Key and unique Reference, and store Xero's InvoiceID in the same transaction that
marks it pushed. When a call may have reached Xero without us hearing the answer (timeout,
dropped connection, 5xx, unreadable body, a crash before the commit), the next attempt first
looks the invoice up by Reference and adopts it if it exists; only then does it PUT again.
A 403 stops the whole push with Xero's message (no retry storm); validation errors stay on the
draft they belong to.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from sqlalchemy import Engine, or_, update
from sqlmodel import select

from xeroflow_core import audit
from xeroflow_core.db import session_scope
from xeroflow_core.eom.billing import parse_month
from xeroflow_core.eom.pricing import existing_lines
from xeroflow_core.models import utcnow
from xeroflow_core.models.eom import EomDraft
from xeroflow_core.settings import Settings
from xeroflow_core.users import SYSTEM, Actor, get_user, require
from xeroflow_core.xero.errors import (
    XeroBadRequest,
    XeroError,
    XeroForbidden,
    XeroMalformed,
    XeroNeedsReconnect,
    XeroRateLimited,
    XeroUnauthorized,
    XeroUnavailable,
    XeroValidationError,
)

log = logging.getLogger("xeroflow.eom")

STALE_PUSHING = timedelta(minutes=5)  # a 'pushing' row older than this was left by a crash


class PushStopped(Exception):
    """Pushing cannot go on for this organisation (403, day limit, reconnect needed)."""


class InvoiceGateway(Protocol):
    """The two calls a push needs (XeroGateway below; tests may wrap it to inject crashes)."""

    def put_invoice(self, invoice: dict[str, Any], idempotency_key: str) -> dict[str, Any]: ...

    def find_by_reference(self, reference: str) -> dict[str, Any] | None: ...


class XeroGateway:
    """PUT and look-up through the sync engineer's XeroClient, for interactive work (it may
    spend the daily reserve) and with no retries of its own on 5xx/timeouts: after those, the
    outbox must look the invoice up before it tries again."""

    def __init__(
        self, engine: Engine, settings: Settings, tenant_id: str, http: Any = None, **opts: Any
    ) -> None:
        from xeroflow_core.xero.client import ClientOptions, XeroClient

        options = ClientOptions(retries=0, **opts)
        self.client = XeroClient(
            engine, settings, tenant_id, http=http, purpose="interactive", options=options
        )

    def close(self) -> None:
        self.client.close()

    def put_invoice(self, invoice: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
        response = self.client.put(
            "Invoices",
            json={"Invoices": [invoice]},
            params={"summarizeErrors": "false", "unitdp": "4"},
            headers={"Idempotency-Key": idempotency_key},
        )
        body = self.client.json(response)
        items = body.get("Invoices") if isinstance(body, dict) else None
        if not items:
            raise XeroMalformed("Xero answered the invoice push without the invoice")
        return items[0]

    def find_by_reference(self, reference: str) -> dict[str, Any] | None:
        quoted = reference.replace('"', '\\"')
        body = self.client.get_json(
            "Invoices", params={"where": f'Type=="ACCREC"&&Reference=="{quoted}"'}
        )
        found = [i for i in body.get("Invoices") or [] if i.get("Reference") == reference]
        return found[0] if found else None


@dataclass
class PushResult:
    pushed: list[str] = field(default_factory=list)  # references
    adopted: list[str] = field(default_factory=list)  # found in Xero after an uncertain call
    failed: dict[str, str] = field(default_factory=dict)  # reference -> Xero's messages
    waiting: dict[str, str] = field(default_factory=dict)  # still approved: retry later
    stopped: str = ""  # why pushing stopped (403, day limit, reconnect)
    stopped_tenants: set[str] = field(default_factory=set)

    def as_dict(self) -> dict[str, Any]:
        return {
            "pushed": self.pushed, "adopted": self.adopted, "failed": self.failed,
            "waiting": self.waiting, "stopped": self.stopped,
        }  # fmt: skip

    def summary(self) -> str:
        text = (
            f"{len(self.pushed) + len(self.adopted)} in Xero, {len(self.failed)} refused, "
            f"{len(self.waiting)} waiting"
        )
        return f"{text}; stopped: {self.stopped}" if self.stopped else text


def _num(value: Decimal) -> str:
    """A quantity or amount for Xero as its exact decimal text (Xero reads numeric strings):
    never through a float, so no digit is lost however long the number is."""
    return format(Decimal(value), "f")


def invoice_body(draft: EomDraft, lines: list) -> dict[str, Any]:
    """The DRAFT invoice as Xero's PUT expects it (Contact by id only, dates as YYYY-MM-DD)."""
    body: dict[str, Any] = {
        "Type": "ACCREC",
        "Status": "DRAFT",
        "Contact": {"ContactID": draft.contact_id},
        "Date": draft.invoice_date.isoformat(),
        "LineAmountTypes": draft.line_amount_types,
        "Reference": draft.reference,
        "LineItems": [
            {
                "Description": ln.description,
                "Quantity": _num(ln.quantity),
                "UnitAmount": _num(ln.unit_amount),
                "AccountCode": ln.account_code,
                "TaxType": ln.tax_type,
            }
            for ln in lines
        ],
    }
    if draft.due_date:
        body["DueDate"] = draft.due_date.isoformat()
    if draft.currency_code:
        body["CurrencyCode"] = draft.currency_code
    return body


def _claim(engine: Engine, draft_id: int, stale_after: timedelta) -> bool:
    """approved (or a stale 'pushing' left by a crash) -> pushing; True if this caller won."""
    now = utcnow()
    with session_scope(engine) as s:
        res = s.execute(
            update(EomDraft)
            .where(
                EomDraft.id == draft_id,
                or_(
                    EomDraft.state == "approved",
                    (EomDraft.state == "pushing") & (EomDraft.updated_at <= now - stale_after),
                ),
            )
            .values(state="pushing", attempts=EomDraft.attempts + 1, uncertain=True, updated_at=now)
        )
        return res.rowcount == 1


def _finish(engine: Engine, draft_id: int, actor: Actor, action: str, **values: Any) -> None:
    with session_scope(engine) as s:
        draft = s.get(EomDraft, draft_id)
        for k, v in values.items():
            setattr(draft, k, v)
        draft.updated_at = utcnow()
        s.add(draft)
        audit.record(s, actor, action, draft.reference, state=draft.state,
                     invoice=draft.xero_invoice_number, error=draft.error)  # fmt: skip


def _pushed_values(inv: dict[str, Any]) -> dict[str, Any]:
    return {
        "state": "pushed", "uncertain": False, "error": "", "pushed_at": utcnow(),
        "xero_invoice_id": str(inv.get("InvoiceID") or ""),
        "xero_invoice_number": str(inv.get("InvoiceNumber") or ""),
        "xero_status": str(inv.get("Status") or ""),
    }  # fmt: skip


def _fail(
    engine: Engine, draft_id: int, actor: Actor, ref: str, msg: str, result: PushResult
) -> PushResult:
    """Xero refused this draft (or what it holds under its reference is not this draft)."""
    _finish(engine, draft_id, actor, "eom.push_failed", state="failed", uncertain=False, error=msg)
    result.failed[ref] = msg
    return result


def _total(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def adoption_problem(found: dict[str, Any], contact_id: str, total: Decimal, ref: str) -> str:
    """Why the invoice Xero holds under our reference is not this draft's ('' if it is): an
    invoice is adopted only when its contact (case-insensitive) and total are the draft's."""
    number = str(found.get("InvoiceNumber") or found.get("InvoiceID") or "")
    contact = str((found.get("Contact") or {}).get("ContactID") or "")
    if contact.lower() != (contact_id or "").lower():
        return (
            f"Xero already has invoice {number} with reference {ref} for another contact: "
            "change the reference pattern in Billing"
        )
    theirs = _total(found.get("Total"))
    if theirs is None or theirs != total:
        return (
            f"Xero already has invoice {number} with reference {ref} and total {theirs}, but "
            f"this draft's total is {total}: check the invoice in Xero (delete or void it if it "
            "is not this draft's), then approve and push again"
        )
    return ""


def _messages(inv: dict[str, Any]) -> list[str]:
    out = [str(e.get("Message")) for e in inv.get("ValidationErrors") or [] if e.get("Message")]
    for ln in inv.get("LineItems") or []:
        out += [str(e.get("Message")) for e in ln.get("ValidationErrors") or [] if e.get("Message")]
    return list(dict.fromkeys(out))


def push_draft(
    engine: Engine,
    gateway: InvoiceGateway,
    draft_id: int,
    actor: Actor = SYSTEM,
    *,
    attempts: int = 3,
    backoff: Callable[[int], float] = lambda n: min(8.0, 0.5 * 2**n),
    stale_after: timedelta = STALE_PUSHING,
    result: PushResult | None = None,
) -> PushResult:
    """Push one approved draft; raises PushStopped when the organisation refuses writes."""
    result = result if result is not None else PushResult()
    with session_scope(engine) as s:
        draft = s.get(EomDraft, draft_id)
        if draft is None:
            return result
        look_first = draft.uncertain or draft.state == "pushing"
    if not _claim(engine, draft_id, stale_after):
        return result  # pushed, failed, edited or being pushed by someone else meanwhile
    with session_scope(engine) as s:  # read after the claim: nobody can edit a 'pushing' draft
        draft = s.get(EomDraft, draft_id)
        body = invoice_body(draft, existing_lines(s, draft.id))
        key, ref = draft.idempotency_key, draft.reference
        contact_id, total = draft.contact_id, draft.total
    last = ""
    for n in range(attempts):
        try:
            if look_first:
                found = gateway.find_by_reference(ref)
                if found is not None:
                    why = adoption_problem(found, contact_id, total, ref)
                    if why:
                        return _fail(engine, draft_id, actor, ref, why, result)
                    _finish(engine, draft_id, actor, "eom.push_adopted", **_pushed_values(found))
                    result.adopted.append(ref)
                    return result
            inv = gateway.put_invoice(body, key)
        except (XeroForbidden, XeroUnauthorized, XeroNeedsReconnect) as exc:
            msg = f"{exc} — {exc.xero_message}. {exc.what_to_do}"
            _finish(
                engine,
                draft_id,
                actor,
                "eom.push_stopped",
                state="approved",
                uncertain=look_first,
                error=msg,
            )
            raise PushStopped(msg) from exc
        except XeroRateLimited as exc:
            msg = f"{exc}. {exc.what_to_do}"
            _finish(
                engine,
                draft_id,
                actor,
                "eom.push_waiting",
                state="approved",
                uncertain=look_first,
                error=msg,
            )
            if exc.scope == "day":
                raise PushStopped(msg) from exc
            result.waiting[ref] = msg
            return result
        except (XeroValidationError, XeroBadRequest) as exc:  # a 400 for the whole request
            msg = "; ".join(getattr(exc, "messages", None) or []) or exc.xero_message
            return _fail(engine, draft_id, actor, ref, msg, result)
        except (XeroUnavailable, XeroMalformed, XeroError) as exc:
            # the call may have reached Xero: look up by reference before the next PUT
            look_first, last = True, f"{exc} ({exc.xero_message})"
            log.info("push %s: %s; attempt %d", ref, last, n + 1)
            if n + 1 < attempts:
                time.sleep(backoff(n))
            continue
        if str(inv.get("StatusAttributeString", "OK")).upper() == "ERROR" or inv.get("HasErrors"):
            msg = "; ".join(_messages(inv)) or "Xero refused the invoice"
            return _fail(engine, draft_id, actor, ref, msg, result)
        _finish(engine, draft_id, actor, "eom.push", **_pushed_values(inv))
        result.pushed.append(ref)
        return result
    msg = f"Xero did not answer ({last}); it will be looked up by reference before retrying"
    _finish(
        engine, draft_id, actor, "eom.push_waiting", state="approved", uncertain=True, error=msg
    )
    result.waiting[ref] = msg
    return result


GatewayFactory = Callable[[str], InvoiceGateway]


def push_month(
    engine: Engine,
    settings: Settings,
    actor: Actor,
    month: str | date,
    *,
    tenant_id: str | None = None,
    draft_ids: list[int] | None = None,
    gateway_factory: GatewayFactory | None = None,
    **push_opts: Any,
) -> PushResult:
    """Push the month's approved drafts (and finish any left 'pushing' by a crash)."""
    require(actor, "push_eom")
    first = parse_month(month)
    result = PushResult()
    with session_scope(engine) as s:
        q = select(EomDraft).where(
            EomDraft.month == first,
            EomDraft.state.in_(("approved", "pushing")),  # type: ignore[attr-defined]
        )
        if tenant_id:
            q = q.where(EomDraft.tenant_id == tenant_id)
        if draft_ids:
            q = q.where(EomDraft.id.in_(draft_ids))  # type: ignore[union-attr]
        todo = [(d.tenant_id, d.id) for d in s.exec(q.order_by(EomDraft.id))]
    factory = gateway_factory or (lambda t: XeroGateway(engine, settings, t))
    gateways: dict[str, InvoiceGateway] = {}
    try:
        for tenant, draft_id in todo:
            if tenant in result.stopped_tenants:
                continue
            if not _can_write(engine, tenant):
                result.stopped = (
                    "Xero refused writes for this organisation earlier (403): reconnect Xero with "
                    "a user who may create invoices, then push again"
                )
                result.waiting[f"draft {draft_id}"] = result.stopped
                continue
            gw = gateways.get(tenant) or gateways.setdefault(tenant, factory(tenant))
            try:
                push_draft(engine, gw, draft_id, actor, result=result, **push_opts)
            except PushStopped as exc:
                result.stopped = str(exc)
                result.waiting[f"draft {draft_id}"] = str(exc)
                result.stopped_tenants.add(tenant)
    finally:
        for gw in gateways.values():
            close = getattr(gw, "close", None)
            if close:
                close()
    audit.record(engine, actor, "eom.push_run", f"{first:%Y-%m}", **result.as_dict())
    return result


def _can_write(engine: Engine, tenant_id: str) -> bool:
    from xeroflow_core.xero.tokens import can_write

    return bool(can_write(engine, tenant_id))


def _field(request: Any, name: str) -> Any:
    if isinstance(request, dict):
        return request.get(name)
    return getattr(request, name, None)


def requester(engine: Engine, request: Any) -> Actor:
    """The person who asked for the push, with their role as it is *now* in the users table
    (a user since disabled or demoted is refused by push_month); no requester: SYSTEM."""
    username = str(_field(request, "requested_by") or "").strip()
    if not username or username == SYSTEM.username:
        return SYSTEM
    user = get_user(engine, username)
    if user is None or user.disabled:
        return Actor(username, "")  # no role: require() refuses with the username in the text
    return Actor(user.username, user.role)


def handle_push_request(engine: Engine, settings: Settings, request: Any) -> dict[str, Any]:
    """The worker's entry point for an "eom_push" work request (params: month, draft_ids),
    run as the user who asked for it (audited under their name)."""
    params = _field(request, "params")
    if params is None and isinstance(request, dict):
        params = request
    params = params or {}
    tenant = _field(request, "tenant_id")
    result = push_month(
        engine, settings, requester(engine, request), params["month"], tenant_id=tenant or None,
        draft_ids=[int(i) for i in params.get("draft_ids") or []] or None,
    )  # fmt: skip
    return result.as_dict() | {"summary": result.summary()}

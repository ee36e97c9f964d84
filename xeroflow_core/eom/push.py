"""The push outbox: approved drafts become DRAFT invoices in Xero exactly once.

For each draft: claim it (claims.py: approved -> pushing, with an owner and a token, committed
*before* the call so a crash leaves a trace), PUT /Invoices?summarizeErrors=false with its
Idempotency-Key (installation, organisation, client, month, revision) and unique Reference, and
store Xero's InvoiceID in the same transaction that marks it pushed, only if the claim is still
ours. A draft that was claimed before (taken over from a silent push, or sent by an earlier one),
whose earlier call may have reached Xero, or of a month a restored database may have pushed
elsewhere is first looked up by Reference and adopted if Xero has it; only then is it PUT.
A 403 stops the whole push with Xero's message (no retry storm); validation errors stay on their
draft; after a 429 or an unanswered call the draft waits, approved, with the time to try again,
and the worker queues that retry itself.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from sqlmodel import select

from xeroflow_core import audit, installation
from xeroflow_core.actor import SYSTEM, Actor
from xeroflow_core.db import session_scope
from xeroflow_core.eom import claims
from xeroflow_core.eom.billing import parse_month
from xeroflow_core.eom.claims import STALE_PUSHING, Claim, ClaimLost
from xeroflow_core.eom.gateway import (
    InvoiceGateway,
    XeroGateway,
    adoption_problem,
    invoice_body,
    messages,
)
from xeroflow_core.eom.pricing import existing_lines, idempotency_key
from xeroflow_core.models import utcnow
from xeroflow_core.models.eom import EomDraft
from xeroflow_core.settings import Settings
from xeroflow_core.users import get_user, require
from xeroflow_core.work import submit
from xeroflow_core.xero.connections import can_write
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

__all__ = [
    "STALE_PUSHING", "InvoiceGateway", "PushResult", "PushStopped", "XeroGateway",
    "handle_push_request", "invoice_body", "push_draft", "push_month",
]  # fmt: skip

log = logging.getLogger("xeroflow.eom")

UNANSWERED_RETRY = timedelta(minutes=1)  # Xero did not answer: the worker tries again after this
MAX_REQUEUES = 20  # the worker's automatic retries of one push request, in a row


class PushStopped(Exception):
    """Pushing cannot go on for this organisation (403, day limit, reconnect needed)."""


@dataclass
class PushResult:
    pushed: list[str] = field(default_factory=list)  # references
    adopted: list[str] = field(default_factory=list)  # found in Xero after an uncertain call
    failed: dict[str, str] = field(default_factory=dict)  # reference -> Xero's messages
    waiting: dict[str, str] = field(default_factory=dict)  # still approved: retry later
    held: dict[str, str] = field(default_factory=dict)  # another pusher holds it: who, until when
    lost: dict[str, str] = field(
        default_factory=dict
    )  # claim taken over by another pusher: nothing written
    took_over: list[str] = field(default_factory=list)  # claims taken over from a silent pusher
    stopped: str = ""  # why pushing stopped (403, day limit, reconnect, restored database)
    stopped_tenants: set[str] = field(default_factory=set)
    retry_ids: list[int] = field(default_factory=list)  # drafts worth another push at retry_at
    retry_at: datetime | None = None

    def later(self, draft_id: int, at: datetime) -> None:
        self.retry_ids.append(draft_id)
        self.retry_at = at if self.retry_at is None else max(self.retry_at, at)

    def as_dict(self) -> dict[str, Any]:
        return {
            "pushed": self.pushed, "adopted": self.adopted, "failed": self.failed,
            "waiting": self.waiting, "held": self.held, "lost": self.lost,
            "took_over": self.took_over, "stopped": self.stopped,
            "retry_at": self.retry_at.isoformat() if self.retry_at else None,
        }  # fmt: skip

    def summary(self) -> str:
        text = (
            f"{len(self.pushed) + len(self.adopted)} in Xero, {len(self.failed)} refused, "
            f"{len(self.waiting)} waiting"
        )
        if self.held:
            text += f", {len(self.held)} being pushed by another pusher"
        if self.lost:
            text += f", {len(self.lost)} taken over by another pusher"
        return f"{text}; stopped: {self.stopped}" if self.stopped else text

    def lines(self) -> list[str]:
        """Each draft that is not in Xero yet, and why, for the CLI."""
        return [f"{ref}: {msg}" for part in (self.failed, self.waiting, self.held, self.lost)
                for ref, msg in part.items()]  # fmt: skip


def _pushed_values(inv: dict[str, Any]) -> dict[str, Any]:
    return {
        "state": "pushed", "uncertain": False, "error": "", "pushed_at": utcnow(),
        "xero_invoice_id": str(inv.get("InvoiceID") or ""),
        "xero_invoice_number": str(inv.get("InvoiceNumber") or ""),
        "xero_status": str(inv.get("Status") or ""),
    }  # fmt: skip


def _again(at: datetime, worker: bool) -> str:
    when = f"{at:%H:%M:%S} UTC"
    return f"the worker pushes it again after {when}" if worker else f"push again after {when}"


@dataclass
class _Job:
    """One claimed draft on its way to Xero."""

    claim: Claim
    actor: Actor
    body: dict[str, Any]
    key: str
    ref: str
    contact_id: str
    total: Any
    look_first: bool
    worker: bool

    def finish(self, action: str, **values: Any) -> None:
        """The last write, fenced on the claim; the row keeps the key this push sent."""
        self.claim.finish(self.actor, action, idempotency_key=self.key, **values)

    def fail(self, msg: str, result: PushResult) -> PushResult:
        """Xero refused this draft (or what it holds under its reference is not this draft)."""
        self.finish("eom.push_failed", state="failed", uncertain=False, error=msg)
        result.failed[self.ref] = msg
        return result

    def wait(self, msg: str, at: datetime, result: PushResult, *, uncertain: bool) -> PushResult:
        self.finish("eom.push_waiting", state="approved", uncertain=uncertain, error=msg)
        result.waiting[self.ref] = msg
        result.later(self.claim.draft_id, at)
        return result


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
    inst: installation.InstallationState | None = None,
    worker: bool = False,
) -> PushResult:
    """Push one approved draft; raises PushStopped when the organisation refuses writes.
    `worker`: the worker requeues what waits, and the messages say so."""
    result = result if result is not None else PushResult()
    inst = inst or installation.current(engine)
    claim = claims.take(engine, draft_id, f"{claims.PROCESS} as {actor.username}", stale_after)
    if claim is None:
        _note_holder(engine, draft_id, stale_after, result)
        return result
    if claim.took_over_from:
        result.took_over.append(claim.reference)
    try:
        with session_scope(engine) as s:  # read after the claim: nobody edits a claimed draft
            d = s.get(EomDraft, draft_id)
            key = idempotency_key(inst.installation_id, d.tenant_id, d.client_id, d.month,
                                  d.revision)  # fmt: skip
            job = _Job(claim, actor, invoice_body(d, existing_lines(s, d.id)), key, d.reference,
                       d.contact_id, d.total, claim.look_first or inst.looks_up_first(d.month),
                       worker)  # fmt: skip
        gateway.heartbeat = claim.renew  # before each request goes out, and while one waits
        return _push(gateway, job, attempts, backoff, result)
    except ClaimLost as exc:
        log.warning("%s", exc)
        result.lost[claim.reference] = str(exc)
        return result
    finally:
        gateway.heartbeat = None


def _push(
    gateway: InvoiceGateway, job: _Job, attempts: int, backoff: Callable[[int], float],
    result: PushResult,
) -> PushResult:  # fmt: skip
    last = ""
    for n in range(attempts):
        try:
            job.claim.renew()  # still ours, and alive: before every call to Xero
            if job.look_first:
                found = gateway.find_by_reference(job.ref)
                if found is not None:
                    why = adoption_problem(found, job.contact_id, job.total, job.ref)
                    if why:
                        return job.fail(why, result)
                    job.finish("eom.push_adopted", **_pushed_values(found))
                    result.adopted.append(job.ref)
                    return result
            inv = gateway.put_invoice(job.body, job.key)
        except (XeroForbidden, XeroUnauthorized, XeroNeedsReconnect) as exc:
            msg = f"{exc} — {exc.xero_message}. {exc.what_to_do}"
            job.finish("eom.push_stopped", state="approved", uncertain=job.look_first, error=msg)
            raise PushStopped(msg) from exc
        except XeroRateLimited as exc:
            at = utcnow() + timedelta(seconds=exc.retry_after)
            msg = f"Xero answered 429 ({exc.scope} limit): not pushed yet; {_again(at, job.worker)}"
            job.wait(msg, at, result, uncertain=job.look_first)
            if exc.scope == "day":
                raise PushStopped(msg) from exc
            return result
        except (XeroValidationError, XeroBadRequest) as exc:  # a 400 for the whole request
            msg = "; ".join(getattr(exc, "messages", None) or []) or exc.xero_message
            return job.fail(msg, result)
        except (XeroUnavailable, XeroMalformed, XeroError) as exc:
            # the call may have reached Xero: look up by reference before the next PUT
            job.look_first, last = True, f"{exc} ({exc.xero_message})"
            log.info("push %s: %s; attempt %d", job.ref, last, n + 1)
            if n + 1 < attempts:
                time.sleep(backoff(n))
            continue
        if str(inv.get("StatusAttributeString", "OK")).upper() == "ERROR" or inv.get("HasErrors"):
            return job.fail("; ".join(messages(inv)) or "Xero refused the invoice", result)
        job.finish("eom.push", **_pushed_values(inv))
        result.pushed.append(job.ref)
        return result
    at = utcnow() + UNANSWERED_RETRY
    msg = (
        f"Xero did not answer ({last}); it will be looked up by reference before it is pushed "
        f"again; {_again(at, job.worker)}"
    )
    return job.wait(msg, at, result, uncertain=True)


def _note_holder(engine: Engine, draft_id: int, stale_after: timedelta, result: PushResult) -> None:
    """Not claimed: if another pusher holds it, say who and until when (a retry may finish it
    then, should that pusher have died)."""
    with session_scope(engine) as s:
        row = s.get(EomDraft, draft_id)
    if row is not None and row.state == "pushing":
        result.held[row.reference] = claims.holder_message(row, stale_after)
        result.later(draft_id, claims.held_until(row, stale_after) + timedelta(seconds=1))


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
    """Push the month's approved drafts (and finish any left 'pushing' by a dead push)."""
    require(actor, "push_eom")
    first = parse_month(month)
    result = PushResult()
    try:
        inst = installation.check_can_push(engine)
    except installation.RestoredCopy as exc:
        result.stopped = str(exc)
        audit.record(engine, actor, "eom.push_run", f"{first:%Y-%m}", **result.as_dict())
        return result
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
    writable: dict[str, bool] = {}  # read once per organisation; a 403 mid-run stops it below
    try:
        for tenant, draft_id in todo:
            if tenant in result.stopped_tenants:
                continue
            if tenant not in writable:
                writable[tenant] = can_write(engine, tenant)
            if not writable[tenant]:
                result.stopped = (
                    "Xero refused writes for this organisation earlier (403): reconnect Xero with "
                    "a user who may create invoices, then push again"
                )
                result.waiting[f"draft {draft_id}"] = result.stopped
                continue
            gw = gateways.get(tenant) or gateways.setdefault(tenant, factory(tenant))
            try:
                push_draft(engine, gw, draft_id, actor, result=result, inst=inst, **push_opts)
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
    """The worker's entry point for an "eom_push" work request (params: month, draft_ids,
    retry), run as the user who asked for it (audited under their name). Drafts that wait (a
    429, no answer from Xero, another pusher holding them) are queued again for the time they
    can go, up to MAX_REQUEUES times in a row."""
    params = _field(request, "params")
    if params is None and isinstance(request, dict):
        params = request
    params = params or {}
    tenant = _field(request, "tenant_id")
    retry = int(params.get("retry") or 0)
    actor = requester(engine, request)
    result = push_month(
        engine, settings, actor, params["month"], tenant_id=tenant or None,
        draft_ids=[int(i) for i in params.get("draft_ids") or []] or None,
        worker=retry < MAX_REQUEUES,
    )  # fmt: skip
    out = result.as_dict() | {"summary": result.summary()}
    if result.retry_ids and result.retry_at and not result.stopped:
        if retry < MAX_REQUEUES:
            again = {"month": params["month"], "draft_ids": sorted(set(result.retry_ids)),
                     "retry": retry + 1}  # fmt: skip
            out["requeued"] = submit(
                engine, actor, "eom_push", tenant, again, not_before=result.retry_at
            )
            out["summary"] += (
                f"; the worker tries again after {result.retry_at:%H:%M:%S} UTC "
                f"(push #{out['requeued']})"
            )
        else:
            out["summary"] += "; not retried automatically any more: push them again"
    return out

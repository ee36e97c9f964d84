"""Who may write a draft, on SQLite and PostgreSQL alike.

A push *claims* a draft (approved, or 'pushing' but silent for longer than the takeover limit ->
pushing) with an owner and a fresh token. Every later write of that push is a compare-and-set on
the token (`UPDATE ... WHERE state = 'pushing' AND claim_token = :mine`), so a push that was taken
for dead and taken over writes nothing when it wakes up; it renews the claim (updated_at) before
each call and while it waits on Xero's Retry-After, so a slow push is not taken for a dead one.

A person's edit (or a regeneration) *holds* a draft: one conditional UPDATE on the state,
revision, attempts and uncertain flag it read, as the first write of its transaction. Zero rows
means a push or another edit came between the read and the write: the edit is refused. Once
held, SQLite's write lock (or PostgreSQL's row lock) makes a push's claim wait for the commit.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, update
from sqlmodel import Session, select

from xeroflow_core import audit
from xeroflow_core.actor import Actor
from xeroflow_core.db import session_scope
from xeroflow_core.models import utcnow
from xeroflow_core.models.eom import EomDraft

log = logging.getLogger("xeroflow.eom")

STALE_PUSHING = timedelta(minutes=5)  # a claim not renewed for this long belongs to a dead push
PROCESS = f"{socket.gethostname()}:{os.getpid()}"


class ClaimLost(RuntimeError):
    """Another push took this draft over: this one must not call Xero or write any more."""


def _fenced(draft_id: int, token: str) -> Any:
    return update(EomDraft).where(
        EomDraft.id == draft_id, EomDraft.state == "pushing", EomDraft.claim_token == token
    )


@dataclass
class Claim:
    """A push's hold on one draft; every write goes through it."""

    engine: Engine
    draft_id: int
    token: str
    owner: str
    reference: str
    look_first: bool  # claimed before (taken over, or sent by an earlier push) or uncertain
    took_over_from: str = ""  # the silent claim this one replaced: its owner, last renewal

    def renew(self, _waiting_s: float = 0.0) -> None:
        """The heartbeat: still ours? then alive as of now. Raises ClaimLost otherwise. The Xero
        client calls it right before each request goes out and while it waits on Retry-After,
        so a pusher that was taken for dead sends nothing more."""
        with self.engine.begin() as conn:
            res = conn.execute(_fenced(self.draft_id, self.token).values(updated_at=utcnow()))
        if res.rowcount != 1:
            raise ClaimLost(lost_message(self.engine, self.draft_id, self.reference))

    def finish(self, actor: Actor, action: str, **values: Any) -> None:
        """The push's last write (pushed, failed, back to approved), only if still ours."""
        values |= {"claim_token": "", "updated_at": utcnow()}
        with session_scope(self.engine) as s:
            res = s.execute(_fenced(self.draft_id, self.token).values(**values))
            if res.rowcount != 1:
                raise ClaimLost(lost_message(self.engine, self.draft_id, self.reference))
            audit.record(s, actor, action, self.reference, state=values.get("state"),
                         invoice=values.get("xero_invoice_number"), error=values.get("error"))  # fmt: skip


def take(
    engine: Engine, draft_id: int, owner: str, stale_after: timedelta = STALE_PUSHING
) -> Claim | None:
    """approved -> pushing, ours; else a 'pushing' claim silent for `stale_after` -> ours (a
    takeover); None if somebody else holds it, or it is no longer approved."""
    now, token = utcnow(), str(uuid.uuid4())
    values = {"state": "pushing", "attempts": EomDraft.attempts + 1,
              "claim_owner": owner[:128], "claim_token": token, "updated_at": now}  # fmt: skip
    took_over_from = ""
    with engine.begin() as conn:
        mine = update(EomDraft).where(EomDraft.id == draft_id).values(**values)
        if conn.execute(mine.where(EomDraft.state == "approved")).rowcount != 1:
            silent = conn.execute(
                select(EomDraft.claim_owner, EomDraft.updated_at).where(EomDraft.id == draft_id)
            ).first()
            stale = mine.where(
                EomDraft.state == "pushing", EomDraft.updated_at <= now - stale_after
            )
            if silent is None or conn.execute(stale).rowcount != 1:
                return None
            took_over_from = f"{silent[0] or 'unknown'}, silent since {silent[1]:%H:%M:%S} UTC"
    with session_scope(engine) as s:
        row = s.get(EomDraft, draft_id)
        if row is None or row.claim_token != token:
            return None  # taken over already (a takeover limit of zero)
        if took_over_from:
            log.warning("push %s: taken over from %s", row.reference, took_over_from)
        return Claim(engine, draft_id, token, owner, row.reference,
                     bool(took_over_from) or row.uncertain or row.attempts > 1, took_over_from)  # fmt: skip


def held_until(row: EomDraft, stale_after: timedelta = STALE_PUSHING) -> datetime:
    """When a silent claim may be taken over (it moves on with every renewal)."""
    return row.updated_at + stale_after


def holder_message(row: EomDraft, stale_after: timedelta = STALE_PUSHING) -> str:
    """Who pushes a 'pushing' draft and until when, in a person's words."""
    return (
        f"being pushed by another pusher ({row.claim_owner or 'unknown'}), alive at "
        f"{row.updated_at:%H:%M:%S} UTC; if it stays silent it is taken over after "
        f"{held_until(row, stale_after):%H:%M:%S} UTC"
    )


def lost_message(engine: Engine, draft_id: int, reference: str) -> str:
    with session_scope(engine) as s:
        row = s.get(EomDraft, draft_id)
    now = "gone" if row is None else row.state
    if row is not None and row.state == "pushing":
        now = holder_message(row)
    return (
        f"draft {reference}: another pusher took it over while this one waited; this one "
        f"wrote nothing (the draft is {now})"
    )


def hold(s: Session, draft: EomDraft) -> bool:
    """Take hold of a draft read in this session, if nobody changed it since (see above).
    False: a push or another edit came first; the caller refuses and writes nothing."""
    res = s.execute(
        update(EomDraft)
        .where(
            EomDraft.id == draft.id,
            EomDraft.state == draft.state,
            EomDraft.revision == draft.revision,
            EomDraft.attempts == draft.attempts,
            EomDraft.uncertain == draft.uncertain,
        )
        .values(updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return res.rowcount == 1


def state_now(s: Session, draft_id: int) -> str:
    """The draft's state as committed by others (for the message of a refused edit)."""
    return s.exec(select(EomDraft.state).where(EomDraft.id == draft_id)).first() or "gone"

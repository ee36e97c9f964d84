"""The audit log: one function records who did what, when, to what."""

from __future__ import annotations

import json

from sqlalchemy import Engine
from sqlmodel import Session, select

from xeroflow_core.actor import Actor
from xeroflow_core.db import session_scope
from xeroflow_core.models import AuditLog


def record(
    target_session_or_engine: Session | Engine,
    actor: Actor,
    action: str,
    target: str = "",
    **detail: object,
) -> AuditLog:
    """Write an audit row. Pass the caller's Session to commit it with the change itself
    (the row is returned; flush the session to read its id)."""
    row = AuditLog(
        username=actor.username,
        action=action,
        target=target,
        detail=json.loads(json.dumps(detail, default=str)),
    )
    if isinstance(target_session_or_engine, Session):
        target_session_or_engine.add(row)
        return row
    with session_scope(target_session_or_engine) as s:
        s.add(row)
    return row


def recent(
    engine: Engine, limit: int = 200, action: str | None = None, username: str | None = None
) -> list[AuditLog]:
    """The newest audit rows, optionally of one action and/or one user."""
    with session_scope(engine) as s:
        q = select(AuditLog).order_by(AuditLog.id.desc()).limit(limit)
        if action:
            q = q.where(AuditLog.action == action)
        if username:
            q = q.where(AuditLog.username == username)
        return list(s.exec(q))


def actions(engine: Engine, username: str | None = None) -> list[str]:
    """The distinct actions recorded (optionally by one user), sorted: the audit log's filter."""
    with session_scope(engine) as s:
        q = select(AuditLog.action).distinct().order_by(AuditLog.action)
        if username:
            q = q.where(AuditLog.username == username)
        return list(s.exec(q))


def usernames(engine: Engine) -> list[str]:
    """The distinct users who appear in the audit log, sorted: the audit log's user filter."""
    with session_scope(engine) as s:
        return list(s.exec(select(AuditLog.username).distinct().order_by(AuditLog.username)))

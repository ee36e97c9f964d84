"""Signing in: passwords checked, guessing slowed, sessions kept on the server.

A successful sign-in opens a server-side session; the browser keeps only its random id in a
cookie. The database stores an HMAC of that id keyed by the cookie key, so a copy of the
database cannot be turned into a cookie, and a cookie stops working the moment its session
ends (sign-out, expiry, or the user disabled).

Guessing is slowed per user name and per client (the browser's address): each failure
pauses longer than the last, and after a few failures within a window the name (or the
client) is locked for a while. An unknown user name costs the same bcrypt check and pause
as a wrong password, so the answer does not say which names exist.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import bcrypt
from sqlalchemy import Engine, func, not_
from sqlmodel import select

from xeroflow_core import audit
from xeroflow_core.actor import Actor
from xeroflow_core.db import session_scope
from xeroflow_core.models import SignInAttempt, SignInSession, User, utcnow
from xeroflow_core.settings import Settings
from xeroflow_core.users import MAX_PASSWORD_BYTES

log = logging.getLogger(__name__)

FAILURE_WINDOW = timedelta(minutes=15)
USER_FAILURE_LIMIT = 5  # failures for one user name within the window, then a lock
CLIENT_FAILURE_LIMIT = 20  # failures from one client within the window, then a lock
MAX_PAUSE_SECONDS = 8.0
INCORRECT = "Username or password is incorrect."


@dataclass(frozen=True)
class SignInResult:
    """What a sign-in attempt gave: an actor and the new session's cookie value, or a message."""

    actor: Actor | None
    token: str = ""
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.actor is not None


@lru_cache(maxsize=1)
def _decoy_hash() -> bytes:
    """A hash to check unknown names against, so they cost what a real check costs."""
    return bcrypt.hashpw(secrets.token_bytes(16), bcrypt.gensalt(rounds=12))


def _session_key(settings: Settings, token: str) -> str:
    return hmac.new(settings.cookie_key.encode(), token.encode(), hashlib.sha256).hexdigest()


def _password_matches(password: str, user: User | None) -> bool:
    raw = password.encode()
    if len(raw) > MAX_PASSWORD_BYTES:
        raw = raw[:MAX_PASSWORD_BYTES]  # still pay for a check; the answer is "no" below
        bcrypt.checkpw(raw, _decoy_hash())
        return False
    stored = user.password_hash.encode() if user is not None else _decoy_hash()
    try:
        matched = bcrypt.checkpw(raw, stored)
    except ValueError:  # a malformed stored hash never signs anyone in
        return False
    return matched and user is not None and not user.disabled


def _failures_since(session, column, value: str, since: datetime) -> tuple[int, datetime | None]:  # noqa: ANN001
    """Failures for this name (or client) after `since` and after the last success."""
    last_ok = session.exec(
        select(func.max(SignInAttempt.at)).where(column == value, SignInAttempt.ok)
    ).one()
    start = max(since, last_ok) if last_ok is not None else since
    count, latest = session.exec(
        select(func.count(), func.max(SignInAttempt.at)).where(
            column == value,
            not_(SignInAttempt.ok),
            SignInAttempt.at > start,
        )
    ).one()
    return int(count), latest


def _locked_for(engine: Engine, username: str, client: str) -> timedelta | None:
    """How long this name or client stays locked, or None when it may try."""
    now = utcnow()
    with session_scope(engine) as s:
        checks = [(SignInAttempt.username, username, USER_FAILURE_LIMIT)]
        if client:
            checks.append((SignInAttempt.client, client, CLIENT_FAILURE_LIMIT))
        for column, value, limit in checks:
            count, latest = _failures_since(s, column, value, now - FAILURE_WINDOW)
            if count >= limit and latest is not None and latest + FAILURE_WINDOW > now:
                return latest + FAILURE_WINDOW - now
    return None


def _minutes(wait: timedelta) -> str:
    minutes = max(1, int(wait.total_seconds() // 60) + (1 if wait.total_seconds() % 60 else 0))
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def _record(engine: Engine, username: str, client: str, ok: bool) -> int:
    """Store the attempt and audit it; returns the failures now counted against the name."""
    with session_scope(engine) as s:
        s.add(SignInAttempt(username=username, client=client[:100], ok=ok))
        action = "user.sign_in" if ok else "user.sign_in_failed"
        audit.record(s, Actor(username or "(blank)", ""), action, f"user:{username}", client=client)
        s.flush()
        count, _ = _failures_since(s, SignInAttempt.username, username, utcnow() - FAILURE_WINDOW)
    return count


def sign_in(
    engine: Engine,
    settings: Settings,
    username: str,
    password: str,
    client: str = "",
    *,
    pause: Callable[[float], None] = time.sleep,
) -> SignInResult:
    """Check a user name and password; on success open a server-side session.

    `client` names where the attempt came from (the browser's address) for the per-client
    limit. Failures pause `settings.login_sleep_time` doubled per recent failure."""
    name = username.strip().lower()[:64]
    locked = _locked_for(engine, name, client)
    if locked is not None:
        audit.record(engine, Actor(name or "(blank)", ""), "user.sign_in_locked", f"user:{name}",
                     client=client)  # fmt: skip
        return SignInResult(
            None, message=f"Too many failed sign-ins. Try again in {_minutes(locked)}."
        )
    with session_scope(engine) as s:
        user = s.exec(select(User).where(User.username == name)).first()
        if user is not None:
            s.expunge(user)
    if not _password_matches(password, user):
        failures = _record(engine, name, client, ok=False)
        pause(min(MAX_PAUSE_SECONDS, settings.login_sleep_time * 2 ** max(0, failures - 1)))
        if failures >= USER_FAILURE_LIMIT:
            return SignInResult(None, message=f"{INCORRECT} Too many failed sign-ins: try again "
                                f"in {_minutes(FAILURE_WINDOW)}.")  # fmt: skip
        return SignInResult(None, message=INCORRECT)
    assert user is not None  # _password_matches is False without a user
    _record(engine, name, client, ok=True)
    token = secrets.token_urlsafe(32)
    now = utcnow()
    with session_scope(engine) as s:
        s.add(
            SignInSession(
                key=_session_key(settings, token),
                username=user.username,
                client=client[:100],
                created_at=now,
                expires_at=now + timedelta(days=settings.cookie_expiry_days),
            )
        )
    return SignInResult(Actor(user.username, user.role), token=token)


def session_actor(engine: Engine, settings: Settings, token: str) -> Actor | None:
    """The user a session cookie stands for, with the role the database holds now; None when
    the session is unknown, ended, expired, or its user is disabled or gone."""
    if not token or len(token) > 200:
        return None
    with session_scope(engine) as s:
        row = s.exec(
            select(SignInSession, User)
            .join(User, User.username == SignInSession.username)
            .where(SignInSession.key == _session_key(settings, token))
        ).first()
        if row is None:
            return None
        sess, user = row
        if sess.ended_at is not None or sess.expires_at <= utcnow() or user.disabled:
            return None
        return Actor(user.username, user.role)


def sign_out(engine: Engine, settings: Settings, token: str) -> None:
    """End the session on the server: its cookie, wherever a copy of it is, signs in no more."""
    if not token:
        return
    with session_scope(engine) as s:
        sess = s.exec(
            select(SignInSession).where(SignInSession.key == _session_key(settings, token))
        ).first()
        if sess is None or sess.ended_at is not None:
            return
        sess.ended_at = utcnow()
        audit.record(s, Actor(sess.username, ""), "user.sign_out", f"user:{sess.username}")

"""Signing in on the server: sessions that end, guessing slowed and locked, unknown names
treated like wrong passwords. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import select

from xeroflow_core import audit
from xeroflow_core.actor import SYSTEM
from xeroflow_core.db import session_scope
from xeroflow_core.models import SignInAttempt, SignInSession
from xeroflow_core.settings import Settings
from xeroflow_core.signin import (
    CLIENT_FAILURE_LIMIT,
    USER_FAILURE_LIMIT,
    session_actor,
    sign_in,
    sign_out,
)
from xeroflow_core.users import add_user, set_disabled

PASSWORD = "correct-horse-battery"


@pytest.fixture
def cfg() -> Settings:
    return Settings(login_sleep_time=0.5)


@pytest.fixture
def pauses() -> list[float]:
    return []


@pytest.fixture
def user(engine):
    return add_user(engine, "pat", PASSWORD, "partner", actor=SYSTEM)


def attempt(engine, cfg, pauses, username="pat", password=PASSWORD, client="10.0.0.1"):
    return sign_in(engine, cfg, username, password, client, pause=pauses.append)


def test_a_session_signs_in_until_it_is_ended(engine, cfg, pauses, user) -> None:
    result = attempt(engine, cfg, pauses)
    assert result.ok and result.actor.role == "partner" and len(result.token) >= 40
    assert pauses == []  # a correct password is never slowed
    assert session_actor(engine, cfg, result.token).username == "pat"
    with session_scope(engine) as s:  # only a keyed hash of the cookie is stored
        stored = s.exec(select(SignInSession)).one()
    assert result.token not in stored.key
    sign_out(engine, cfg, result.token)
    assert session_actor(engine, cfg, result.token) is None
    assert {"user.sign_in", "user.sign_out"} <= {a.action for a in audit.recent(engine)}


def test_a_cookie_signed_with_another_key_is_refused(engine, cfg, pauses, user) -> None:
    token = attempt(engine, cfg, pauses).token
    other = Settings(cookie_key="another-key-of-at-least-thirty-two-characters")
    assert session_actor(engine, other, token) is None
    assert session_actor(engine, cfg, token + "x") is None
    assert session_actor(engine, cfg, "") is None


def test_expired_sessions_and_disabled_users_sign_in_no_more(engine, cfg, pauses, user) -> None:
    token = attempt(engine, cfg, pauses).token
    set_disabled(engine, "pat", True, actor=SYSTEM)
    assert session_actor(engine, cfg, token) is None
    set_disabled(engine, "pat", False, actor=SYSTEM)
    assert session_actor(engine, cfg, token) is None  # disabling ended it for good
    token = attempt(engine, cfg, pauses).token
    assert session_actor(engine, cfg, token) is not None
    with session_scope(engine) as s:
        s.execute(update(SignInSession).values(expires_at=SignInSession.created_at))
    assert session_actor(engine, cfg, token) is None


def test_the_role_is_read_again_on_every_check(engine, cfg, pauses, user) -> None:
    from xeroflow_core.users import set_role

    token = attempt(engine, cfg, pauses).token
    set_role(engine, "pat", "staff", actor=SYSTEM)
    assert session_actor(engine, cfg, token).role == "staff"


def test_failures_pause_longer_each_time_then_lock(engine, cfg, pauses, user) -> None:
    for _ in range(USER_FAILURE_LIMIT):
        result = attempt(engine, cfg, pauses, password="wrong")
        assert not result.ok and "incorrect" in result.message
    assert pauses == [0.5, 1.0, 2.0, 4.0, 8.0]
    assert "Too many failed sign-ins" in result.message
    locked = attempt(engine, cfg, pauses)  # even the right password is refused now
    assert not locked.ok and "Try again in 15 minutes" in locked.message
    assert len(pauses) == USER_FAILURE_LIMIT  # a locked name is refused without a check
    actions = [a.action for a in audit.recent(engine)]
    assert actions.count("user.sign_in_failed") == USER_FAILURE_LIMIT
    assert "user.sign_in_locked" in actions
    with session_scope(engine) as s:  # the window passes: the lock is lifted
        s.execute(update(SignInAttempt).values(at=SignInAttempt.at - timedelta(minutes=16)))
    assert attempt(engine, cfg, pauses).ok


def test_a_success_clears_the_count(engine, cfg, pauses, user) -> None:
    for _ in range(USER_FAILURE_LIMIT - 1):
        attempt(engine, cfg, pauses, password="wrong")
    assert attempt(engine, cfg, pauses).ok
    assert not attempt(engine, cfg, pauses, password="wrong").ok
    assert pauses[-1] == 0.5  # counting starts again after the success


def test_an_unknown_name_costs_what_a_wrong_password_costs(engine, cfg, pauses, user) -> None:
    unknown = attempt(engine, cfg, pauses, username="nobody")
    wrong = attempt(engine, cfg, [], password="wrong")
    assert unknown.message == wrong.message
    assert pauses == [0.5]
    with session_scope(engine) as s:
        names = [a.username for a in s.exec(select(SignInAttempt))]
    assert names == ["nobody", "pat"]


def test_one_client_guessing_many_names_is_locked(engine, cfg, pauses, user) -> None:
    for i in range(CLIENT_FAILURE_LIMIT):
        attempt(engine, cfg, pauses, username=f"guess{i}", password="x")
    result = attempt(engine, cfg, pauses)
    assert not result.ok and "Too many failed sign-ins" in result.message
    assert attempt(engine, cfg, pauses, client="10.0.0.2").ok  # another client may sign in


def test_overlong_and_odd_passwords_are_refused_cleanly(engine, cfg, pauses, user) -> None:
    assert not attempt(engine, cfg, pauses, password="x" * 100).ok
    assert not attempt(engine, cfg, pauses, password="").ok
    assert not attempt(engine, cfg, pauses, username="", password="").ok
    assert not attempt(engine, cfg, pauses, password="😀" * 30).ok

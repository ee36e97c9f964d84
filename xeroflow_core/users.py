"""Users, roles and permissions: the one source of who may do what.

Pages and actions both ask this module: every page (ui/pages.py names each page's permission)
and every service function that changes something calls `require(actor, permission)` or `can`
on the server. Who acts is actor.py; the user store (passwords, demo users) is here too.
"""

from __future__ import annotations

import re

import bcrypt
from sqlalchemy import Engine, update
from sqlmodel import select

from xeroflow_core import audit
from xeroflow_core.actor import SYSTEM, Actor
from xeroflow_core.db import session_scope
from xeroflow_core.models import SignInSession, User, utcnow
from xeroflow_core.settings import SettingsError

ROLES = ("partner", "staff", "admin")

# permission -> roles that hold it
PERMISSIONS: dict[str, frozenset[str]] = {
    "view_sync_status": frozenset({"partner", "staff", "admin"}),
    "view_connection": frozenset({"partner", "staff", "admin"}),
    "manage_connection": frozenset({"admin"}),
    "resync": frozenset({"admin"}),
    "resolve_queue": frozenset({"staff", "admin"}),
    "edit_clients": frozenset({"staff", "admin"}),
    "view_profitability": frozenset({"partner", "admin"}),
    "review_eom": frozenset({"partner", "admin"}),
    "push_eom": frozenset({"admin"}),
    "view_audit": frozenset({"admin"}),
    "manage_users": frozenset({"admin"}),
}


class PermissionDenied(PermissionError):
    """An action was refused on the server because the user's role lacks the permission."""


def can(role: str | None, permission: str) -> bool:
    return role is not None and role in PERMISSIONS[permission]


def require(actor: Actor, permission: str) -> None:
    """Raise PermissionDenied unless the actor's role holds `permission`."""
    if not can(actor.role, permission):
        raise PermissionDenied(f"{actor.username} ({actor.role}) may not {permission}")


# --- user store -----------------------------------------------------------------------------

DEMO_PASSWORD = "xeroflow-demo"
DEMO_USERS = (
    ("admin", "Ada Admin", "admin"),
    ("partner", "Pat Partner", "partner"),
    ("staff", "Sam Staff", "staff"),
)


MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_BYTES = 72  # bcrypt's limit: sign-in refuses longer passwords rather than cut them
# The most common passwords of public breach lists (lower-cased), and ours. A password is
# also refused when it is one of these with digits or symbols added at the end ("Password2024!").
COMMON_PASSWORDS = frozenset(
    (
        "123456", "12345678", "123456789", "1234567890", "0987654321", "0000000000",
        "1111111111", "password", "qwerty", "qwertyuiop", "qwertz", "azerty", "abc", "abcdef",
        "abcdefghij", "1q2w3e4r", "1q2w3e4r5t", "1qaz2wsx", "zaq12wsx", "iloveyou", "admin",
        "administrator", "welcome", "letmein", "monkey", "dragon", "football", "baseball",
        "sunshine", "princess", "trustno", "superman", "starwars", "whatever", "changeme",
        "secret", "default", "guest", "login", "master", "hello", "passw0rd", "p@ssw0rd",
        "xeroflow", "xero", "xeroflow-demo", DEMO_PASSWORD,
    )
)  # fmt: skip


def check_password_strength(password: str, username: str = "") -> None:
    """Refuse a password a guesser would try early: blank, shorter than MIN_PASSWORD_LENGTH,
    one repeated character, a common password (digits or symbols added at the end change
    nothing), or the user name (repeated, with digits and symbols). Raises ValueError with the
    reason."""
    if not password or not password.strip():
        raise ValueError("a password cannot be blank")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"a password has at least {MIN_PASSWORD_LENGTH} characters")
    if len(password.encode()) > MAX_PASSWORD_BYTES:
        raise ValueError(
            f"a password has at most {MAX_PASSWORD_BYTES} bytes (bcrypt reads no more)"
        )
    lowered = password.lower()
    base = re.sub(r"[\d\W_]+$", "", lowered)
    if lowered in COMMON_PASSWORDS or base in COMMON_PASSWORDS:
        raise ValueError("that password is one of the most common ones: choose another")
    if len(set(password)) == 1:
        raise ValueError("a password is more than one character repeated")
    letters = re.sub(r"[\W\d_]+", "", lowered)
    name = re.sub(r"[\W\d_]+", "", username.lower())
    if name and letters and not letters.replace(name, ""):
        raise ValueError("a password cannot be the user name")


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=12)).decode()


def has_demo_password(user: User) -> bool:
    """Whether the user still signs in with the public demo password (bcrypt check)."""
    try:
        return bcrypt.checkpw(DEMO_PASSWORD.encode(), user.password_hash.encode())
    except ValueError:  # not a bcrypt hash: cannot be the demo password
        return False


def demo_password_users(engine: Engine) -> list[str]:
    """Enabled users whose password is the demo password (production must have none)."""
    return [u.username for u in list_users(engine) if not u.disabled and has_demo_password(u)]


def refuse_demo_passwords(engine: Engine) -> None:
    """In production, refuse to run while an enabled user has the public demo password (a
    database set up in demo mode and then run with XEROFLOW_ENV=production). Raises
    SettingsError saying which users and what to do."""
    names = demo_password_users(engine)
    if names:
        listed = ", ".join(names)
        raise SettingsError(
            f"XEROFLOW_ENV=production refuses to start: user(s) {listed} still have the public "
            f"demo password. Disable them (python -m xeroflow_core users disable {names[0]}) "
            "after adding your own admin (python -m xeroflow_core users add <name> --role admin); "
            "`users list` marks them."
        )


def _validate(username: str, role: str) -> str:
    username = username.strip().lower()
    if not username or not username.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise ValueError("a username is letters, digits, '.', '-' and '_'")
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    return username


def _audit(session, actor: Actor, action: str, username: str, **detail: object) -> None:  # noqa: ANN001
    audit.record(session, actor, action, f"user:{username}", **detail)


def add_user(
    engine: Engine,
    username: str,
    password: str,
    role: str,
    name: str = "",
    email: str = "",
    actor: Actor = SYSTEM,
) -> User:
    """Create a user (bcrypt hash only); needs manage_users; audited."""
    require(actor, "manage_users")
    username = _validate(username, role)
    check_password_strength(password, username)
    with session_scope(engine) as s:
        if s.exec(select(User).where(User.username == username)).first():
            raise ValueError(f"user {username!r} exists already")
        user = User(
            username=username,
            name=name or username,
            email=email,
            password_hash=hash_password(password),
            role=role,
        )
        s.add(user)
        s.flush()
        s.refresh(user)
        _audit(s, actor, "user.add", username, role=role)
        return user


def set_role(engine: Engine, username: str, role: str, actor: Actor = SYSTEM) -> None:
    """Change a user's role; it takes effect on the user's next click (the guard re-reads it).
    Needs manage_users; audited."""
    require(actor, "manage_users")
    username = _validate(username, role)
    with session_scope(engine) as s:
        user = s.exec(select(User).where(User.username == username)).one()
        _audit(s, actor, "user.set_role", username, before=user.role, after=role)
        user.role = role


def set_disabled(
    engine: Engine, username: str, disabled: bool = True, actor: Actor = SYSTEM
) -> None:
    """Stop (or allow again) a user from signing in; needs manage_users; audited. Disabling
    ends the user's open sessions, so enabling again later does not revive an old cookie."""
    require(actor, "manage_users")
    with session_scope(engine) as s:
        user = s.exec(select(User).where(User.username == username.lower())).one()
        user.disabled = disabled
        if disabled:
            s.execute(
                update(SignInSession)
                .where(SignInSession.username == user.username, SignInSession.ended_at.is_(None))
                .values(ended_at=utcnow())
            )
        _audit(s, actor, "user.disable" if disabled else "user.enable", user.username)


def list_users(engine: Engine) -> list[User]:
    with session_scope(engine) as s:
        return list(s.exec(select(User).order_by(User.username)))


def get_user(engine: Engine, username: str) -> User | None:
    with session_scope(engine) as s:
        return s.exec(select(User).where(User.username == username.lower())).first()


def ensure_demo_users(engine: Engine) -> bool:
    """Create the three demo users when there are no users at all (demo mode only)."""
    with session_scope(engine) as s:
        if s.exec(select(User)).first() is not None:
            return False
        for username, name, role in DEMO_USERS:
            s.add(
                User(
                    username=username,
                    name=name,
                    email=f"{username}@xeroflow.example",
                    password_hash=hash_password(DEMO_PASSWORD),
                    role=role,
                )
            )
    return True

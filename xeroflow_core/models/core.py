"""People and the audit trail."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Timezone-aware UTC now: every stored datetime is aware UTC."""
    return datetime.now(UTC)


def utc_today() -> date:
    """Today's date in UTC (not the server's local date): due dates and periods compare to it."""
    return datetime.now(UTC).date()


class User(SQLModel, table=True):
    """A person who signs in to XeroFlow. The role decides every page and action."""

    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(index=True, unique=True, max_length=64)
    name: str = Field(max_length=200)
    email: str = Field(default="", max_length=200)
    password_hash: str = Field(max_length=200)
    role: str = Field(max_length=16)
    disabled: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow)


class AuditLog(SQLModel, table=True):
    """Who did what, to what, when: every change a person makes is written here."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    username: str = Field(max_length=64, index=True)
    action: str = Field(max_length=64, index=True)
    target: str = Field(default="", max_length=300)
    detail: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class SignInSession(SQLModel, table=True):
    """A signed-in browser: the cookie holds a random id, this row its HMAC. Ending the row
    (sign-out) makes every copy of the cookie useless."""

    __tablename__ = "sign_in_session"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(index=True, unique=True, max_length=64)
    username: str = Field(index=True, max_length=64)
    client: str = Field(default="", max_length=100)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    ended_at: datetime | None = Field(default=None)


class SignInAttempt(SQLModel, table=True):
    """One sign-in attempt, kept to slow and lock guessing per user name and per client."""

    __tablename__ = "sign_in_attempt"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    username: str = Field(index=True, max_length=64)
    client: str = Field(default="", index=True, max_length=100)
    ok: bool = Field(default=False)


class Installation(SQLModel, table=True):
    """This XeroFlow installation: one row, written once. `installation_id` is random and goes
    into every Idempotency-Key, so two databases pushing to one Xero organisation never share
    keys; `database_identity` is where the row was written, so a copy restored elsewhere is
    noticed (and refused for pushes until an admin confirms it)."""

    __tablename__ = "installation"

    id: int = Field(default=1, primary_key=True)
    installation_id: str = Field(max_length=32)
    database_identity: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    confirmed_by: str = Field(default="", max_length=64)  # who confirmed a restored copy
    confirmed_at: datetime | None = None

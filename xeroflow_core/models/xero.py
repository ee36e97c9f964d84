"""The connection to Xero: OAuth flows in progress, encrypted tokens, connected organisations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from xeroflow_core.models.core import utcnow


class OAuthFlow(SQLModel, table=True):
    """A consent in progress: state and PKCE verifier live here, not in the browser session,
    because Xero's callback arrives as a fresh page load. Single use, short-lived.

    A consumed flow is kept (not deleted) until it expires, with a hash of the code it was
    used with and its outcome, so that Streamlit running the callback twice gets the same
    answer instead of a "replayed" error, while any other reuse is refused."""

    __tablename__ = "oauth_flow"

    state: str = Field(primary_key=True, max_length=128)
    code_verifier: str = Field(max_length=128)
    username: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    consumed_at: datetime | None = None
    code_hash: str = Field(default="", max_length=64)  # sha256 of the code it was used with
    outcome: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class XeroToken(SQLModel, table=True):
    """One authorisation (one Xero user's consent): its token set, encrypted at rest."""

    __tablename__ = "xero_token"

    id: int | None = Field(default=None, primary_key=True)
    xero_userid: str = Field(default="", max_length=64, index=True)
    auth_event_id: str = Field(default="", max_length=64)
    encrypted_token: str  # Fernet ciphertext of the token JSON; never plain text
    access_expires_at: datetime | None = None
    refreshed_at: datetime | None = None
    scopes: str = Field(default="", max_length=2000)
    status: str = Field(default="active", max_length=32)  # active, needs_reconnect, revoked
    status_reason: str = Field(default="", max_length=2000)
    version: int = Field(default=1)  # bumped on every rotation: single-flight refresh
    # The refresh lock: a lease taken with a conditional UPDATE, so one thread of one process
    # refreshes while every other waits for the rotated pair (SQLite and PostgreSQL alike).
    refresh_lock_owner: str = Field(default="", max_length=64)
    refresh_lock_until: datetime | None = None
    connected_by: str = Field(default="", max_length=64)  # the XeroFlow admin who consented
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class XeroConnection(SQLModel, table=True):
    """A Xero organisation (tenant) we are or were connected to. Never deleted: a disconnect
    keeps every synced row, link and mapping, and marks the connection instead."""

    __tablename__ = "xero_connection"

    tenant_id: str = Field(primary_key=True, max_length=64)
    tenant_name: str = Field(default="", max_length=300)
    tenant_type: str = Field(default="ORGANISATION", max_length=32)
    connection_id: str = Field(default="", max_length=64)
    token_id: int | None = Field(default=None, foreign_key="xero_token.id")
    # connected, needs_reconnect, read_only (lost write access), disconnected, removed (gone
    # from /connections, e.g. a Demo Company reset)
    status: str = Field(default="connected", max_length=32)
    status_reason: str = Field(default="", max_length=2000)
    sync_enabled: bool = Field(default=True)
    connected_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    detail: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))

"""Clients are ours, not Xero's: a client links to Xero contacts and owns cost mappings.

Documents belong to a client only through these links (derived, never copied), so unlinking
sends a contact's invoices straight back to the Unmatched Queue.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from xeroflow_core.models.core import utcnow


class Client(SQLModel, table=True):
    __tablename__ = "client"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=255, index=True)
    status: str = Field(default="active", max_length=16)  # active, archived
    notes: str = Field(default="")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ClientContactLink(SQLModel, table=True):
    """A Xero customer contact whose sales documents belong to the client."""

    __tablename__ = "client_contact_link"

    tenant_id: str = Field(primary_key=True, max_length=64)
    contact_id: str = Field(primary_key=True, max_length=64)
    client_id: int = Field(foreign_key="client.id", index=True)
    linked_by: str = Field(default="", max_length=64)
    linked_at: datetime = Field(default_factory=utcnow)


class ClientTrackingOption(SQLModel, table=True):
    """A tracking option (e.g. category "Client", option "Acme") whose cost lines belong to the
    client: the first attribution rule."""

    __tablename__ = "client_tracking_option"

    tenant_id: str = Field(primary_key=True, max_length=64)
    tracking_option_id: str = Field(primary_key=True, max_length=64)
    client_id: int = Field(foreign_key="client.id", index=True)


class ClientSupplier(SQLModel, table=True):
    """A supplier contact whose untracked bill lines belong to the client: the second rule."""

    __tablename__ = "client_supplier"

    tenant_id: str = Field(primary_key=True, max_length=64)
    contact_id: str = Field(primary_key=True, max_length=64)
    client_id: int = Field(foreign_key="client.id", index=True)


class IgnoredContact(SQLModel, table=True):
    """A one-off customer a person chose to leave out of the queue (reversible)."""

    __tablename__ = "ignored_contact"

    tenant_id: str = Field(primary_key=True, max_length=64)
    contact_id: str = Field(primary_key=True, max_length=64)
    ignored_by: str = Field(default="", max_length=64)
    ignored_at: datetime = Field(default_factory=utcnow)
    reason: str = Field(default="")


class ClientChange(SQLModel, table=True):
    """The undo journal: what one audited client/queue action changed, before and after.

    Keyed by the audit row of the action, so "undo" is offered on the audit trail itself.
    `changes` holds lists of [tenant_id, key, before, after] per kind (links, ignores,
    tracking, suppliers), plus the client's fields before/after and the id of a client the
    action created. Undo restores each `before` only where the current state is still `after`."""

    __tablename__ = "client_change"

    audit_id: int = Field(primary_key=True, foreign_key="audit_log.id")
    action: str = Field(max_length=64)
    client_id: int | None = Field(default=None, index=True)
    changes: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    undone_at: datetime | None = None
    undone_by: str = Field(default="", max_length=64)

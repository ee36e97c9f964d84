"""Clients are ours, not Xero's: a client links to Xero contacts and owns cost mappings.

Documents belong to a client only through these links (derived, never copied), so unlinking
sends a contact's invoices straight back to the Unmatched Queue.
"""

from __future__ import annotations

from datetime import datetime

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

"""End-of-month invoicing: billing data per client, drafts and their lines, the push outbox.

The draft row *is* the outbox row: its state (generated, approved, excluded, pushing, pushed,
failed), its deterministic Idempotency-Key, the Xero InvoiceID and number once known, and the
error Xero gave all live on it, so a push is one row moving through states in the database.
A rebillable cost is "rebilled" when a draft line points at it: (tenant_id, source_line_id) is
unique, so one cost line can never be billed twice.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from xeroflow_core.models.core import utcnow
from xeroflow_core.models.types import Money, Rate

__all__ = ["BillingItem", "BillingProfile", "EomDraft", "EomDraftLine"]

ZERO = Decimal("0")
DEFAULT_REFERENCE = "XF-{client}-{YYYY-MM}"


class BillingProfile(SQLModel, table=True):
    """How a client is invoiced: contact, tax treatment, terms, reference, proration, rebills."""

    __tablename__ = "eom_billing_profile"

    client_id: int = Field(primary_key=True, foreign_key="client.id")
    # the Xero contact to invoice (tenant + contact); empty: the client's only linked contact
    tenant_id: str = Field(default="", max_length=64)
    contact_id: str = Field(default="", max_length=64)
    line_amount_types: str = Field(default="Exclusive", max_length=16)  # Exclusive/Inclusive/NoTax
    # payment terms: "" (organisation default), "days_after" (N days after the invoice date),
    # "day_of_following_month" (day N of the next month)
    terms_type: str = Field(default="", max_length=32)
    terms_value: int | None = None
    reference_pattern: str = Field(default=DEFAULT_REFERENCE, max_length=200)
    prorate: bool = Field(default=True)
    rebill_enabled: bool = Field(default=False)  # opt-in: rebilling needs a rebill account
    rebill_markup_percent: Decimal = Field(default=ZERO, sa_type=Rate())
    rebill_account_code: str = Field(default="", max_length=10)
    rebill_tax_type: str = Field(default="", max_length=64)
    rebill_description: str = Field(default="Rebillable: {description}", max_length=500)
    updated_by: str = Field(default="", max_length=64)
    updated_at: dt.datetime = Field(default_factory=utcnow)


class BillingItem(SQLModel, table=True):
    """A fee: retainer (monthly), recurring (monthly/quarterly/yearly on a month) or one-off."""

    __tablename__ = "eom_billing_item"

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", index=True)
    kind: str = Field(default="retainer", max_length=16)  # retainer, recurring, one_off
    description: str = Field(default="", max_length=4000)  # a template: "Retainer - {month} {year}"
    quantity: Decimal = Field(default=Decimal(1), sa_type=Money())
    unit_amount: Decimal = Field(default=ZERO, sa_type=Money())  # up to 4 places
    account_code: str = Field(default="", max_length=10)
    tax_type: str = Field(default="", max_length=64)
    frequency: str = Field(default="monthly", max_length=16)  # monthly, quarterly, yearly
    anchor_month: int = Field(default=1)  # quarterly/yearly: a month the fee falls in (1-12)
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    one_off_month: dt.date | None = None  # one_off: the first day of its month
    active: bool = Field(default=True)
    created_by: str = Field(default="", max_length=64)
    created_at: dt.datetime = Field(default_factory=utcnow)


class EomDraft(SQLModel, table=True):
    """One invoice for one client and month, and its push state (the outbox row)."""

    __tablename__ = "eom_draft"
    __table_args__ = (
        UniqueConstraint("client_id", "month", name="uq_eom_draft_client_month"),
        UniqueConstraint("tenant_id", "reference", name="uq_eom_draft_reference"),
    )

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", index=True)
    month: dt.date = Field(index=True)  # first day of the month
    tenant_id: str = Field(default="", max_length=64)
    contact_id: str = Field(default="", max_length=64)
    invoice_date: dt.date
    due_date: dt.date | None = None  # None: the organisation's default terms apply in Xero
    reference: str = Field(max_length=255)
    currency_code: str = Field(default="", max_length=3)
    line_amount_types: str = Field(default="Exclusive", max_length=16)
    sub_total: Decimal = Field(default=ZERO, sa_type=Money())
    total_tax: Decimal = Field(default=ZERO, sa_type=Money())
    total: Decimal = Field(default=ZERO, sa_type=Money())
    # problems block approval and push; warnings are for a person to read
    problems: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    warnings: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # generated, approved, excluded, pushing, pushed, failed
    state: str = Field(default="generated", max_length=16, index=True)
    revision: int = Field(default=1)  # bumped when the content changes: part of the key
    idempotency_key: str = Field(default="", max_length=128)
    attempts: int = Field(default=0)
    uncertain: bool = Field(default=False)  # a call may have reached Xero: look up first
    # the push holding the draft while 'pushing': every write it makes requires its token, and
    # it renews updated_at while alive; after STALE_PUSHING without renewal it may be taken over
    claim_owner: str = Field(default="", max_length=128)  # process and user, for messages
    claim_token: str = Field(default="", max_length=36)
    xero_invoice_id: str = Field(default="", max_length=64)
    xero_invoice_number: str = Field(default="", max_length=255)
    xero_status: str = Field(default="", max_length=16)  # as Xero answered the push
    error: str = Field(default="")
    approved_by: str = Field(default="", max_length=64)
    pushed_at: dt.datetime | None = None
    generated_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow)


class EomDraftLine(SQLModel, table=True):
    """A line of a draft; `source` says which rule put it there (shown to the reviewer)."""

    __tablename__ = "eom_draft_line"
    __table_args__ = (
        UniqueConstraint("tenant_id", "source_line_id", name="uq_eom_line_rebilled_once"),
    )

    id: int | None = Field(default=None, primary_key=True)
    draft_id: int = Field(foreign_key="eom_draft.id", index=True)
    position: int = Field(default=0)
    source: str = Field(
        default="manual", max_length=16
    )  # retainer, recurring, rebill, one_off, manual
    billing_item_id: int | None = None
    tenant_id: str | None = Field(default=None, max_length=64)  # set for rebill lines only
    source_line_id: str | None = Field(default=None, max_length=64)  # the rebilled cost line
    description: str = Field(default="", max_length=4000)
    quantity: Decimal = Field(default=Decimal(1), sa_type=Money())
    unit_amount: Decimal = Field(default=ZERO, sa_type=Money())
    account_code: str = Field(default="", max_length=10)
    tax_type: str = Field(default="", max_length=64)
    line_amount: Decimal = Field(default=ZERO, sa_type=Money())
    tax_amount: Decimal = Field(default=ZERO, sa_type=Money())
    edited: bool = Field(default=False)  # changed by a person: regeneration keeps it

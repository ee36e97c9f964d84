"""Rows synced from Xero. Every row carries its tenant id; Xero's ids are the keys.

Amounts are exact decimals (see types.py). `Date`/`DueDate` are calendar dates; `updated_utc`
is Xero's UpdatedDateUTC as an aware UTC datetime (the incremental-sync cursor comes from it).
Document lines of invoices, credit notes and expense receipts share one table, `document_line`,
so attribution and rebilling read one place.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from xeroflow_core.models.types import Money, Rate

ZERO = Decimal("0")


class Organisation(SQLModel, table=True):
    __tablename__ = "xero_organisation"

    tenant_id: str = Field(primary_key=True, max_length=64)
    organisation_id: str = Field(default="", max_length=64)
    name: str = Field(default="", max_length=300)
    legal_name: str = Field(default="", max_length=300)
    base_currency: str = Field(default="", max_length=3)
    country_code: str = Field(default="", max_length=3)
    timezone: str = Field(default="", max_length=64)
    financial_year_end_day: int = Field(default=31)
    financial_year_end_month: int = Field(default=12)
    short_code: str = Field(default="", max_length=32)
    is_demo_company: bool = Field(default=False)
    edition: str = Field(default="", max_length=32)
    updated_utc: dt.datetime | None = None


class Account(SQLModel, table=True):
    __tablename__ = "xero_account"

    tenant_id: str = Field(primary_key=True, max_length=64)
    account_id: str = Field(primary_key=True, max_length=64)
    code: str = Field(default="", max_length=10, index=True)
    name: str = Field(default="", max_length=150)
    type: str = Field(default="", max_length=32)  # REVENUE, SALES, DIRECTCOSTS, EXPENSE, ...
    account_class: str = Field(default="", max_length=16)  # ASSET, EXPENSE, REVENUE, ...
    status: str = Field(default="ACTIVE", max_length=16)
    tax_type: str = Field(default="", max_length=64)
    updated_utc: dt.datetime | None = None


class TaxRate(SQLModel, table=True):
    __tablename__ = "xero_tax_rate"

    tenant_id: str = Field(primary_key=True, max_length=64)
    tax_type: str = Field(primary_key=True, max_length=64)  # e.g. OUTPUT2
    name: str = Field(default="", max_length=200)
    status: str = Field(default="ACTIVE", max_length=16)
    effective_rate: Decimal = Field(default=ZERO, sa_type=Rate())  # percent, e.g. 15.0
    can_apply_to_revenue: bool = Field(default=True)
    can_apply_to_expenses: bool = Field(default=True)


class TrackingCategory(SQLModel, table=True):
    __tablename__ = "xero_tracking_category"

    tenant_id: str = Field(primary_key=True, max_length=64)
    tracking_category_id: str = Field(primary_key=True, max_length=64)
    name: str = Field(default="", max_length=100)
    status: str = Field(default="ACTIVE", max_length=16)


class TrackingOption(SQLModel, table=True):
    __tablename__ = "xero_tracking_option"

    tenant_id: str = Field(primary_key=True, max_length=64)
    tracking_option_id: str = Field(primary_key=True, max_length=64)
    tracking_category_id: str = Field(max_length=64, index=True)
    name: str = Field(default="", max_length=100)
    status: str = Field(default="ACTIVE", max_length=16)


class Contact(SQLModel, table=True):
    __tablename__ = "xero_contact"

    tenant_id: str = Field(primary_key=True, max_length=64)
    contact_id: str = Field(primary_key=True, max_length=64)
    name: str = Field(default="", max_length=255, index=True)
    first_name: str = Field(default="", max_length=255)
    last_name: str = Field(default="", max_length=255)
    email: str = Field(default="", max_length=255)
    contact_number: str = Field(default="", max_length=50)
    account_number: str = Field(default="", max_length=50)
    status: str = Field(default="ACTIVE", max_length=16)  # ACTIVE, ARCHIVED, GDPRREQUEST
    is_customer: bool = Field(default=False)
    is_supplier: bool = Field(default=False)
    default_currency: str = Field(default="", max_length=3)
    merged_to_contact_id: str | None = Field(default=None, max_length=64)
    updated_utc: dt.datetime | None = Field(default=None, index=True)


class Invoice(SQLModel, table=True):
    """Sales invoices (ACCREC) and bills (ACCPAY)."""

    __tablename__ = "xero_invoice"
    __table_args__ = (
        Index("ix_invoice_tenant_contact", "tenant_id", "contact_id"),
        Index("ix_invoice_tenant_type_date", "tenant_id", "type", "date"),
        Index("ix_invoice_tenant_reference", "tenant_id", "reference"),
        # covering index for the profitability figures (range scan by type and date)
        Index(
            "ix_invoice_pnl",
            "tenant_id",
            "type",
            "date",
            "status",
            "invoice_id",
            "contact_id",
            "line_amount_types",
            "currency_rate",
        ),
    )

    tenant_id: str = Field(primary_key=True, max_length=64)
    invoice_id: str = Field(primary_key=True, max_length=64)
    type: str = Field(max_length=16)  # ACCREC, ACCPAY
    invoice_number: str = Field(default="", max_length=255)
    reference: str = Field(default="", max_length=255)
    contact_id: str = Field(default="", max_length=64)
    date: dt.date | None = None
    due_date: dt.date | None = None
    status: str = Field(default="DRAFT", max_length=16)
    line_amount_types: str = Field(default="Exclusive", max_length=16)
    sub_total: Decimal = Field(default=ZERO, sa_type=Money())
    total_tax: Decimal = Field(default=ZERO, sa_type=Money())
    total: Decimal = Field(default=ZERO, sa_type=Money())
    amount_due: Decimal = Field(default=ZERO, sa_type=Money())
    amount_paid: Decimal = Field(default=ZERO, sa_type=Money())
    amount_credited: Decimal = Field(default=ZERO, sa_type=Money())
    currency_code: str = Field(default="", max_length=3)
    currency_rate: Decimal = Field(default=Decimal(1), sa_type=Rate())
    fully_paid_on: dt.date | None = None
    updated_utc: dt.datetime | None = None


class CreditNote(SQLModel, table=True):
    """Sales (ACCRECCREDIT) and purchase (ACCPAYCREDIT) credit notes."""

    __tablename__ = "xero_credit_note"
    __table_args__ = (Index("ix_credit_note_tenant_contact", "tenant_id", "contact_id"),)

    tenant_id: str = Field(primary_key=True, max_length=64)
    credit_note_id: str = Field(primary_key=True, max_length=64)
    type: str = Field(max_length=16)
    credit_note_number: str = Field(default="", max_length=255)
    reference: str = Field(default="", max_length=255)
    contact_id: str = Field(default="", max_length=64)
    date: dt.date | None = None
    status: str = Field(default="DRAFT", max_length=16)
    line_amount_types: str = Field(default="Exclusive", max_length=16)
    sub_total: Decimal = Field(default=ZERO, sa_type=Money())
    total_tax: Decimal = Field(default=ZERO, sa_type=Money())
    total: Decimal = Field(default=ZERO, sa_type=Money())
    remaining_credit: Decimal = Field(default=ZERO, sa_type=Money())
    currency_code: str = Field(default="", max_length=3)
    currency_rate: Decimal = Field(default=Decimal(1), sa_type=Rate())
    updated_utc: dt.datetime | None = None


class ExpenseClaim(SQLModel, table=True):
    __tablename__ = "xero_expense_claim"

    tenant_id: str = Field(primary_key=True, max_length=64)
    expense_claim_id: str = Field(primary_key=True, max_length=64)
    status: str = Field(default="SUBMITTED", max_length=16)
    user_name: str = Field(default="", max_length=200)
    total: Decimal = Field(default=ZERO, sa_type=Money())
    amount_due: Decimal = Field(default=ZERO, sa_type=Money())
    amount_paid: Decimal = Field(default=ZERO, sa_type=Money())
    reporting_date: dt.date | None = None
    updated_utc: dt.datetime | None = None


class Receipt(SQLModel, table=True):
    """An expense-claim receipt: its lines are direct costs like bill lines."""

    __tablename__ = "xero_receipt"

    tenant_id: str = Field(primary_key=True, max_length=64)
    receipt_id: str = Field(primary_key=True, max_length=64)
    expense_claim_id: str = Field(default="", max_length=64, index=True)
    receipt_number: str = Field(default="", max_length=64)
    contact_id: str = Field(default="", max_length=64)
    date: dt.date | None = None
    status: str = Field(default="DRAFT", max_length=16)
    line_amount_types: str = Field(default="Inclusive", max_length=16)
    sub_total: Decimal = Field(default=ZERO, sa_type=Money())
    total_tax: Decimal = Field(default=ZERO, sa_type=Money())
    total: Decimal = Field(default=ZERO, sa_type=Money())
    updated_utc: dt.datetime | None = None


class DocumentLine(SQLModel, table=True):
    """A line of an invoice, bill, credit note or receipt (document_kind says which).

    Tracking (at most two categories per line in Xero) is flattened into two option columns so
    attribution is a plain join; the raw tracking list is kept for display."""

    __tablename__ = "document_line"
    __table_args__ = (
        Index("ix_line_document", "tenant_id", "document_kind", "document_id"),
        Index("ix_line_tracking1", "tenant_id", "tracking_option_id_1"),
        # covering index for the profitability figures (lines of a document, no table lookup)
        Index(
            "ix_line_pnl",
            "tenant_id",
            "document_kind",
            "document_id",
            "account_code",
            "line_amount",
            "tax_amount",
            "tracking_option_id_1",
            "tracking_option_id_2",
            "line_item_id",
        ),
    )

    tenant_id: str = Field(primary_key=True, max_length=64)
    line_item_id: str = Field(primary_key=True, max_length=64)
    document_kind: str = Field(max_length=16)  # invoice, credit_note, receipt
    document_id: str = Field(max_length=64)
    position: int = Field(default=0)
    description: str = Field(default="")
    quantity: Decimal = Field(default=Decimal(1), sa_type=Money())
    unit_amount: Decimal = Field(default=ZERO, sa_type=Money())
    account_code: str = Field(default="", max_length=10)
    tax_type: str = Field(default="", max_length=64)
    tax_amount: Decimal = Field(default=ZERO, sa_type=Money())
    line_amount: Decimal = Field(default=ZERO, sa_type=Money())
    tracking_option_id_1: str | None = Field(default=None, max_length=64)
    tracking_option_id_2: str | None = Field(default=None, max_length=64)
    tracking: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class ProfitAndLossReport(SQLModel, table=True):
    """Xero's own Profit and Loss report for a period, kept for the reconciliation panel."""

    __tablename__ = "xero_profit_and_loss"

    tenant_id: str = Field(primary_key=True, max_length=64)
    from_date: dt.date = Field(primary_key=True)
    to_date: dt.date = Field(primary_key=True)
    fetched_at: dt.datetime
    report: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))

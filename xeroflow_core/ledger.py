"""The ledger's rules: which Xero documents, statuses and accounts count, and with which sign.

Every figure XeroFlow shows (profitability, a client's page, the costs EOM rebills, the Unmatched
Queue) asks this module rather than spelling a status or an account type itself, so "how revenue
is counted" is changed in one place.

- Posted: a sales invoice, bill, credit note or expense claim is in the ledger when it is
  AUTHORISED or PAID. Drafts, submitted, voided and deleted documents never count as revenue or
  cost. An expense-claim receipt is never PAID (its claim is): it counts when the receipt is
  AUTHORISED and its claim is posted.
- Owed: only an AUTHORISED invoice has an amount due (a PAID one is settled, a draft not yet
  owed).
- Costs: lines on the organisation's direct-cost accounts (Xero account type DIRECTCOSTS).
  Revenue accounts (REVENUE, SALES, OTHERINCOME) are those an EOM invoice line may post to.
- Sign: a credit note reduces what its invoices add (sales credit notes reduce revenue, purchase
  credit notes reduce costs).
- Accounted for: the Unmatched Queue and client links account for every sales invoice that is
  not DELETED or VOIDED (drafts included: someone still has to decide whose they are).
"""

from __future__ import annotations

from sqlalchemy import and_, exists, select, tuple_
from sqlalchemy.sql import ColumnElement

from xeroflow_core.models import Account, DocumentLine, ExpenseClaim, Invoice, Receipt

# Xero's document types
SALES_INVOICE = "ACCREC"
BILL = "ACCPAY"
SALES_CREDIT_NOTE = "ACCRECCREDIT"
PURCHASE_CREDIT_NOTE = "ACCPAYCREDIT"

POSTED = ("AUTHORISED", "PAID")  # invoices, bills, credit notes and expense claims in the ledger
RECEIPT_POSTED = ("AUTHORISED",)  # a receipt is never PAID: its claim is
OWED = "AUTHORISED"  # the one status with an amount still due
NOT_ACCOUNTED = ("DELETED", "VOIDED")  # sales invoices the queue and client links ignore

COST_ACCOUNT_TYPES = ("DIRECTCOSTS",)
REVENUE_ACCOUNT_TYPES = ("REVENUE", "SALES", "OTHERINCOME")

INVOICE_SIGN = 1
CREDIT_NOTE_SIGN = -1  # a credit note takes away what an invoice adds


def is_posted(status: str | None) -> bool:
    """A document (not a receipt) with this status is in the ledger."""
    return status in POSTED


def receipt_is_posted() -> ColumnElement:
    """A receipt's lines are in the ledger: the receipt is AUTHORISED and its claim AUTHORISED
    or PAID (a submitted claim has not been posted). The one rule for every view of costs."""
    claim = select(ExpenseClaim.expense_claim_id).where(
        ExpenseClaim.tenant_id == Receipt.tenant_id,
        ExpenseClaim.expense_claim_id == Receipt.expense_claim_id,
        ExpenseClaim.status.in_(POSTED),  # type: ignore[attr-defined]
    )
    return and_(Receipt.status.in_(RECEIPT_POSTED), exists(claim))  # type: ignore[attr-defined]


def on_cost_account() -> ColumnElement:
    """The document line is on a direct-cost account of its organisation. A (non-correlated) IN
    rather than a join, so the planner never drives the query from the small accounts table."""
    return tuple_(DocumentLine.tenant_id, DocumentLine.account_code).in_(
        select(Account.tenant_id, Account.code).where(Account.type.in_(COST_ACCOUNT_TYPES))
    )


def accounted_invoice() -> ColumnElement:
    """The invoices the Unmatched Queue and client links account for: sales invoices that are
    not DELETED or VOIDED."""
    return and_(Invoice.type == SALES_INVOICE, Invoice.status.not_in(NOT_ACCOUNTED))

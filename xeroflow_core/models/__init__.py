"""Every table, importable from one place (Alembic's metadata comes from here)."""

from xeroflow_core.models.clients import (
    Client,
    ClientChange,
    ClientContactLink,
    ClientSupplier,
    ClientTrackingOption,
    IgnoredContact,
)
from xeroflow_core.models.core import (
    AuditLog,
    Installation,
    SignInAttempt,
    SignInSession,
    User,
    utcnow,
)
from xeroflow_core.models.eom import *  # noqa: F403
from xeroflow_core.models.sync import *  # noqa: F403
from xeroflow_core.models.synced import (
    Account,
    Contact,
    CreditNote,
    DocumentLine,
    ExpenseClaim,
    Invoice,
    Organisation,
    ProfitAndLossReport,
    Receipt,
    TaxRate,
    TrackingCategory,
    TrackingOption,
)
from xeroflow_core.models.xero import OAuthFlow, XeroConnection, XeroToken

__all__ = [
    "Account",
    "AuditLog",
    "Client",
    "ClientChange",
    "ClientContactLink",
    "ClientSupplier",
    "ClientTrackingOption",
    "Contact",
    "CreditNote",
    "DocumentLine",
    "ExpenseClaim",
    "IgnoredContact",
    "Installation",
    "Invoice",
    "OAuthFlow",
    "Organisation",
    "ProfitAndLossReport",
    "SignInAttempt",
    "SignInSession",
    "Receipt",
    "TaxRate",
    "TrackingCategory",
    "TrackingOption",
    "User",
    "XeroConnection",
    "XeroToken",
    "utcnow",
]

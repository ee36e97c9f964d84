"""Xero's JSON shapes for an organisation's settings and contacts, and the JSON numbers every
shape uses; documents are in serialize_documents.py. Shapes are cached per record until it changes.

Amounts are `orjson.Fragment`s holding the exact 2-dp text (e.g. `46.00`), so responses carry
JSON numbers with Xero's decimals without ever passing through float.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson

from .models import (
    CENT,
    UNIT4,
    Account,
    Contact,
    TaxRate,
    TrackingCategory,
    User,
)
from .msdate import ms_date, ms_datetime
from .store import Org


def money(d: Decimal) -> orjson.Fragment:
    """A JSON number with exactly two decimals."""
    return orjson.Fragment(str(d.quantize(CENT)).encode())


def num(d: Decimal, places: Decimal = UNIT4) -> orjson.Fragment:
    """A JSON number with the given decimals (4 for quantities, 6 for currency rates)."""
    return orjson.Fragment(str(d.quantize(places)).encode())


def dumps(obj: Any) -> bytes:
    """Serialise a response body (Decimals allowed, as 2-dp numbers)."""
    return orjson.dumps(obj, default=_default)


def _default(o: Any) -> Any:
    if isinstance(o, Decimal):
        return money(o)
    raise TypeError(f"cannot serialise {type(o).__name__}")


CURRENCY_NAMES = {
    "AUD": "Australian Dollar",
    "CAD": "Canadian Dollar",
    "EUR": "Euro",
    "GBP": "British Pound",
    "NZD": "New Zealand Dollar",
    "USD": "United States Dollar",
}


def currency_json(code: str) -> dict[str, Any]:
    return {"Code": code, "Description": CURRENCY_NAMES.get(code, code)}


def account_json(a: Account) -> dict[str, Any]:
    out: dict[str, Any] = {
        "AccountID": a.id,
        "Code": a.code,
        "Name": a.name,
        "Status": a.status,
        "Type": a.type,
        "TaxType": a.tax_type,
        "Description": a.description,
        "Class": a.cls,
        "EnablePaymentsToAccount": False,
        "ShowInExpenseClaims": a.type in ("EXPENSE", "OVERHEADS", "DIRECTCOSTS"),
        "BankAccountType": "BANK" if a.type == "BANK" else "",
        "ReportingCode": "",
        "ReportingCodeName": "",
        "HasAttachments": False,
        "UpdatedDateUTC": ms_datetime(a.updated),
        "AddToWatchlist": False,
    }
    if a.system_account:
        out["SystemAccount"] = a.system_account
    if a.type == "BANK":
        out["BankAccountNumber"] = "12-3456-7890123-00"
        out["CurrencyCode"] = "NZD"
    return out


def tax_rate_json(t: TaxRate) -> dict[str, Any]:
    return {
        "Name": t.name,
        "TaxType": t.tax_type,
        "ReportTaxType": t.report_tax_type,
        "CanApplyToAssets": True,
        "CanApplyToEquity": True,
        "CanApplyToExpenses": t.expenses,
        "CanApplyToLiabilities": True,
        "CanApplyToRevenue": t.revenue,
        "DisplayTaxRate": num(t.rate),
        "EffectiveRate": num(t.rate),
        "Status": t.status,
        "TaxComponents": [
            {
                "Name": t.name.split(" on ")[0],
                "Rate": num(t.rate),
                "IsCompound": False,
                "IsNonRecoverable": False,
            }
        ],
    }


def tracking_json(c: TrackingCategory, include_archived: bool) -> dict[str, Any]:
    opts = [o for o in c.options if include_archived or o.status == "ACTIVE"]
    return {
        "TrackingCategoryID": c.id,
        "Name": c.name,
        "Status": c.status,
        "Options": [
            {
                "TrackingOptionID": o.id,
                "Name": o.name,
                "Status": o.status,
                "IsActive": o.status == "ACTIVE",
                "IsDeleted": False,
                "IsArchived": o.status == "ARCHIVED",
            }
            for o in opts
        ],
    }


def user_json(u: User) -> dict[str, Any]:
    return {
        "UserID": u.id,
        "EmailAddress": u.email,
        "FirstName": u.first_name,
        "LastName": u.last_name,
        "UpdatedDateUTC": ms_datetime(u.updated),
        "IsSubscriber": False,
        "OrganisationRole": u.role,
    }


def organisation_json(o: Org) -> dict[str, Any]:
    out: dict[str, Any] = {
        "OrganisationID": o.tenant_id,
        "APIKey": "",
        "Name": o.name,
        "LegalName": o.legal_name,
        "PaysTax": True,
        "Version": o.country_code,
        "OrganisationType": o.organisation_type,
        "BaseCurrency": o.base_currency,
        "CountryCode": o.country_code,
        "IsDemoCompany": False,
        "OrganisationStatus": "ACTIVE",
        "FinancialYearEndDay": o.financial_year_end_day,
        "FinancialYearEndMonth": o.financial_year_end_month,
        "SalesTaxBasis": "ACCRUALS" if o.country_code == "AU" else "INVOICE",
        "SalesTaxPeriod": "TWOMONTHS" if o.country_code == "NZ" else "QUARTERLY1",
        "DefaultSalesTax": "Tax Exclusive",
        "DefaultPurchasesTax": "Tax Exclusive",
        "CreatedDateUTC": ms_datetime(o.created),
        "OrganisationEntityType": o.organisation_type,
        "Timezone": o.timezone,
        "ShortCode": o.short_code,
        "Edition": "BUSINESS",
        "Class": "STANDARD",
        "LineOfBusiness": "Creative agency",
        "Addresses": [],
        "Phones": [],
        "ExternalLinks": [],
        "PaymentTerms": {},
    }
    if o.period_lock_date:  # "Shown if set"
        out["PeriodLockDate"] = ms_date(o.period_lock_date)
    return out


def contact_json(o: Org, c: Contact, full: bool) -> dict[str, Any]:
    """A contact; `full` (paged or single GET) adds MergedToContactID and the default line types."""
    key = "full" if full else "list"
    cached = c.cache.get(key)
    if cached is not None:
        return cached
    out: dict[str, Any] = {
        "ContactID": c.id,
        "ContactNumber": c.number,
        "AccountNumber": c.account_number,
        "ContactStatus": c.status,
        "Name": c.name,
        "FirstName": c.first_name,
        "LastName": c.last_name,
        "EmailAddress": c.email,
        "BankAccountDetails": "",
        "TaxNumber": c.tax_number,
        "AccountsReceivableTaxType": next(iter(o.tax_rates)),
        "AccountsPayableTaxType": list(o.tax_rates)[1],
        "Addresses": [
            {
                "AddressType": "STREET",
                "City": c.city,
                "Region": "",
                "PostalCode": "",
                "Country": c.country,
            },
            {"AddressType": "POBOX", "City": "", "Region": "", "PostalCode": "", "Country": ""},
        ],
        "Phones": [
            {"PhoneType": t, "PhoneNumber": "", "PhoneAreaCode": "", "PhoneCountryCode": ""}
            for t in ("DEFAULT", "DDI", "FAX", "MOBILE")
        ],
        "UpdatedDateUTC": ms_datetime(c.updated),
        "ContactGroups": [],
        "IsSupplier": c.is_supplier,
        "IsCustomer": c.is_customer,
        "DefaultCurrency": c.default_currency or o.base_currency,
        "ContactPersons": [],
        "HasAttachments": False,
        "HasValidationErrors": False,
    }
    if full:
        out["SalesDefaultLineAmountType"] = "EXCLUSIVE"
        out["PurchasesDefaultLineAmountType"] = "EXCLUSIVE"
        if c.merged_to:
            out["MergedToContactID"] = c.merged_to
    c.cache[key] = out
    return out

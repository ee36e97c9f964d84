"""Xero's JSON shapes for the sandbox's records, cached per record until it changes.

Amounts are `orjson.Fragment`s holding the exact 2-dp text (e.g. `46.00`), so responses carry
JSON numbers with Xero's decimals without ever passing through float.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson

from .models import (
    CENT,
    RATE6,
    UNIT4,
    Account,
    Contact,
    Document,
    ExpenseClaim,
    Line,
    TaxRate,
    TrackingCategory,
    User,
)
from .msdate import date_string, iso_z, ms_date, ms_datetime
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


def line_json(ln: Line, unitdp4: bool, discount: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "LineItemID": ln.id,
        "Description": ln.description,
        "Quantity": num(ln.quantity),
        "UnitAmount": num(ln.unit_amount, UNIT4 if unitdp4 else CENT),
        "AccountCode": ln.account_code,
        "TaxType": ln.tax_type,
        "TaxAmount": money(ln.tax_amount),
        "LineAmount": money(ln.line_amount),
        "Tracking": ln.tracking,
    }
    if discount and ln.discount_rate is not None:
        out["DiscountRate"] = money(ln.discount_rate)
    return out


def _contact_ref(o: Org, contact_id: str) -> dict[str, Any]:
    c = o.contacts.get(contact_id)
    return {
        "ContactID": contact_id,
        "Name": c.name if c else "",
        "ContactStatus": c.status if c else "ACTIVE",
    }


def invoice_json(o: Org, d: Document, lines: bool, unitdp4: bool = False) -> dict[str, Any]:
    """An invoice as Xero returns it; `lines` is False for unpaged lists (no LineItems)."""
    key = f"{int(lines)}{int(unitdp4)}"
    cached = d.cache.get(key)
    if cached is not None:
        return cached
    out: dict[str, Any] = {
        "Type": d.type,
        "InvoiceID": d.id,
        "InvoiceNumber": d.number,
        "Reference": d.reference,
        "Payments": [
            {
                "PaymentID": p.id,
                "Date": ms_date(p.date),
                "Amount": money(p.amount),
                "Reference": p.reference,
                "CurrencyRate": num(d.currency_rate, RATE6),
                "HasAccount": False,
                "HasValidationErrors": False,
            }
            for p in d.payments
        ],
        "CreditNotes": [],
        "Prepayments": [],
        "Overpayments": [],
        "AmountDue": money(d.amount_due),
        "AmountPaid": money(d.amount_paid),
        "AmountCredited": money(d.amount_credited),
        "CurrencyRate": num(d.currency_rate, RATE6),
        "IsDiscounted": d.total_discount > 0,
        "HasAttachments": False,
        "HasErrors": False,
        "Contact": _contact_ref(o, d.contact_id),
        "DateString": date_string(d.date),
        "Date": ms_date(d.date),
        "Status": d.status,
        "LineAmountTypes": d.line_amount_types,
        "SubTotal": money(d.sub_total),
        "TotalTax": money(d.total_tax),
        "Total": money(d.total),
        "UpdatedDateUTC": ms_datetime(d.updated),
        "UpdatedDateUTCString": iso_z(d.updated),
        "CurrencyCode": d.currency_code,
        "SentToContact": d.sent_to_contact,
    }
    if d.due_date:
        out["DueDateString"] = date_string(d.due_date)
        out["DueDate"] = ms_date(d.due_date)
    if d.fully_paid_on:
        out["FullyPaidOnDate"] = ms_date(d.fully_paid_on)
    if d.total_discount:
        out["TotalDiscount"] = money(d.total_discount)
    if lines:
        out["LineItems"] = [line_json(ln, unitdp4, d.type == "ACCREC") for ln in d.lines]
    d.cache[key] = out
    return out


def credit_note_json(o: Org, d: Document, lines: bool) -> dict[str, Any]:
    key = f"cn{int(lines)}"
    cached = d.cache.get(key)
    if cached is not None:
        return cached
    remaining = (
        d.total - d.amount_paid - d.amount_credited
        if d.status in ("AUTHORISED", "PAID")
        else d.total
    )
    out: dict[str, Any] = {
        "CreditNoteID": d.id,
        "CreditNoteNumber": d.number,
        "Type": d.type,
        "Reference": d.reference,
        "Contact": _contact_ref(o, d.contact_id),
        "DateString": date_string(d.date),
        "Date": ms_date(d.date),
        "Status": d.status,
        "LineAmountTypes": d.line_amount_types,
        "SubTotal": money(d.sub_total),
        "TotalTax": money(d.total_tax),
        "Total": money(d.total),
        "UpdatedDateUTC": ms_datetime(d.updated),
        "UpdatedDateUTCString": iso_z(d.updated),
        "CurrencyCode": d.currency_code,
        "CurrencyRate": num(d.currency_rate, RATE6),
        "RemainingCredit": money(remaining),
        "Allocations": [],
        "Payments": [],
        "HasAttachments": False,
        "HasErrors": False,
    }
    if d.due_date:
        out["DueDate"] = ms_date(d.due_date)
    if lines:
        out["LineItems"] = [line_json(ln, False, False) for ln in d.lines]
    d.cache[key] = out
    return out


def receipt_json(o: Org, r: Document, lines: bool) -> dict[str, Any]:
    user = o.users.get(r.user_id or "")
    out: dict[str, Any] = {
        "ReceiptID": r.id,
        "ReceiptNumber": r.number,
        "Status": r.status,
        "Reference": r.reference,
        "Date": ms_date(r.date),
        "Contact": _contact_ref(o, r.contact_id),
        "User": user_json(user) if user else {},
        "LineAmountTypes": r.line_amount_types,
        "SubTotal": money(r.sub_total),
        "TotalTax": money(r.total_tax),
        "Total": money(r.total),
        "UpdatedDateUTC": ms_datetime(r.updated),
        "HasAttachments": False,
        "Url": "",
    }
    if lines:
        out["LineItems"] = [line_json(ln, False, False) for ln in r.lines]
    return out


def expense_claim_json(o: Org, c: ExpenseClaim, detail: bool) -> dict[str, Any]:
    """A claim; the list carries receipt summaries, a single GET the receipts in more detail."""
    receipts = [o.receipts.items[r] for r in c.receipt_ids if r in o.receipts.items]
    total = sum((r.total for r in receipts), Decimal("0"))
    user = o.users.get(c.user_id)
    out: dict[str, Any] = {
        "ExpenseClaimID": c.id,
        "Status": c.status,
        "UpdatedDateUTC": ms_datetime(c.updated),
        "User": user_json(user) if user else {},
        "Receipts": [receipt_json(o, r, detail) for r in receipts],
        "Payments": [],
        "Total": money(total),
        "AmountDue": money(total - c.amount_paid),
        "AmountPaid": money(c.amount_paid),
        "ReportingDate": ms_date(c.reporting_date),
    }
    if c.payment_due_date:
        out["PaymentDueDate"] = ms_date(c.payment_due_date)
    return out

"""Field maps for `where`/`order`: Xero field paths (lower-cased) to getters on our records."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .query import Fields

if TYPE_CHECKING:
    from .store import Org


def invoice_fields(org: Org) -> Fields:
    def contact_name(d: object) -> str:
        c = org.contacts.get(d.contact_id)  # type: ignore[attr-defined]
        return c.name if c else ""

    return {
        "type": lambda d: d.type,
        "status": lambda d: d.status,
        "reference": lambda d: d.reference,
        "invoicenumber": lambda d: d.number,
        "invoiceid": lambda d: d.id,
        "date": lambda d: d.date,
        "duedate": lambda d: d.due_date,
        "updateddateutc": lambda d: d.updated,
        "total": lambda d: d.total,
        "subtotal": lambda d: d.sub_total,
        "amountdue": lambda d: d.amount_due,
        "amountpaid": lambda d: d.amount_paid,
        "currencycode": lambda d: d.currency_code,
        "contact.contactid": lambda d: d.contact_id,
        "contactid": lambda d: d.contact_id,
        "contact.name": contact_name,
        "lineamounttypes": lambda d: d.line_amount_types,
        "fullypaidondate": lambda d: d.fully_paid_on,
        "senttocontact": lambda d: d.sent_to_contact,
    }


def credit_note_fields(org: Org) -> Fields:
    f = invoice_fields(org)
    f.update({"creditnotenumber": lambda d: d.number, "creditnoteid": lambda d: d.id})
    return f


def contact_fields() -> Fields:
    return {
        "contactid": lambda c: c.id,
        "name": lambda c: c.name,
        "contactnumber": lambda c: c.number,
        "accountnumber": lambda c: c.account_number,
        "contactstatus": lambda c: c.status,
        "emailaddress": lambda c: c.email or None,
        "firstname": lambda c: c.first_name,
        "lastname": lambda c: c.last_name,
        "iscustomer": lambda c: c.is_customer,
        "issupplier": lambda c: c.is_supplier,
        "updateddateutc": lambda c: c.updated,
        "defaultcurrency": lambda c: c.default_currency,
        "mergedtocontactid": lambda c: c.merged_to,
    }


def account_fields() -> Fields:
    return {
        "accountid": lambda a: a.id,
        "code": lambda a: a.code,
        "name": lambda a: a.name,
        "type": lambda a: a.type,
        "class": lambda a: a.cls,
        "status": lambda a: a.status,
        "taxtype": lambda a: a.tax_type,
        "updateddateutc": lambda a: a.updated,
        "systemaccount": lambda a: a.system_account,
    }


def tax_rate_fields() -> Fields:
    return {
        "taxtype": lambda t: t.tax_type,
        "name": lambda t: t.name,
        "status": lambda t: t.status,
        "reporttaxtype": lambda t: t.report_tax_type,
    }


def expense_claim_fields() -> Fields:
    return {
        "expenseclaimid": lambda c: c.id,
        "status": lambda c: c.status,
        "updateddateutc": lambda c: c.updated,
        "user.userid": lambda c: c.user_id,
    }


def receipt_fields() -> Fields:
    return {
        "receiptid": lambda r: r.id,
        "status": lambda r: r.status,
        "date": lambda r: r.date,
        "updateddateutc": lambda r: r.updated,
        "contact.contactid": lambda r: r.contact_id,
        "reference": lambda r: r.reference,
    }


def tracking_fields() -> Fields:
    return {
        "trackingcategoryid": lambda c: c.id,
        "name": lambda c: c.name,
        "status": lambda c: c.status,
    }


def currency_fields() -> Fields:
    from .serialize import CURRENCY_NAMES

    return {"code": lambda c: c, "description": lambda c: CURRENCY_NAMES.get(c, c)}

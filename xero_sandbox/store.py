"""In-memory state: organisations with their records kept in UpdatedDateUTC order.

Each collection keeps a list of `(updated_ms, id)` sorted ascending, so `If-Modified-Since`
is a bisect and `order=UpdatedDateUTC ASC` is a slice; every change re-stamps the record with a
per-tenant monotonic time from the sandbox clock and moves it to the end.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from .models import (
    RATES,
    Account,
    Contact,
    Document,
    ExpenseClaim,
    TaxRate,
    TrackingCategory,
    User,
)
from .msdate import dt_ms

T = TypeVar("T")


class Collection(Generic[T]):
    """Records by id plus an index sorted by (UpdatedDateUTC ms, id)."""

    def __init__(self) -> None:
        self.items: dict[str, T] = {}
        self.index: list[tuple[int, str]] = []

    def __len__(self) -> int:
        return len(self.items)

    def get(self, key: str) -> T | None:
        return self.items.get(key)

    def add(self, obj: T) -> None:
        """Insert a record that already carries its `updated` stamp."""
        key = (dt_ms(obj.updated), obj.id)  # type: ignore[attr-defined]
        self.items[obj.id] = obj  # type: ignore[attr-defined]
        if not self.index or key >= self.index[-1]:
            self.index.append(key)
        else:
            bisect.insort(self.index, key)

    def restamp(self, obj: T, when: datetime) -> None:
        """Move a record to a new UpdatedDateUTC (and drop its cached JSON)."""
        old = (dt_ms(obj.updated), obj.id)  # type: ignore[attr-defined]
        i = bisect.bisect_left(self.index, old)
        if i < len(self.index) and self.index[i] == old:
            del self.index[i]
        obj.updated = when  # type: ignore[attr-defined]
        obj.cache.clear()  # type: ignore[attr-defined]
        self.add(obj)

    def remove(self, key: str) -> None:
        obj = self.items.pop(key, None)
        if obj is not None:
            old = (dt_ms(obj.updated), key)  # type: ignore[attr-defined]
            i = bisect.bisect_left(self.index, old)
            if i < len(self.index) and self.index[i] == old:
                del self.index[i]

    def keys_since(self, ms: int | None) -> list[tuple[int, str]]:
        """The index entries with UpdatedDateUTC >= ms, in order (a cheap list slice)."""
        start = 0 if ms is None else bisect.bisect_left(self.index, (ms, ""))
        return self.index[start:]

    def since(self, ms: int | None) -> Iterator[T]:
        """Records with UpdatedDateUTC >= ms (all when None), in UpdatedDateUTC ASC order."""
        start = 0 if ms is None else bisect.bisect_left(self.index, (ms, ""))
        items = self.items
        for _, key in self.index[start:]:
            yield items[key]


class KeyView(Generic[T]):
    """A read-only list over index entries that materialises records only when sliced."""

    def __init__(self, keys: list[tuple[int, str]], items: dict[str, T]) -> None:
        self.keys, self.items = keys, items

    def __len__(self) -> int:
        return len(self.keys)

    def __getitem__(self, sl: slice) -> list[T]:
        return [self.items[k] for _, k in self.keys[sl]]

    def __iter__(self) -> Iterator[T]:
        items = self.items
        return (items[k] for _, k in self.keys)


@dataclass
class Org:
    """One Xero organisation (tenant)."""

    tenant_id: str
    name: str
    short_code: str
    base_currency: str
    country_code: str
    timezone: str
    classic_expenses: str  # enabled | empty | forbidden
    created: datetime
    legal_name: str = ""
    organisation_type: str = "COMPANY"
    financial_year_end_day: int = 31
    financial_year_end_month: int = 3
    sales_tax_basis: str = "INVOICE"
    period_lock_date: Any = None
    accounts: dict[str, Account] = field(default_factory=dict)
    tax_rates: dict[str, TaxRate] = field(default_factory=dict)
    tracking: dict[str, TrackingCategory] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    contacts: Collection[Contact] = field(default_factory=Collection)
    invoices: Collection[Document] = field(default_factory=Collection)
    credit_notes: Collection[Document] = field(default_factory=Collection)
    receipts: Collection[Document] = field(default_factory=Collection)
    expense_claims: Collection[ExpenseClaim] = field(default_factory=Collection)
    last_stamp: datetime | None = None
    next_invoice_no: int = 1
    next_credit_no: int = 1
    next_receipt_no: int = 1
    settings_updated: datetime | None = None

    def stamp(self, now: datetime) -> datetime:
        """A new UpdatedDateUTC: the clock, but strictly after the previous stamp of this org."""
        if self.last_stamp is not None and now <= self.last_stamp:
            now = self.last_stamp + timedelta(milliseconds=1)
        self.last_stamp = now
        return now

    def currencies(self) -> list[str]:
        """The currencies the organisation subscribes to (writes in any other are refused): its
        base currency first, then every currency the sandbox has a day rate for."""
        return [self.base_currency, *sorted(set(RATES) - {self.base_currency})]

    def account_by_code(self, code: str) -> Account | None:
        for acc in self.accounts.values():
            if acc.code == code:
                return acc
        return None

    def new_invoice_number(self) -> str:
        n = self.next_invoice_no
        self.next_invoice_no += 1
        return f"INV-{n:04d}"

    def new_credit_number(self) -> str:
        n = self.next_credit_no
        self.next_credit_no += 1
        return f"CN-{n:04d}"


@dataclass
class AuthCode:
    code: str
    client_id: str
    redirect_uri: str
    scope: list[str]
    user_id: str
    tenant_ids: list[str]
    expires: datetime
    code_challenge: str | None
    code_challenge_method: str | None
    nonce: str | None
    used: bool = False


@dataclass
class Grant:
    """One consent of one user to one client: the refresh-token chain hangs off it."""

    id: str
    client_id: str
    user_id: str
    scope: list[str]
    auth_event_id: str
    session_id: str
    auth_time: datetime
    revoked: bool = False


@dataclass
class RefreshRecord:
    token: str
    grant_id: str
    issued: datetime
    superseded: datetime | None = None
    revoked: bool = False


@dataclass
class AccessRecord:
    jti: str
    grant_id: str
    expires: datetime
    expired_by_control: bool = False


@dataclass
class Connection:
    id: str
    tenant_id: str
    user_id: str
    client_id: str
    auth_event_id: str
    created: datetime
    updated: datetime


@dataclass
class DemoUser:
    """A person who can sign in to the sandbox and connect organisations."""

    id: str  # xero_userid
    email: str
    given_name: str
    family_name: str
    tenant_ids: list[str]
    read_only: bool = False  # a read-only user: writes answer 403
    removed: bool = False  # removed from the org or demoted: every call answers 403


@dataclass
class IdentityState:
    users: dict[str, DemoUser] = field(default_factory=dict)
    codes: dict[str, AuthCode] = field(default_factory=dict)
    grants: dict[str, Grant] = field(default_factory=dict)
    refresh: dict[str, RefreshRecord] = field(default_factory=dict)
    access: dict[str, AccessRecord] = field(default_factory=dict)
    connections: dict[str, Connection] = field(default_factory=dict)
    first_connected: dict[tuple[str, str, str], datetime] = field(default_factory=dict)


class StateLock:
    """One re-entrant lock for all mutations; reads of immutable cached JSON go without it."""

    def __init__(self) -> None:
        self.lock = threading.RLock()

    def __enter__(self) -> None:
        self.lock.acquire()

    def __exit__(self, *exc: object) -> None:
        self.lock.release()

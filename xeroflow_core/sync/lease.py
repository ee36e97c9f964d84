"""Per-organisation leases: one process talks to one organisation at a time.

A lease is a row taken with a conditional UPDATE (`... WHERE holder = '' OR expires_at < now`)
whose rowcount says who won, so it works the same on SQLite and PostgreSQL and across machines.
The holder renews it from a background thread; a process killed with SIGKILL simply stops
renewing and its lease expires after `ttl` seconds, after which another worker takes over.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import Engine, update
from sqlalchemy.dialects import postgresql, sqlite

from xeroflow_core.db import session_scope
from xeroflow_core.models.core import utcnow
from xeroflow_core.models.sync import TenantLease

log = logging.getLogger("xeroflow.sync.lease")

PROCESS_ID = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def default_ttl() -> float:
    """Lease lifetime in seconds (XEROFLOW_LEASE_SECONDS, default 90)."""
    try:
        return float(os.environ.get("XEROFLOW_LEASE_SECONDS", "90"))
    except ValueError:
        return 90.0


class LeaseBusy(RuntimeError):
    """Another process is syncing this organisation right now."""


class LeaseLost(RuntimeError):
    """Our lease expired or was taken over (e.g. the process stalled past the TTL): stop."""


class Lease:
    """A held lease; `lost` turns True if a renewal finds someone else holds it."""

    def __init__(self, engine: Engine, tenant_id: str, holder: str, ttl: float) -> None:
        self.engine, self.tenant_id, self.holder, self.ttl = engine, tenant_id, holder, ttl
        self.lost = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def check(self) -> None:
        """Raise LeaseLost if the lease is no longer ours (called before each commit)."""
        if self.lost:
            raise LeaseLost(f"lease on {self.tenant_id} was lost")

    def renew(self) -> bool:
        now = utcnow()
        t = TenantLease.__table__
        with self.engine.begin() as conn:
            res = conn.execute(
                update(t)
                .where(t.c.tenant_id == self.tenant_id, t.c.holder == self.holder)
                .values(expires_at=now + timedelta(seconds=self.ttl))
            )
        if res.rowcount != 1:
            self.lost = True
        return not self.lost

    def _renew_loop(self) -> None:
        while not self._stop.wait(max(0.2, self.ttl / 3)):
            try:
                if not self.renew():
                    log.warning("lease on %s lost", self.tenant_id)
                    return
            except Exception:  # noqa: BLE001 - a transient DB error: try again next tick
                log.exception("renewing lease on %s", self.tenant_id)

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._renew_loop, name=f"lease-{self.tenant_id[:8]}", daemon=True
        )
        self._thread.start()

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        t = TenantLease.__table__
        with self.engine.begin() as conn:
            conn.execute(
                update(t)
                .where(t.c.tenant_id == self.tenant_id, t.c.holder == self.holder)
                .values(holder="", expires_at=None)
            )


def try_acquire(
    engine: Engine, tenant_id: str, holder: str = PROCESS_ID, ttl: float | None = None
) -> Lease | None:
    """Take the lease if it is free or expired; None when another live holder has it."""
    ttl = default_ttl() if ttl is None else ttl
    t = TenantLease.__table__
    now = utcnow()
    with engine.begin() as conn:
        ins = (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(t)
        conn.execute(
            ins.values(tenant_id=tenant_id, holder="", expires_at=None).on_conflict_do_nothing(
                index_elements=["tenant_id"]
            )
        )
    with engine.begin() as conn:
        res = conn.execute(
            update(t)
            .where(
                t.c.tenant_id == tenant_id,
                (t.c.holder == "") | (t.c.expires_at.is_(None)) | (t.c.expires_at < now),
            )
            .values(holder=holder, expires_at=now + timedelta(seconds=ttl), acquired_at=now)
        )
    if res.rowcount != 1:
        return None
    lease = Lease(engine, tenant_id, holder, ttl)
    lease.start()
    return lease


_held: dict[tuple[int, str, int], Lease] = {}
_held_lock = threading.Lock()


@contextmanager
def tenant_lease(engine: Engine, tenant_id: str, ttl: float | None = None) -> Iterator[Lease]:
    """Hold the organisation's lease for the block (re-entrant within one thread); raises
    LeaseBusy when another process holds it."""
    key = (id(engine), tenant_id, threading.get_ident())
    with _held_lock:
        existing = _held.get(key)
    if existing is not None and not existing.lost:
        yield existing
        return
    lease = try_acquire(engine, tenant_id, ttl=ttl)
    if lease is None:
        raise LeaseBusy(f"another worker is syncing {tenant_id} right now")
    with _held_lock:
        _held[key] = lease
    try:
        yield lease
    finally:
        with _held_lock:
            _held.pop(key, None)
        lease.release()


def current_holder(engine: Engine, tenant_id: str) -> TenantLease | None:
    """The live lease row of an organisation, or None when nobody holds it."""
    with session_scope(engine) as s:
        row = s.get(TenantLease, tenant_id)
        if row is None or not row.holder or row.expires_at is None or row.expires_at < utcnow():
            return None
        return row

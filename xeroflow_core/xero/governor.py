"""Xero's per-tenant limits, enforced before each call rather than discovered by 429s: at most
5 calls in flight, at most 60 starts in any rolling minute, the daily remainder read from
Xero's headers, and a reserve of the daily budget that background work never spends."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

import httpx

from xeroflow_core.xero.errors import XeroBudgetReserved, XeroRateLimited


def rate_headers(headers: httpx.Headers) -> tuple[int | None, int | None]:
    """(X-DayLimit-Remaining, X-MinLimit-Remaining) as ints; absent or non-numeric is None."""

    def number(name: str) -> int | None:
        value = headers.get(name)
        return int(value) if value is not None and value.strip().isdigit() else None

    return number("x-daylimit-remaining"), number("x-minlimit-remaining")


WAIT_SLICE_S = 30.0  # the longest sleep between two heartbeats of a waiting caller


class Governor:
    """Xero's per-tenant limits, enforced before each call rather than discovered by 429s.

    `clock` and `sleep` are injectable so a test can pace 50,000 invoices against the sandbox's
    movable clock without waiting real minutes."""

    def __init__(
        self,
        *,
        minute_limit: int = 60,
        concurrent: int = 5,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.minute_limit = minute_limit
        self.clock, self.sleep = clock, sleep
        self._slots = threading.BoundedSemaphore(concurrent)
        self._lock = threading.Lock()
        self._starts: deque[float] = deque()
        self._blocked_until = 0.0
        self.day_remaining: int | None = None
        self.minute_remaining: int | None = None
        self.waited_s = 0.0

    def acquire(
        self, purpose: str, reserve: int, heartbeat: Callable[[float], None] | None = None
    ) -> None:
        """Take a slot for one call, waiting for the minute window; refuse to dig into the
        daily reserve for background work. `heartbeat(seconds)` runs before each wait, and a long
        wait is cut into slices of WAIT_SLICE_S so that it runs again (a caller's heartbeat)."""
        day = self.day_remaining
        if day is not None and day <= 0:
            raise XeroRateLimited(
                "Xero's daily call limit for this organisation is used up",
                scope="day",
                retry_after=3600,
            )
        if day is not None and purpose != "interactive" and day <= reserve:
            raise XeroBudgetReserved(
                f"only {day} calls of today's Xero budget remain; the last {reserve} are "
                "reserved for interactive work and EOM pushes"
            )
        self._slots.acquire()
        try:
            while True:
                with self._lock:
                    now = self.clock()
                    while self._starts and self._starts[0] <= now - 60.0:
                        self._starts.popleft()
                    wait = self._blocked_until - now
                    if len(self._starts) >= self.minute_limit:
                        wait = max(wait, self._starts[0] + 60.0 - now)
                    if wait <= 0:
                        self._starts.append(now)
                        return
                if heartbeat is not None:
                    heartbeat(wait)
                    wait = min(wait, WAIT_SLICE_S)
                self.waited_s += wait
                self.sleep(wait)
        except BaseException:
            self._slots.release()
            raise

    def release(self) -> None:
        self._slots.release()

    def observe(self, headers: httpx.Headers) -> None:
        """Read Xero's remaining-budget headers (sent on 429s too)."""
        day, minute = rate_headers(headers)
        if day is not None:
            self.day_remaining = day
        if minute is not None:
            self.minute_remaining = minute

    def block_for(self, seconds: float) -> None:
        """A minute 429: nobody starts a call for this tenant until Retry-After has passed."""
        with self._lock:
            self._blocked_until = max(self._blocked_until, self.clock() + seconds)


_governors: dict[str, Governor] = {}
_governors_lock = threading.Lock()


def governor_for(tenant_id: str) -> Governor:
    """The process-wide governor of one tenant."""
    with _governors_lock:
        gov = _governors.get(tenant_id)
        if gov is None:
            gov = _governors[tenant_id] = Governor()
        return gov


def reset_governors() -> None:
    """Forget every tenant's pacing state (tests that reset the sandbox's limits call this)."""
    with _governors_lock:
        _governors.clear()

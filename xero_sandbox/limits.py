"""Xero's rate limits (per tenant: 5 in flight, 60/min, a day limit; 10,000/min per app) and
the fault plan tests arm through the controls (forced 429s, 5xx, slow, dropped, malformed).

Windows are rolling and read the sandbox clock, so moving the clock empties them.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .state import Sandbox

MINUTE = 60.0
DAY = 86_400.0


@dataclass
class Verdict:
    """The outcome of asking for a call slot: allowed, or a 429 with its problem."""

    ok: bool
    headers: dict[str, str]
    problem: str | None = None
    retry_after: int = 0


class Limiter:
    """Per-tenant rolling windows plus an in-flight counter."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sb = sandbox
        self.lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        with self.lock:
            self.minute: dict[str, deque[float]] = {}
            self.day: dict[str, deque[float]] = {}
            self.app_minute: deque[float] = deque()
            self.in_flight: dict[str, int] = {}

    @staticmethod
    def _trim(q: deque[float], now: float, window: float) -> None:
        while q and q[0] <= now - window:
            q.popleft()

    def app_headers(self) -> dict[str, str]:
        """Only X-AppMinLimit-Remaining, as on tenantless /connections responses."""
        now = self.sb.clock.now().timestamp()
        with self.lock:
            self._trim(self.app_minute, now, MINUTE)
            return {
                "X-AppMinLimit-Remaining": str(
                    max(0, self.sb.config.app_minute_limit - len(self.app_minute))
                )
            }

    def acquire(self, tenant: str) -> Verdict:
        """Count one call for the tenant, or refuse it with a 429 verdict (not counted)."""
        cfg = self.sb.config
        now = self.sb.clock.now().timestamp()
        with self.lock:
            mq = self.minute.setdefault(tenant, deque())
            dq = self.day.setdefault(tenant, deque())
            for q, w in ((mq, MINUTE), (dq, DAY), (self.app_minute, MINUTE)):
                self._trim(q, now, w)
            problem, retry = None, 0
            if cfg.rate_limits:
                if self.in_flight.get(tenant, 0) >= cfg.concurrent_limit:
                    problem, retry = "concurrent", 1
                elif len(dq) >= cfg.day_limit:
                    problem, retry = "day", max(1, math.ceil(dq[0] + DAY - now))
                elif len(mq) >= cfg.minute_limit:
                    problem, retry = "minute", max(1, math.ceil(mq[0] + MINUTE - now))
                elif len(self.app_minute) >= cfg.app_minute_limit:
                    problem, retry = (
                        "appminute",
                        max(1, math.ceil(self.app_minute[0] + MINUTE - now)),
                    )
            if problem is None:
                mq.append(now)
                dq.append(now)
                self.app_minute.append(now)
                self.in_flight[tenant] = self.in_flight.get(tenant, 0) + 1
            headers = {
                "X-DayLimit-Remaining": str(max(0, cfg.day_limit - len(dq))),
                "X-MinLimit-Remaining": str(max(0, cfg.minute_limit - len(mq))),
                "X-AppMinLimit-Remaining": str(max(0, cfg.app_minute_limit - len(self.app_minute))),
            }
        if problem:
            headers.update({"X-Rate-Limit-Problem": problem, "Retry-After": str(retry)})
        return Verdict(problem is None, headers, problem, retry)

    def release(self, tenant: str) -> None:
        with self.lock:
            self.in_flight[tenant] = max(0, self.in_flight.get(tenant, 0) - 1)

    def use(self, tenant: str, calls: int) -> None:
        """Pretend `calls` calls were made now (tests: reach the day limit in one step)."""
        now = self.sb.clock.now().timestamp()
        with self.lock:
            dq = self.day.setdefault(tenant, deque())
            dq.extend([now] * calls)

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                t: {
                    "minute": len(self.minute.get(t, ())),
                    "day": len(q),
                    "in_flight": self.in_flight.get(t, 0),
                }
                for t, q in self.day.items()
            }


FAULT_KINDS = (
    "rate_limit", "status", "slow", "drop", "malformed", "touch_while_paging", "lose_answer",
)  # fmt: skip


@dataclass
class Fault:
    """One armed fault: fires on matching calls after skipping `after` of them, `count` times."""

    kind: str
    count: int = 1
    after: int = 0
    tenant: str | None = None
    path: str | None = None  # case-insensitive substring of the request path
    method: str | None = None
    status: int = 503
    problem: str = "minute"
    retry_after: int | None = None
    seconds: float = 1.0
    resource: str = "invoices"
    records: int = 1
    id: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def matches(self, path: str, method: str, tenant: str | None) -> bool:
        if self.tenant and self.tenant != tenant:
            return False
        if self.path and self.path.lower() not in path.lower():
            return False
        return not (self.method and self.method.upper() != method.upper())


class Faults:
    """The armed faults, consumed in the order they were armed."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        with self.lock:
            self.items: list[Fault] = []
            self.next_id = 1
            self.fired: list[dict[str, Any]] = []

    def arm(self, spec: dict[str, Any]) -> Fault:
        kind = spec.get("kind")
        if kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {', '.join(FAULT_KINDS)}")
        known = set(Fault.__dataclass_fields__) - {"id", "extra"}
        fault = Fault(**{k: v for k, v in spec.items() if k in known})
        with self.lock:
            fault.id = self.next_id
            self.next_id += 1
            self.items.append(fault)
        return fault

    def take(
        self,
        path: str,
        method: str,
        tenant: str | None,
        kinds: tuple[str, ...],
        resource: str | None = None,
    ) -> Fault | None:
        """The first armed fault of these kinds that fires on this call (consuming one use)."""
        with self.lock:
            for f in self.items:
                if f.kind not in kinds or not f.matches(path, method, tenant):
                    continue
                if (
                    resource is not None
                    and f.resource.lower().replace("_", "").replace("-", "") != resource
                ):
                    continue
                if f.after > 0:
                    f.after -= 1
                    continue
                f.count -= 1
                if f.count <= 0:
                    self.items.remove(f)
                self.fired.append({"id": f.id, "kind": f.kind, "path": path})
                return f
        return None

    def list(self) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(vars(f)) for f in self.items]

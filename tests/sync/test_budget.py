"""The API budget bookkeeping: one atomic upsert per answered call, never an error to the caller."""

from __future__ import annotations

import threading
from datetime import timedelta

import httpx
import pytest

from xeroflow_core.db import session_scope
from xeroflow_core.models.core import utcnow
from xeroflow_core.models.sync import ApiBudget
from xeroflow_core.sync import budget as budget_mod
from xeroflow_core.sync.budget import budget, rate_headers, record_call


def _row(engine, tenant: str) -> ApiBudget | None:
    with session_scope(engine) as s:
        return s.get(ApiBudget, tenant)


def test_concurrent_first_calls_count_exactly_on_postgres(pg_engine) -> None:
    """N threads making the first calls for a fresh tenant: no IntegrityError, exact count."""
    threads, per_thread = 8, 10
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def work() -> None:
        start.wait()
        for i in range(per_thread):
            try:
                record_call(
                    pg_engine,
                    "fresh-tenant",
                    200,
                    httpx.Headers({"x-daylimit-remaining": str(4000 - i)}),
                    raise_errors=True,
                )
            except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert errors == []
    row = _row(pg_engine, "fresh-tenant")
    assert row is not None
    assert row.calls_today == threads * per_thread
    assert row.day == utcnow().date()


def test_new_day_restarts_the_count_and_keeps_headers(engine) -> None:
    record_call(engine, "t1", 200, httpx.Headers({"x-daylimit-remaining": "10"}))
    record_call(engine, "t1", 200, httpx.Headers({"x-minlimit-remaining": "55"}))
    row = _row(engine, "t1")
    assert (row.calls_today, row.day_remaining, row.minute_remaining) == (2, 10, 55)
    with session_scope(engine) as s:
        r = s.get(ApiBudget, "t1")
        r.day = utcnow().date() - timedelta(days=1)
    record_call(
        engine,
        "t1",
        429,
        httpx.Headers({"x-rate-limit-problem": "day", "retry-after": "120"}),
    )
    row = _row(engine, "t1")
    assert row.calls_today == 1
    assert row.day == utcnow().date()
    assert (row.day_remaining, row.minute_remaining) == (10, 55)  # absent headers keep values
    assert row.problem == "day" and row.retry_at is not None
    record_call(engine, "t1", 200, httpx.Headers({}))
    row = _row(engine, "t1")
    assert row.problem == "" and row.retry_at is None and row.calls_today == 2


def test_budget_is_a_pure_read(engine) -> None:
    record_call(engine, "t2", 200, httpx.Headers({}))
    with session_scope(engine) as s:
        s.get(ApiBudget, "t2").day = utcnow().date() - timedelta(days=1)
    seen = budget(engine, "t2")
    assert seen is not None and seen.calls_today == 0  # a new UTC day reads as 0
    stored = _row(engine, "t2")
    assert stored.calls_today == 1  # ...without writing it
    assert stored.day == utcnow().date() - timedelta(days=1)
    assert budget(engine, "nobody") is None


def test_a_bookkeeping_failure_never_fails_the_call(engine, monkeypatch, caplog) -> None:
    def broken(*a, **k):
        raise RuntimeError("database went away")

    monkeypatch.setattr(budget_mod, "_upsert", broken)
    record_call(engine, "t3", 200, httpx.Headers({}))  # logged, not raised
    assert "database went away" in caplog.text
    with pytest.raises(RuntimeError):
        record_call(engine, "t3", 200, httpx.Headers({}), raise_errors=True)


def test_rate_headers_reads_only_digits() -> None:
    assert rate_headers(
        httpx.Headers({"x-daylimit-remaining": " 12 ", "x-minlimit-remaining": "x"})
    ) == (12, None)
    assert rate_headers(httpx.Headers({})) == (None, None)

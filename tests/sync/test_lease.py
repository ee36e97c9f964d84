"""Leases on SQLite and PostgreSQL: one holder at a time (conditional UPDATE, rowcount), an
expired lease is taken over, the old holder learns it lost, and the engine refuses to sync an
organisation another process is syncing."""

from __future__ import annotations

import threading

import pytest

from xeroflow_core.settings import load_settings
from xeroflow_core.sync.engine import sync_tenant
from xeroflow_core.sync.lease import LeaseBusy, current_holder, tenant_lease, try_acquire

T = "tenant-lease-test"


def test_one_holder_at_a_time_across_racers(engine):
    winners: list[str] = []
    barrier = threading.Barrier(8)

    def race(i: int) -> None:
        barrier.wait()
        lease = try_acquire(engine, T, holder=f"racer-{i}", ttl=30)
        if lease is not None:
            winners.append(lease.holder)

    threads = [threading.Thread(target=race, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1
    assert current_holder(engine, T).holder == winners[0]


def test_expired_lease_is_taken_over_and_the_old_holder_knows(engine, monkeypatch):
    from datetime import timedelta

    from xeroflow_core.sync import lease as lease_mod

    old = try_acquire(engine, T, holder="old", ttl=30)
    old._stop.set()  # noqa: SLF001 - simulate a stalled process that stopped renewing
    assert try_acquire(engine, T, holder="new", ttl=30) is None
    real_now = lease_mod.utcnow
    monkeypatch.setattr(lease_mod, "utcnow", lambda: real_now() + timedelta(seconds=60))
    new = try_acquire(engine, T, holder="new", ttl=30)
    assert new is not None
    assert not old.renew() and old.lost
    new.release()
    assert current_holder(engine, T) is None


def test_engine_refuses_an_organisation_being_synced_elsewhere(engine):
    other = try_acquire(engine, T, holder="another-worker", ttl=30)
    with pytest.raises(LeaseBusy):
        sync_tenant(engine, load_settings(), T)
    other.release()
    with tenant_lease(engine, T) as mine, tenant_lease(engine, T) as again:
        assert mine is again  # re-entrant within one thread

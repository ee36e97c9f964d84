"""With Xero's real limits on and a scaled clock (the sandbox's clock is frozen and moves only
when the governor sleeps), back-to-back full syncs pace themselves to 60 calls a minute and
never receive a 429."""

from __future__ import annotations

import httpx
import pytest

from tests.support.sync import connect
from xero_sandbox.app import create_app
from xero_sandbox.server import serve_app_in_thread
from xero_sandbox.testing import sandbox_config
from xeroflow_core.bench.sync import PacingProbe
from xeroflow_core.sync.engine import sync_tenant
from xeroflow_core.xero.client import ClientOptions


@pytest.mark.slow
def test_full_syncs_pace_to_sixty_a_minute_without_429s(sqlite_engine):
    app = create_app(sandbox_config(seed=3, invoices=12_000, frozen_clock=True, rate_limits=True))
    probe = PacingProbe(app.state.sandbox)
    with serve_app_in_thread(app) as url:
        synced = connect(sqlite_engine, url)
        agency = synced.tenants["Demo Agency Ltd"]
        with httpx.Client(timeout=60, event_hooks=probe.hooks) as http:
            calls = 0
            for _ in range(4):
                res = sync_tenant(
                    sqlite_engine,
                    synced.settings,
                    agency,
                    full=True,
                    http=http,
                    options=ClientOptions(governor=probe.governor),
                )
                assert res.status == "ok"
                calls += res.calls
    assert calls > 60 and len(probe.stamps) == calls  # enough calls to need pacing
    assert 429 not in probe.statuses
    assert probe.busiest_minute() <= 60
    assert probe.governor.waited_s >= 60 * (calls // 60 - 1)  # it waited rather than being refused

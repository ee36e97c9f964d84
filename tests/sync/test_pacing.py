"""With Xero's real limits on and a scaled clock (the sandbox's clock is frozen and moves only
when the governor sleeps), back-to-back full syncs pace themselves to 60 calls a minute and
never receive a 429."""

from __future__ import annotations

from collections import deque

import httpx
import pytest

from tests.support.sync import connect
from xeroflow_core.sandbox.app import SandboxConfig, create_app
from xeroflow_core.sandbox.server import serve_app_in_thread
from xeroflow_core.sync.engine import sync_tenant
from xeroflow_core.xero.client import ClientOptions, Governor


@pytest.mark.slow
def test_full_syncs_pace_to_sixty_a_minute_without_429s(sqlite_engine):
    app = create_app(SandboxConfig(seed=3, invoices=12_000, frozen_clock=True, rate_limits=True))
    sb = app.state.sandbox
    stamps: list[float] = []
    statuses: list[int] = []

    def on_request(request: httpx.Request) -> None:
        if "/api.xro/" in request.url.path:
            stamps.append(sb.clock.now().timestamp())

    def on_response(response: httpx.Response) -> None:
        if "/api.xro/" in response.request.url.path:
            statuses.append(response.status_code)

    gov = Governor(clock=lambda: sb.clock.now().timestamp(), sleep=sb.clock.advance)
    with serve_app_in_thread(app) as url:
        synced = connect(sqlite_engine, url)
        agency = synced.tenants["Demo Agency Ltd"]
        hooks = {"request": [on_request], "response": [on_response]}
        with httpx.Client(timeout=60, event_hooks=hooks) as http:
            calls = 0
            for _ in range(4):
                res = sync_tenant(
                    sqlite_engine,
                    synced.settings,
                    agency,
                    full=True,
                    http=http,
                    options=ClientOptions(governor=gov),
                )
                assert res.status == "ok"
                calls += res.calls
    assert calls > 60 and len(stamps) == calls  # enough calls to need pacing
    assert 429 not in statuses
    window: deque[float] = deque()
    busiest = 0
    for t in stamps:
        window.append(t)
        while window[0] <= t - 60:
            window.popleft()
        busiest = max(busiest, len(window))
    assert busiest <= 60
    assert gov.waited_s >= 60 * (calls // 60 - 1)  # it waited rather than being refused

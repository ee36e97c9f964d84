"""Sandboxes for a test suite: test controls mounted, behind a key the tests know, so a test can
reset data, move the clock or inject faults without each test building its own config.

    from xero_sandbox.server import serve_in_thread
    from xero_sandbox.testing import control, sandbox_config

    with serve_in_thread(sandbox_config(seed=7)) as url:
        control(url, "/_sandbox/clock", {"advance_seconds": 60})
"""

from __future__ import annotations

from typing import Any

import httpx

from .access import KEY_HEADER
from .config import SandboxConfig

KEY = "tests-sandbox-key"
HEADERS = {KEY_HEADER: KEY}


def sandbox_config(**kwargs: Any) -> SandboxConfig:
    """A SandboxConfig with the test controls mounted under the tests' key."""
    kwargs.setdefault("test_controls", True)
    kwargs.setdefault("control_key", KEY)
    return SandboxConfig(**kwargs)


def control(
    base_url: str, path: str, body: dict[str, Any] | None = None, method: str = "POST"
) -> httpx.Response:
    """Call a test control over HTTP with the key; raises on an error status."""
    response = httpx.request(
        method, base_url + path, json=body, headers=HEADERS, timeout=60
    ).raise_for_status()
    return response

"""SandboxConfig: what a sandbox instance serves (data size, seed, limits, registered apps)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

DEMO_CLIENT_ID = "xeroflow-demo"
DEMO_CLIENT_SECRET = "xeroflow-demo-secret"
# Any port, any path, on localhost or 127.0.0.1 (Xero allows http only for localhost).
DEMO_REDIRECTS = (r"^http://localhost(:\d+)?/.*$", r"^http://127\.0\.0\.1(:\d+)?/.*$")


def _demo_clients() -> dict[str, tuple[str, tuple[str, ...]]]:
    return {DEMO_CLIENT_ID: (DEMO_CLIENT_SECRET, DEMO_REDIRECTS)}


def new_control_key() -> str:
    """A fresh per-run secret for the test controls and the console."""
    return secrets.token_urlsafe(24)


@dataclass
class SandboxConfig:
    """Everything that shapes one sandbox; the data is a pure function of (seed, as_of, size)."""

    seed: int = 42
    size: Literal["demo", "small", "large"] = "demo"
    invoices: int | None = None
    contacts: int | None = None
    as_of: date | None = None  # the clock's first day (default: today UTC)
    rate_limits: bool = True
    day_limit: int = 5000
    minute_limit: int = 60
    concurrent_limit: int = 5
    app_minute_limit: int = 10_000
    # `/_sandbox/...` (test controls and the console): off unless asked for, and even then only
    # with `X-Sandbox-Key: control_key` (the console: the same key, once, then a cookie).
    test_controls: bool = False
    control_key: str = field(default_factory=new_control_key)
    # client_id -> (secret, redirect URI regexes)
    clients: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=_demo_clients)
    granular_only: bool = False  # simulate an app created after 2 Mar 2026: broad scopes refused
    frozen_clock: bool = False  # tests: time moves only when told
    issuer: str = "https://identity.xero.com"
    provider_name: str = "XeroFlow"
    state_file: str | None = None
    code_lifetime_s: int = 300
    access_lifetime_s: int = 1800
    refresh_grace_s: int = 1800
    refresh_lifetime_s: int = 60 * 86_400
    idempotency_window_s: int = 360
    # A malformed If-Modified-Since (e.g. "yesterday"): Xero's answer is UNCONFIRMED. "ignore"
    # serves the request as if the header were absent (a lenient HTTP server's way) and logs it;
    # "reject" answers 400.
    malformed_if_modified_since: Literal["ignore", "reject"] = "ignore"
    # The body of a 404 for an Accounting API path the sandbox does not serve: Xero's is
    # UNCONFIRMED. "json" is the problem-details shape of Xero's other errors; "text" is the
    # plain text Xero sends for an unknown record.
    unserved_path_body: Literal["json", "text"] = "json"

    def redirect_allowed(self, client_id: str, uri: str) -> bool:
        """Whether a redirect URI is registered for the client (exact regex match)."""
        entry = self.clients.get(client_id)
        return bool(entry) and any(re.match(p, uri) for p in entry[1])

"""The one way XeroFlow talks to Xero's Accounting API: an httpx client that adds the bearer
token and `xero-tenant-id`, keeps every organisation inside Xero's limits, and retries only what
is safe to retry.

- Budget governor per tenant (shared by every client of that tenant in this process; the worker's
  per-tenant lease makes one process the only talker): at most 5 calls in flight, at most 60
  starts in any rolling minute, the daily remainder read from `X-DayLimit-Remaining` on every
  answer (429s included), and a reserve of the daily budget that background sync never spends.
- A minute (or concurrent) 429 waits `Retry-After` and retries; a day 429 raises at once.
- A caller that holds something for the call (an EOM push holds its draft's claim) passes
  `heartbeat`: called with 0 right before each request goes out, and with the seconds before
  each wait (Retry-After, the minute window) and every 30 s of a long one; it may raise to
  abandon the call before anything is sent.
- 5xx, timeouts and dropped connections retry a bounded number of times with exponential backoff
  and jitter — reads always, writes (PUT/POST/DELETE) only when they carry an Idempotency-Key. The httpx transport itself never retries (retries=0): no hidden retries below ours.
- A 401 TokenExpired forces one single-flight refresh and retries once.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import Engine

from xeroflow_core.settings import Settings
from xeroflow_core.xero import parse, tokens
from xeroflow_core.xero.errors import (
    XeroError,
    XeroMalformed,
    XeroNeedsReconnect,
    XeroRateLimited,
    XeroUnauthorized,
    XeroUnavailable,
)
from xeroflow_core.xero.governor import Governor, governor_for, reset_governors
from xeroflow_core.xero.responses import body_text, error_for, xero_detail

__all__ = [
    "ClientHooks",
    "ClientOptions",
    "Governor",
    "XeroClient",
    "governor_for",
    "new_http",
    "reset_governors",
]

log = logging.getLogger("xeroflow.xero")

TRANSIENT_STATUSES = {500, 502, 503, 504}


@dataclass
class ClientOptions:
    """Knobs for retries and pacing (tests shrink the backoff; the benchmark lifts nothing)."""

    timeout: float = 60.0
    retries: int = 4  # extra attempts after a 5xx, timeout or dropped connection
    backoff_base: float = 0.5
    backoff_cap: float = 8.0
    minute_waits: int = 5  # minute/concurrent 429s waited out per call before giving up
    governor: Governor | None = None

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter (half to full of the step), capped."""
        step = min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1))
        return step * random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not crypto


@dataclass(frozen=True)
class ClientHooks:
    """What the caller keeps around the calls: this module stores nothing itself, so it knows
    nothing of where budgets or connection states live (sync/budget.py builds the usual set)."""

    # before the first call: set the governor from the last known budget (a day 429 seen
    # earlier stops the call before it is sent)
    restore_budget: Callable[[str, Governor], None] | None = None
    # every answered call (429s included): tenant id, status, headers
    record_call: Callable[[str, int, httpx.Headers], None] | None = None
    # a write refused with 403: tenant id, reason (reads go on, writes stop)
    lost_write_access: Callable[[str, str], None] | None = None


@dataclass
class _Attempts:
    """One logical call's attempts so far, shared by the pipeline's steps."""

    method: str
    path: str
    retryable: bool
    heartbeat: Callable[[float], None] | None
    failures: int = 0
    minute_waits: int = 0
    refreshed: bool = False


def new_http(timeout: float = 60.0) -> httpx.Client:
    """An httpx client whose transport never retries on its own."""
    return httpx.Client(transport=httpx.HTTPTransport(retries=0), timeout=timeout)


OWN_HEADERS = ("authorization", "xero-tenant-id", "accept")


def _headers(token: str, tenant_id: str, extra: dict[str, str] | None) -> dict[str, str]:
    """Every call's headers: a caller may add (Idempotency-Key, If-Modified-Since) but never
    replace the token, the tenant or `Accept: application/json` (without it Xero answers XML)."""
    out = {k: v for k, v in (extra or {}).items() if k.lower() not in OWN_HEADERS}
    out.update(
        {
            "Authorization": f"Bearer {token}",
            "xero-tenant-id": tenant_id,
            "Accept": "application/json",
        }
    )
    return out


class XeroClient:
    """Accounting API calls for one tenant. Paths are relative to `settings.accounting_url`."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        tenant_id: str,
        *,
        http: httpx.Client | None = None,
        purpose: str = "sync",
        options: ClientOptions | None = None,
        hooks: ClientHooks | None = None,
    ) -> None:
        self.engine, self.settings, self.tenant_id = engine, settings, tenant_id
        self.purpose = purpose
        self.options = options or ClientOptions()
        self._own_http = http is None
        self.http = http or new_http(self.options.timeout)
        self.governor = self.options.governor or governor_for(tenant_id)
        self.calls = 0  # requests sent to Xero (answered or not)
        self.hooks = hooks or ClientHooks()
        if self.hooks.restore_budget is not None:
            self.hooks.restore_budget(tenant_id, self.governor)

    # --- lifecycle ------------------------------------------------------------------------

    def close(self) -> None:
        if self._own_http:
            self.http.close()

    def __enter__(self) -> XeroClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- public calls -----------------------------------------------------------------------

    def get(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        heartbeat: Callable[[float], None] | None = None,
    ) -> httpx.Response:
        return self.request("GET", path, params=params, headers=headers, heartbeat=heartbeat)

    def put(
        self,
        path: str,
        json: Any,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        heartbeat: Callable[[float], None] | None = None,
    ) -> httpx.Response:
        return self.request(
            "PUT", path, params=params, json=json, headers=headers, heartbeat=heartbeat
        )

    def post(
        self,
        path: str,
        json: Any,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        return self.request("POST", path, params=params, json=json, headers=headers)

    @staticmethod
    def json(response: httpx.Response) -> Any:
        """The body with exact decimals; an unreadable body raises XeroMalformed."""
        return parse.loads(response.content)

    def get_json(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        heartbeat: Callable[[float], None] | None = None,
    ) -> dict[str, Any]:
        body = self.json(self.get(path, params=params, headers=headers, heartbeat=heartbeat))
        if not isinstance(body, dict):
            raise XeroMalformed(f"Xero answered {path} with a {type(body).__name__}, not an object")
        return body

    # --- the pipeline ---------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        heartbeat: Callable[[float], None] | None = None,
    ) -> httpx.Response:
        """One logical call: governed, authenticated, retried where safe, errors typed."""
        url = f"{self.settings.accounting_url}/{path.lstrip('/')}"
        write = method.upper() in ("PUT", "POST", "DELETE")
        # Xero may have applied a write whose answer we lost: repeat it only under its key.
        retryable = not write or any(k.lower() == "idempotency-key" for k in headers or {})
        call = _Attempts(method, path, retryable, heartbeat)
        while True:
            token = self._token(force=False)
            try:
                response = self._send(method, url, token, params, json, headers, heartbeat)
            except httpx.TransportError as exc:  # timeouts, refused and dropped connections
                self._retry_after_transport_error(call, exc)
                continue
            status = response.status_code
            if status < 300:
                return response
            if status == 429:
                self._wait_out_rate_limit(call, response)
            elif status in TRANSIENT_STATUSES:
                self._retry_after_server_error(call, response)
            elif status == 401:
                self._refresh_after_401(call, response, token)
            else:
                raise self._error(response, path, write)

    # --- the pipeline's steps -------------------------------------------------------------------

    def _send(
        self,
        method: str,
        url: str,
        token: str,
        params: dict[str, Any] | None,
        json: Any,
        headers: dict[str, str] | None,
        heartbeat: Callable[[float], None] | None,
    ) -> httpx.Response:
        """One request through the governor; every answer (429s included) updates the budget."""
        self.governor.acquire(self.purpose, self.settings.api_reserve_calls, heartbeat)
        try:
            if heartbeat is not None:
                heartbeat(0.0)
            response = self.http.request(
                method,
                url,
                params=params,
                json=json,
                headers=_headers(token, self.tenant_id, headers),
                timeout=self.options.timeout,
            )
        except httpx.TransportError:
            self.calls += 1
            raise
        finally:
            self.governor.release()
        self.calls += 1
        self.governor.observe(response.headers)
        if self.hooks.record_call is not None:
            self.hooks.record_call(self.tenant_id, response.status_code, response.headers)
        return response

    def _retry_after_transport_error(self, call: _Attempts, exc: httpx.TransportError) -> None:
        """Back off before trying again, or raise XeroUnavailable when retries are spent."""
        call.failures += 1
        if call.failures > self.options.retries or not call.retryable:
            raise XeroUnavailable(
                f"{type(exc).__name__} calling Xero {call.path} ({call.failures} attempts)",
                path=call.path,
            ) from None
        log.info(
            "Xero %s %s: %s; retry %d", call.method, call.path, type(exc).__name__, call.failures
        )
        time.sleep(self.options.backoff(call.failures))

    def _wait_out_rate_limit(self, call: _Attempts, response: httpx.Response) -> None:
        """A minute (or concurrent) 429 waits Retry-After; a day 429, or too many, raises."""
        scope = (response.headers.get("x-rate-limit-problem") or "minute").lower()
        retry_after = _float(response.headers.get("retry-after"), 60.0)
        if scope == "day":
            self.governor.day_remaining = 0
            raise XeroRateLimited(
                "Xero refused the call: daily limit reached",
                scope="day",
                retry_after=retry_after,
                path=call.path,
            )
        call.minute_waits += 1
        if call.minute_waits > self.options.minute_waits:
            raise XeroRateLimited(
                f"Xero kept answering 429 ({scope})",
                scope=scope,
                retry_after=retry_after,
                path=call.path,
            )
        log.info("Xero 429 %s on %s: waiting %.0f s", scope, call.path, retry_after)
        if call.heartbeat is not None:
            call.heartbeat(retry_after)
        self.governor.block_for(retry_after)

    def _retry_after_server_error(self, call: _Attempts, response: httpx.Response) -> None:
        """Back off after a 5xx, or raise XeroUnavailable when retries are spent."""
        status = response.status_code
        call.failures += 1
        if call.failures > self.options.retries or not call.retryable:
            raise XeroUnavailable(
                f"Xero answered {status} to {call.path} {call.failures} times",
                status=status,
                xero_message=body_text(response),
                path=call.path,
            )
        log.info("Xero %s on %s; retry %d", status, call.path, call.failures)
        time.sleep(self.options.backoff(call.failures))

    def _refresh_after_401(self, call: _Attempts, response: httpx.Response, token: str) -> None:
        """A rejected token is refreshed once (single-flight); a missing scope, or a second
        401, raises XeroUnauthorized."""
        detail = xero_detail(response)
        if "insufficient_scope" in response.headers.get("www-authenticate", ""):
            raise XeroUnauthorized(
                f"Xero refused {call.path}: the connection lacks the scope for it",
                status=401,
                xero_message=detail,
                what_to_do="Reconnect Xero so an admin approves the missing scope.",
                path=call.path,
            )
        if call.refreshed:
            raise XeroUnauthorized(
                f"Xero refused the access token for {call.path}",
                status=401,
                xero_message=detail,
                path=call.path,
            )
        call.refreshed = True
        self._token(force=True, rejected=token)

    # --- helpers --------------------------------------------------------------------------------

    def _error(self, response: httpx.Response, path: str, write: bool) -> XeroError:
        if response.status_code == 403 and write and self.hooks.lost_write_access is not None:
            self.hooks.lost_write_access(
                self.tenant_id,
                f"Xero refused a write with 403 ({xero_detail(response)}): the authorising user "
                "lost a role or a scope",
            )
        return error_for(response, path, write)

    def _token(self, *, force: bool, rejected: str | None = None) -> str:
        """The tenant's access token; `force` refreshes (single-flight) unless another caller
        already replaced the `rejected` one."""
        try:
            if force:
                return tokens.force_refresh(
                    self.engine,
                    self.settings,
                    self.tenant_id,
                    rejected_token=rejected,
                    http=self.http,
                )
            return tokens.get_access_token(
                self.engine, self.settings, self.tenant_id, http=self.http
            )
        except tokens.NeedsReconnect as exc:
            raise XeroNeedsReconnect(f"Xero connection needs reconnecting: {exc.reason}") from None
        except tokens.XeroAuthError as exc:
            raise XeroUnavailable(str(exc)) from None


def _float(value: str | None, default: float) -> float:
    try:
        return float(value) if value else default
    except ValueError:
        return default

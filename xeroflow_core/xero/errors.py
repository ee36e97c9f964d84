"""Typed Xero errors: each keeps Xero's own message and says what a person should do about it.

The sync engine records `problem`, `xero_message` and `what_to_do` on the Sync Status page, so
an admin reads "wait for the daily limit" or "reconnect Xero" instead of a stack trace.
"""

from __future__ import annotations

from typing import Any


class XeroError(Exception):
    """A call to Xero failed. `status` is the HTTP status (0 when there was no response)."""

    problem = "error"
    default_what_to_do = "Try again later; if it persists, check Xero's status page."

    def __init__(
        self,
        message: str,
        *,
        status: int = 0,
        xero_message: str = "",
        what_to_do: str | None = None,
        path: str = "",
    ) -> None:
        super().__init__(message)
        self.status = status
        self.xero_message = xero_message or message
        self.what_to_do = what_to_do or self.default_what_to_do
        self.path = path

    def summary(self) -> dict[str, Any]:
        """What the status page and the run history keep about this error."""
        return {
            "problem": self.problem,
            "status": self.status,
            "error": str(self),
            "xero_message": self.xero_message,
            "what_to_do": self.what_to_do,
        }


class XeroRateLimited(XeroError):
    """429: `scope` is Xero's X-Rate-Limit-Problem (minute, day, concurrent, appminute)."""

    problem = "rate_limit"

    def __init__(self, message: str, *, scope: str, retry_after: float, **kw: Any) -> None:
        if scope == "day":
            kw.setdefault(
                "what_to_do",
                "Xero's daily limit for this organisation is used up; syncing resumes by itself "
                f"when it lifts (in about {int(retry_after // 3600)} h {int(retry_after % 3600 // 60)} min).",
            )
        else:
            kw.setdefault("what_to_do", "Nothing: XeroFlow waits and retries by itself.")
        super().__init__(message, status=429, **kw)
        self.scope = scope
        self.retry_after = retry_after
        self.problem = f"rate_limit_{scope}"


class XeroBudgetReserved(XeroError):
    """Not a Xero answer: we stopped before the daily budget's reserve (kept for people's own
    actions and EOM pushes) would be spent by background sync."""

    problem = "budget_reserve"
    default_what_to_do = (
        "Background sync paused to keep the daily reserve for interactive work; it resumes when "
        "Xero's daily window frees calls."
    )


class XeroUnauthorized(XeroError):
    """401 that a token refresh did not cure, or a missing scope (insufficient_scope)."""

    problem = "unauthorized"
    default_what_to_do = "Reconnect Xero on the Connect page (an admin must approve the scopes)."


class XeroForbidden(XeroError):
    """403: the connection was removed in Xero, or the user lost access or a role."""

    problem = "forbidden"
    default_what_to_do = (
        "Check the connection on the Connect page: the organisation may have been disconnected "
        "in Xero, or the authorising user lost access. Reconnect Xero."
    )


class XeroNotFound(XeroError):
    problem = "not_found"
    default_what_to_do = "The record or endpoint no longer exists in Xero."


class XeroValidationError(XeroError):
    """400 ValidationException: `elements` holds Xero's per-record validation errors."""

    problem = "validation"
    default_what_to_do = "Correct the data Xero rejected (see the messages) and try again."

    def __init__(self, message: str, *, elements: list[dict[str, Any]] | None = None, **kw: Any):
        super().__init__(message, **kw)
        self.elements = elements or []

    @property
    def messages(self) -> list[str]:
        out: list[str] = []
        for el in self.elements:
            for err in el.get("ValidationErrors") or []:
                if err.get("Message"):
                    out.append(str(err["Message"]))
        return out


class XeroBadRequest(XeroError):
    """Another 400 (QueryParseException, PostDataInvalidException, ...)."""

    problem = "bad_request"
    default_what_to_do = "This is a bug in XeroFlow's request; report it with the message."


class XeroUnavailable(XeroError):
    """5xx, timeouts and dropped connections that outlasted our bounded retries."""

    problem = "unavailable"
    default_what_to_do = "Xero did not answer reliably; the next scheduled run retries."


class XeroMalformed(XeroError):
    """A 200 whose body is not the JSON Xero promises (cut off, not JSON, wrong shape)."""

    problem = "malformed"
    default_what_to_do = (
        "Xero sent an unreadable page; earlier pages are kept and the next run reads it again."
    )


class XeroNeedsReconnect(XeroError):
    """The stored authorisation cannot be used (refresh refused, revoked, disconnected)."""

    problem = "needs_reconnect"
    default_what_to_do = "Reconnect Xero on the Connect page."

"""Who may use `/_sandbox/...`: the per-run control key, in a header for the JSON controls and
as a cookie (set once from the key) for the console, plus the console's CSRF token.

The controls change data, age tokens and write the state file, so any page open in the same
browser must not reach them: a custom header cannot be sent cross-origin without a CORS
preflight (which the sandbox never answers), and the console's cookie is HttpOnly, SameSite=Lax
and its forms carry a token that only the key can produce.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response

from .responses import json_response
from .state import Sandbox

KEY_HEADER = "X-Sandbox-Key"
COOKIE = "xero_sandbox_console"
CONSOLE = "/_sandbox/console"


def _derive(sb: Sandbox, purpose: str) -> str:
    """A value only the key can produce; the cookie is never the key itself, so a cookie read
    off the disk cannot be replayed as the control header."""
    return hmac.new(sb.config.control_key.encode(), purpose.encode(), hashlib.sha256).hexdigest()


def key_matches(sb: Sandbox, presented: str | None) -> bool:
    return bool(presented) and secrets.compare_digest(
        str(presented).encode(), sb.config.control_key.encode()
    )


def refuse_control(sb: Sandbox, request: Request, body: bytes) -> Response | None:
    """Why a JSON control call is refused (401/403/415), or None when it may run."""
    presented = request.headers.get(KEY_HEADER)
    if not presented:
        return json_response({"error": f"{KEY_HEADER} header required"}, 401)
    if not key_matches(sb, presented):
        return json_response({"error": f"wrong {KEY_HEADER}"}, 403)
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if body and ctype != "application/json":
        return json_response({"error": "Content-Type must be application/json"}, 415)
    return None


def console_cookie(sb: Sandbox) -> str:
    return _derive(sb, "console-session")


def console_allowed(sb: Sandbox, request: Request) -> bool:
    cookie = request.cookies.get(COOKIE, "")
    return bool(cookie) and secrets.compare_digest(cookie.encode(), console_cookie(sb).encode())


def set_console_cookie(sb: Sandbox, response: Response) -> Response:
    response.set_cookie(
        COOKIE, console_cookie(sb), path=CONSOLE, httponly=True, samesite="lax", secure=False
    )
    return response


def csrf_token(sb: Sandbox) -> str:
    return _derive(sb, "console-form")


def csrf_ok(sb: Sandbox, presented: object) -> bool:
    return isinstance(presented, str) and secrets.compare_digest(
        presented.encode(), csrf_token(sb).encode()
    )


def safe_next(target: str | None) -> str:
    """Where to go after signing in: only a console path (never another site)."""
    if target and target.startswith(CONSOLE) and "//" not in target and "\\" not in target:
        return target
    return CONSOLE

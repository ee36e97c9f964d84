"""What an answer from Xero means when it is not a success: the typed error (xero/errors.py) for
its status, and Xero's own words taken from its body.

Apart from client.py, which decides what to retry; this module only reads an answer that no
retry fixes, so it holds no state and calls nothing.
"""

from __future__ import annotations

import httpx

from xeroflow_core.xero import parse
from xeroflow_core.xero.errors import (
    XeroBadRequest,
    XeroError,
    XeroForbidden,
    XeroNotFound,
    XeroValidationError,
)


def error_for(response: httpx.Response, path: str, write: bool) -> XeroError:
    """The typed error for an answer no retry fixes: 403 (a write refused says what to do), 404,
    400 (Xero's validation messages when it gives them), else the status and Xero's text."""
    status = response.status_code
    if status == 403:
        detail = xero_detail(response)
        if write:
            return XeroForbidden(
                f"Xero refused the write to {path} (403)",
                status=403,
                xero_message=detail,
                what_to_do="The Xero user who connected XeroFlow lost the role or scope to "
                "write; reading goes on. Reconnect Xero with a user who may write.",
                path=path,
            )
        return XeroForbidden(
            f"Xero refused {path} (403)", status=403, xero_message=detail, path=path
        )
    if status == 404:
        return XeroNotFound(f"Xero has no {path}", status=404, path=path)
    if status == 400:
        try:
            body = parse.loads(response.content)
        except XeroError:
            body = {}
        body = body if isinstance(body, dict) else {}
        message = str(body.get("Message") or body_text(response))
        if body.get("Type") == "ValidationException" or body.get("Elements"):
            err = XeroValidationError(
                message, elements=body.get("Elements") or [], status=400, path=path
            )
            if err.messages:
                err.xero_message = "; ".join(err.messages)
            return err
        return XeroBadRequest(message, status=400, xero_message=message, path=path)
    return XeroError(
        f"Xero answered {status} to {path}", status=status, xero_message=body_text(response)
    )


def body_text(response: httpx.Response) -> str:
    try:
        return response.text[:500]
    except Exception:  # noqa: BLE001 - undecodable body: say so
        return f"<{len(response.content)} bytes>"


def xero_detail(response: httpx.Response) -> str:
    """Xero's own words: problem-details `Detail`, an accounting `Message`, or the text."""
    try:
        body = parse.loads(response.content)
    except XeroError:
        return body_text(response)
    if isinstance(body, dict):
        return str(body.get("Detail") or body.get("Message") or body.get("Title") or body)[:500]
    return body_text(response)

"""Response helpers: Xero's envelope, problem-details errors and accounting error bodies."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.responses import Response

from .msdate import ms_envelope
from .serialize import dumps


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response serialised with orjson (money fragments kept exact)."""
    return Response(
        dumps(body),
        status_code=status,
        headers=headers,
        media_type="application/json; charset=utf-8",
    )


def problem(status: int, detail: str, headers: dict[str, str] | None = None) -> Response:
    """The problem-details body Xero uses for 401/403 (`Title`, `Detail`, ...)."""
    titles = {401: "Unauthorized", 403: "Forbidden", 404: "NotFound"}
    body = {
        "Type": None,
        "Title": titles.get(status, "Error"),
        "Status": status,
        "Detail": detail,
        "Instance": str(uuid.uuid4()),
        "Extensions": {},
    }
    return json_response(body, status, headers)


def envelope(provider: str, now: Any, extra: dict[str, Any]) -> dict[str, Any]:
    """`Id`, `Status`, `ProviderName`, `DateTimeUTC` and then the collection."""
    out: dict[str, Any] = {
        "Id": str(uuid.uuid4()),
        "Status": "OK",
        "ProviderName": provider,
        "DateTimeUTC": ms_envelope(now),
    }
    out.update(extra)
    return out


def validation_exception(elements: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "ErrorNumber": 10,
        "Type": "ValidationException",
        "Message": "A validation exception occurred",
        "Elements": elements,
    }


def query_parse_exception(message: str) -> Response:
    return json_response(
        {"ErrorNumber": 16, "Type": "QueryParseException", "Message": message}, 400
    )


def post_data_invalid(message: str) -> Response:
    return json_response(
        {"ErrorNumber": 14, "Type": "PostDataInvalidException", "Message": message}, 400
    )


def not_found() -> Response:
    """Xero's 404 body is not a contract; send the plain text seen in the wild."""
    return Response(
        "The resource you're looking for cannot be found", status_code=404, media_type="text/plain"
    )

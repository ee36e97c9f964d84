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
    titles = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}
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


NOT_FOUND_TEXT = "The resource you're looking for cannot be found"


def not_found() -> Response:
    """An unknown record: Xero answers this plain text (XeroAPI/Xero-OpenAPI#163)."""
    return Response(NOT_FOUND_TEXT, status_code=404, media_type="text/plain")


def unserved(body: str = "json") -> Response:
    """A path the sandbox does not serve (or no API has): Xero's 404, never a framework page.
    Xero's body here is UNCONFIRMED: problem-details JSON by default, its plain text on demand
    (`SandboxConfig.unserved_path_body`)."""
    if body == "text":
        return not_found()
    return problem(404, NOT_FOUND_TEXT)

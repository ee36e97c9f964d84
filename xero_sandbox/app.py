"""create_app(): one Starlette app serving every Xero host's paths on one base URL.

login.xero.com `/identity/connect/authorize`; identity.xero.com `/connect/token`,
`/connect/revocation`, `/.well-known/openid-configuration` (+ `/jwks`); api.xero.com
`/connections` and `/api.xro/2.0/...`; plus `/_sandbox/...` test controls when enabled.
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import connections, identity, tokens
from .config import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, SandboxConfig
from .console import console_routes
from .controls import control_routes
from .pipeline import SERVER_SEND, api
from .responses import unserved
from .state import Sandbox

__all__ = ["DEMO_CLIENT_ID", "DEMO_CLIENT_SECRET", "Sandbox", "SandboxConfig", "create_app"]


API_PREFIX = "/api.xro/2.0"
CASE_INSENSITIVE = ("/connections", API_PREFIX)  # Xero's paths are case-insensitive


class XeroHeaders:
    """ASGI middleware: Xero-Correlation-Id on every response, case-insensitive Xero paths
    (`/Connections`, `/API.XRO/2.0/invoices`), and a short access log (tests assert the client
    sends `Accept: application/json`)."""

    def __init__(self, app: Any, sandbox: Sandbox) -> None:
        self.app, self.sb = app, sandbox

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        for prefix in CASE_INSENSITIVE:
            if path.lower().startswith(prefix) and not path.startswith(prefix):
                scope = dict(scope, path=prefix + path[len(prefix) :])
        headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
        log = self.sb.access_log
        log.append(
            {
                "method": scope["method"],
                "path": path,
                "query": scope.get("query_string", b"").decode(),
                "accept": headers.get("accept"),
                "tenant": headers.get("xero-tenant-id"),
            }
        )
        if len(log) > 100_000:  # bounded, but long enough for any one test to count its calls
            del log[:50_000]
        correlation = str(uuid.uuid4()).encode()

        async def send_with_id(message: Any) -> None:
            if message["type"] == "http.response.start":
                message = dict(
                    message,
                    headers=list(message.get("headers", []))
                    + [(b"xero-correlation-id", correlation)],
                )
            await send(message)

        await self.app(scope, receive, send_with_id)


async def index(request: Request) -> Response:
    sb: Sandbox = request.app.state.sandbox
    return JSONResponse(
        {
            "sandbox": "XeroFlow local Xero",
            "organisations": [
                {
                    "tenantId": o.tenant_id,
                    "name": o.name,
                    "baseCurrency": o.base_currency,
                    "classicExpenses": o.classic_expenses,
                }
                for o in sb.orgs.values()
            ],
            "client_id": DEMO_CLIENT_ID,
            "test_controls": sb.config.test_controls,
        }
    )


class SandboxApp(Starlette):
    """Starlette that keeps the HTTP server's own `send` in the scope, so a `lose_answer` fault
    can close the connection itself (middleware wraps `send` in closures)."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            scope[SERVER_SEND] = send
        await super().__call__(scope, receive, send)


async def no_route(request: Request, exc: Exception) -> Response:
    """A path or method no route serves: Xero's 404 (or 405), not the framework's text page."""
    status = exc.status_code if isinstance(exc, HTTPException) else 404
    if request.url.path.startswith("/_sandbox"):
        return JSONResponse({"error": "no such control"}, status_code=status)
    if status == 405:
        return Response(b"The method is not allowed", status_code=405, media_type="text/plain")
    return unserved(request.app.state.sandbox.config.unserved_path_body)


def create_app(config: SandboxConfig | None = None) -> Starlette:
    """The sandbox ASGI app; `app.state.sandbox` is the live Sandbox (data, clock, limits)."""
    config = config or SandboxConfig()
    sandbox = Sandbox(config)
    routes = [
        Route("/", index),
        Route("/identity/connect/authorize", identity.authorize_get, methods=["GET"]),
        Route("/identity/connect/authorize", identity.authorize_post, methods=["POST"]),
        Route("/connect/token", tokens.token, methods=["POST"]),
        Route("/connect/revocation", tokens.revocation, methods=["POST"]),
        Route("/connect/userinfo", tokens.userinfo, methods=["GET"]),
        Route("/.well-known/openid-configuration", identity.discovery, methods=["GET"]),
        Route("/.well-known/openid-configuration/jwks", identity.jwks, methods=["GET"]),
        Route("/connections", connections.list_connections, methods=["GET"]),
        Route("/connections/{id}", connections.delete_connection, methods=["DELETE"]),
        Route("/api.xro/2.0/{path:path}", api, methods=["GET", "PUT", "POST", "DELETE"]),
    ]
    if config.test_controls:
        routes += control_routes() + console_routes()
    app = SandboxApp(routes=routes, exception_handlers={404: no_route, 405: no_route})
    app.state.sandbox = sandbox
    app.add_middleware(XeroHeaders, sandbox=sandbox)  # type: ignore[arg-type]
    return app

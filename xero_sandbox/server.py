"""Serving the sandbox: uvicorn in a thread on a free loopback port, or a sync httpx transport.

`serve_in_thread` gives real HTTP for authlib, browsers and the app's worker; `sandbox_transport`
mounts the same app in-process for fast tests with a sync `httpx.Client`.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn

from .app import create_app
from .config import SandboxConfig


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@contextmanager
def serve_app_in_thread(
    app: Any, host: str = "127.0.0.1", port: int | None = None
) -> Iterator[str]:
    """Serve an existing app with uvicorn in a daemon thread; yields the base URL."""
    port = port or free_port(host)
    server = uvicorn.Server(
        uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, name=f"xero-sandbox-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("sandbox server did not start")
        time.sleep(0.01)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def serve_in_thread(
    config: SandboxConfig | None = None, host: str = "127.0.0.1", port: int | None = None
) -> Iterator[str]:
    """Build a sandbox from config and serve it over real HTTP; yields e.g. http://127.0.0.1:54321.

    The app is reachable as `serve_in_thread.last_app` for tests that need the Sandbox object."""
    app = create_app(config)
    serve_in_thread.last_app = app  # type: ignore[attr-defined]
    with serve_app_in_thread(app, host, port) as url:
        yield url


class SandboxTransport(httpx.BaseTransport):
    """Runs each request through httpx.ASGITransport on a private event loop in a daemon thread."""

    def __init__(self, app: Any) -> None:
        self._asgi = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="sandbox-transport", daemon=True
        )
        self._thread.start()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body_in = request.read()
        plain = httpx.Request(request.method, request.url, headers=request.headers, content=body_in)

        async def run() -> tuple[int, list[tuple[bytes, bytes]], bytes]:
            resp = await self._asgi.handle_async_request(plain)
            body = await resp.aread()
            return resp.status_code, resp.headers.raw, body

        from .pipeline import AnswerLost

        try:
            status, headers, body = asyncio.run_coroutine_threadsafe(run(), self._loop).result()
        except AnswerLost as exc:
            raise httpx.RemoteProtocolError(str(exc), request=request) from None
        return httpx.Response(status, headers=headers, content=body, request=request)

    def close(self) -> None:
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)


def sandbox_transport(app: Any) -> httpx.BaseTransport:
    """A sync httpx transport for the app in-process (httpx.ASGITransport is async-only)."""
    return SandboxTransport(app)

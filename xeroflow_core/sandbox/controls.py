"""Test controls on `/_sandbox/...` (placeholder until the full set lands)."""

from __future__ import annotations

from starlette.routing import Route


def control_routes() -> list[Route]:
    return []

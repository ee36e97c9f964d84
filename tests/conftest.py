"""Shared fixtures: real SQLite files and a real PostgreSQL database, migrated with Alembic."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlmodel import SQLModel

import xeroflow_core.models  # noqa: F401
from xeroflow_core.db import make_engine, migrate

PG_URL = os.environ.get("XEROFLOW_TEST_POSTGRES_URL", "")
REQUIRE_PG = os.environ.get("XEROFLOW_REQUIRE_POSTGRES") == "1"


@pytest.fixture(autouse=True)
def _fresh_rate_governors() -> Iterator[None]:
    """The per-tenant API governor is process-wide; sandbox tenant ids repeat across tests, so
    without a reset one test's calls would make the next one wait for the rolling minute."""
    from xeroflow_core.xero.client import reset_governors

    reset_governors()
    yield
    reset_governors()


@pytest.fixture
def sqlite_engine(tmp_path) -> Iterator[Engine]:
    """A fresh, migrated SQLite database file for one test."""
    engine = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def _pg_database() -> Iterator[str]:
    """A throwaway PostgreSQL database for this test session, migrated once."""
    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("XEROFLOW_REQUIRE_POSTGRES=1 but XEROFLOW_TEST_POSTGRES_URL is not set")
        pytest.skip("set XEROFLOW_TEST_POSTGRES_URL to run the PostgreSQL tests")
    admin = make_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"xf_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any failure to reach the server is the message
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL at {PG_URL} cannot be reached: {exc}")
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    url = PG_URL.rsplit("/", 1)[0] + f"/{name}"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def pg_engine(_pg_database: str) -> Iterator[Engine]:
    """The session's PostgreSQL database, emptied before each test."""
    engine = make_engine(_pg_database)
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request) -> Engine:
    """Run the test once on SQLite and once on PostgreSQL."""
    name = "sqlite_engine" if request.param == "sqlite" else "pg_engine"
    return request.getfixturevalue(name)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that runs on PostgreSQL carries the `postgres` marker, so
    `-m "not postgres"` runs the SQLite half alone and `-m postgres` the PostgreSQL half."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_postgres = callspec is not None and callspec.params.get("engine") == "postgres"
        if on_postgres or "pg_engine" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)

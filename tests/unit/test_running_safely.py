"""Running it is safe by default: a SQLite file deleted under a running
process is noticed by the engine, the worker (which stops with its own exit code) and the app
(a message, not an exception box), and the app refuses to start in production while a user has
the demo password."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from cryptography.fernet import Fernet
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from xeroflow_core.db import DatabaseFileGone, make_engine, migrate, session_scope
from xeroflow_core.settings import get_settings
from xeroflow_core.users import ensure_demo_users, list_users
from xeroflow_core.worker import EXIT_DATABASE_GONE

ROOT = Path(__file__).resolve().parents[2]


def test_the_engine_notices_its_file_deleted_or_replaced(tmp_path) -> None:
    path = tmp_path / "x.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    ensure_demo_users(engine)
    assert len(list_users(engine)) == 3
    shutil.copy(path, tmp_path / "copy.db")
    path.unlink()
    with pytest.raises(DatabaseFileGone, match="was deleted or replaced"):
        list_users(engine)
    shutil.copy(tmp_path / "copy.db", path)  # a different file at the same path
    with pytest.raises(DatabaseFileGone), session_scope(engine) as s:
        s.exec(text("SELECT 1"))
    engine.dispose()


def test_the_worker_stops_with_its_own_exit_code_when_the_file_is_deleted(tmp_path) -> None:
    db = tmp_path / "w.db"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("XEROFLOW_", "XERO_"))},
        "DATABASE_URL": f"sqlite:///{db}",
    }
    log = (tmp_path / "worker.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "xeroflow_core", "worker", "--poll-seconds", "0.2"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120  # a bound for a busy machine, not a measurement
        while "started" not in (tmp_path / "worker.log").read_text():
            assert proc.poll() is None, (tmp_path / "worker.log").read_text()
            assert time.monotonic() < deadline, "the worker did not start"
            time.sleep(0.1)
        db.unlink()
        assert proc.wait(120) == EXIT_DATABASE_GONE
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "was deleted or replaced" in (tmp_path / "worker.log").read_text()


@pytest.fixture
def fresh_app(monkeypatch) -> Iterator[pytest.MonkeyPatch]:
    """The app's process-wide caches (settings, engine) emptied around a test."""
    for name in list(os.environ):
        if name.startswith(("XEROFLOW_", "XERO_")):
            monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    st.cache_resource.clear()
    yield monkeypatch
    get_settings.cache_clear()
    st.cache_resource.clear()


def _engine_page() -> None:
    import streamlit as st

    from xeroflow_core.ui.resources import get_engine

    get_engine()
    st.text("ready")


def test_the_app_says_its_database_file_was_deleted(fresh_app, tmp_path) -> None:
    db = tmp_path / "app.db"
    fresh_app.setenv("DATABASE_URL", f"sqlite:///{db}")
    at = AppTest.from_function(_engine_page, default_timeout=60).run()
    assert [t.value for t in at.text] == ["ready"] and not at.exception
    db.unlink()
    at.run()
    assert not at.exception and not at.text
    assert "was deleted or replaced" in at.error[0].value


def test_production_refuses_to_start_while_a_user_has_the_demo_password(
    fresh_app, tmp_path
) -> None:
    db = tmp_path / "prod.db"
    engine = make_engine(f"sqlite:///{db}")
    migrate(engine)
    ensure_demo_users(engine)  # set up in demo mode
    engine.dispose()
    for name, value in {
        "DATABASE_URL": f"sqlite:///{db}",
        "XEROFLOW_ENV": "production",
        "XEROFLOW_COOKIE_KEY": "c" * 48,
        "XEROFLOW_TOKEN_KEY": Fernet.generate_key().decode(),
        "XERO_CLIENT_ID": "ABC123",
        "XERO_CLIENT_SECRET": "s3cret",
    }.items():
        fresh_app.setenv(name, value)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert "still have the public demo password" in at.error[0].value
    assert not at.text_input  # no sign-in form

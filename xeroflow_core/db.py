"""Engines, sessions and migrations: the one way code reaches the database.

One engine per process (the UI caches it in xeroflow_core.ui.resources), a Session per unit of
work, never a shared Session. SQLite gets WAL, a busy timeout and foreign keys on every
connection, so the worker and the Streamlit server can share one file safely.

A SQLite file deleted (or replaced) under a running process would go unnoticed: open
connections keep writing to the deleted file and new ones create an empty database. So each
connection taken from the pool first checks that the file is still the one the engine opened,
and raises DatabaseFileGone with what to do.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session, create_engine

ROOT = Path(__file__).resolve().parent.parent
_migrate_lock = threading.Lock()


class DatabaseFileGone(RuntimeError):
    """The SQLite file this process opened was deleted or replaced while it ran."""


class _FileWatch:
    """The identity (device, inode) of an SQLite file, taken at the engine's first connection
    and compared on every checkout from the pool."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.identity: tuple[int, int] | None = None

    def current(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (st.st_dev, st.st_ino)

    def on_connect(self, _dbapi_conn, _record) -> None:  # noqa: ANN001 - DB-API objects
        if self.identity is None:
            self.identity = self.current()

    def on_checkout(self, _dbapi_conn, _record, _proxy) -> None:  # noqa: ANN001
        if self.identity is not None and self.current() != self.identity:
            raise DatabaseFileGone(
                f"The database file {self.path} was deleted or replaced while XeroFlow was "
                "running. Stop XeroFlow and start it again (make run) to use a new database, "
                "or put the file back from a backup first."
            )


def make_engine(url: str, **kwargs: object) -> Engine:
    """Create an engine for `url`; SQLite connections get WAL, busy_timeout and foreign keys."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        db = parsed.database
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        if db and db != ":memory:" and not db.startswith("file:"):
            path = Path(db).resolve()
            path.parent.mkdir(parents=True, exist_ok=True)
            watch = _FileWatch(path)
            event.listen(engine, "connect", watch.on_connect)
            event.listen(engine, "checkout", watch.on_checkout)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001 - DB-API objects
    cur = dbapi_conn.cursor()
    for pragma in (
        "journal_mode=WAL",
        "busy_timeout=30000",
        "foreign_keys=ON",
        "synchronous=NORMAL",
    ):
        cur.execute(f"PRAGMA {pragma}")
    cur.close()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A unit of work: commit on success, roll back on error, always close."""
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (run by the app, the worker and the CLI)."""
    with _migrate_lock, engine.begin() as conn:
        cfg = alembic_config(engine.url.render_as_string(hide_password=False))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")

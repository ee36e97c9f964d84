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
import weakref
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
    """The SQLite file an engine opened, held open from its first connection (so its inode
    cannot be reused by a new file at the same path) and compared with the path on every
    checkout from the pool."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = None

    def on_connect(self, _dbapi_conn, _record) -> None:  # noqa: ANN001 - DB-API objects
        if self.fd is None:
            self.fd = os.open(self.path, os.O_RDONLY)

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def on_checkout(self, _dbapi_conn, _record, _proxy) -> None:  # noqa: ANN001
        if self.fd is None:
            return
        held = os.fstat(self.fd)
        try:
            now = os.stat(self.path)
        except FileNotFoundError:
            now = None
        if (
            held.st_nlink == 0
            or now is None
            or (now.st_dev, now.st_ino)
            != (
                held.st_dev,
                held.st_ino,
            )
        ):
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
            weakref.finalize(engine, watch.close)
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
    refresh_statistics(engine)  # a new index is only chosen once SQLite has statistics


# a sync that stored at least this many rows re-reads the statistics (an initial sync does);
# fewer rows barely move them
ANALYZE_AFTER_ROWS = 1000


def refresh_statistics(engine: Engine, *, rows: int | None = None) -> None:
    """Give SQLite's planner statistics after a migration, or after a sync that stored `rows`.

    SQLite keeps none until ANALYZE runs, and without them it prefers the index with the most
    equality columns: the EOM "adopt by reference" look-up then scans ~30,000 invoices through
    (tenant, type, date) instead of reading one through (tenant, reference). A full ANALYZE
    (0.3 s at 50,000 invoices; a sampled one, analysis_limit, gets those two indexes wrong)
    runs when the statistics are missing or a sync stored many rows; otherwise `PRAGMA
    optimize` keeps them current.

    PostgreSQL's autovacuum analyses on its own, but only a while after a large load: until then
    the planner takes the freshly synced tables for nearly empty and the profitability query
    runs for minutes in nested loops. So a sync that stored many rows analyses there too."""
    if rows is not None and rows < ANALYZE_AFTER_ROWS:
        return
    if engine.dialect.name == "postgresql" and rows is not None:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
        return
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        have = conn.exec_driver_sql(
            "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'"
        ).scalar()
        analysed = (
            have
            and conn.exec_driver_sql(
                "SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'xero_invoice'"
            ).scalar()
        )
        conn.exec_driver_sql("ANALYZE" if rows is not None or not analysed else "PRAGMA optimize")
        conn.commit()

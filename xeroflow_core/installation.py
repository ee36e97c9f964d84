"""Which XeroFlow installation this database belongs to.

A random installation id, written once, goes into every Idempotency-Key, so two databases that
push to one Xero organisation (two firms' installations, or a backup restored beside the
original) never send the same key for different invoices. The row also records where it was
written (PostgreSQL: the cluster's system identifier and the database's oid; SQLite: the file's
path and inode). When the database is later found somewhere else, it is a restored or copied
database: pushes are refused until an admin confirms it, which gives it a new installation id and
makes every push of a month up to then look its reference up in Xero first (the original may
have pushed it after the backup was taken).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, Engine, insert, text
from sqlalchemy.exc import IntegrityError

from xeroflow_core import audit
from xeroflow_core.actor import Actor
from xeroflow_core.db import session_scope
from xeroflow_core.models import Installation, utcnow
from xeroflow_core.users import require

CONFIRM_HINT = (
    "an admin confirms it on the EOM Review page or with "
    "`python -m xeroflow_core eom confirm-restore`"
)


class RestoredCopy(RuntimeError):
    """This database was restored or copied from another one: no pushes until confirmed."""


@dataclass(frozen=True)
class InstallationState:
    installation_id: str
    created_in: str  # where the row was written
    running_in: str  # where the database is now
    created_at: datetime
    confirmed_at: datetime | None  # when an admin confirmed this database as a copy

    @property
    def restored(self) -> bool:
        """The database is not where its installation row was written."""
        return self.created_in != self.running_in

    @property
    def message(self) -> str:
        return (
            f"this database was restored or copied from another one (created {self.created_at:%Y-%m-%d} "
            f"in {self.created_in}, now in {self.running_in}). Pushes to Xero are refused until "
            f"{CONFIRM_HINT}: that gives it its own installation id, and every invoice of a "
            "month up to now is looked up in Xero before it is pushed"
        )

    def looks_up_first(self, month: date) -> bool:
        """A confirmed copy may hold drafts the original pushed after the backup: a draft of a
        month up to the confirmation is looked up by reference before any PUT."""
        return self.confirmed_at is not None and month <= self.confirmed_at.date()


def database_identity(conn: Connection) -> str:
    """Where this database lives, in words stable across restarts and moves of the app."""
    name = conn.dialect.name
    if name == "postgresql":
        oid, db, allowed = conn.execute(
            text(
                "SELECT oid, datname, has_function_privilege('pg_control_system()', 'EXECUTE') "
                "FROM pg_database WHERE datname = current_database()"
            )
        ).one()
        system = (
            conn.execute(text("SELECT system_identifier FROM pg_control_system()")).scalar()
            if allowed
            else "unknown"
        )
        return f"postgresql cluster {system}, database {db} (oid {oid})"
    if name == "sqlite":
        path = next(
            (r[2] for r in conn.execute(text("PRAGMA database_list")) if r[1] == "main"), ""
        )
        if not path:
            return "sqlite in memory"
        real = os.path.realpath(path)
        return f"sqlite file {real} (inode {os.stat(real).st_ino})"
    return f"{name} {conn.engine.url.render_as_string(hide_password=True)}"


def _new_id() -> str:
    return secrets.token_hex(16)


def current(engine: Engine) -> InstallationState:
    """This database's installation, created on first use (race-safe: one row, id 1)."""
    with engine.connect() as conn:
        here = database_identity(conn)
        row = conn.execute(text("SELECT 1 FROM installation WHERE id = 1")).first()
    if row is None:
        try:
            with engine.begin() as conn:
                conn.execute(
                    insert(Installation).values(
                        id=1, installation_id=_new_id(), database_identity=here,
                        created_at=utcnow(), confirmed_by="",
                    )
                )  # fmt: skip
        except IntegrityError:
            pass  # another process wrote it first: theirs stands
    with session_scope(engine) as s:
        inst = s.get(Installation, 1)
        return InstallationState(
            inst.installation_id, inst.database_identity, here, inst.created_at, inst.confirmed_at
        )


def check_can_push(engine: Engine) -> InstallationState:
    """The installation, or RestoredCopy when this database must be confirmed first."""
    state = current(engine)
    if state.restored:
        raise RestoredCopy(state.message)
    return state


def confirm_restored_copy(engine: Engine, actor: Actor) -> InstallationState:
    """An admin says this restored or copied database is to be used here: it becomes its own
    installation (new id, so no Idempotency-Key is shared with the original), and pushes of
    months up to now look each reference up in Xero first."""
    require(actor, "push_eom")
    state = current(engine)
    if not state.restored:
        raise ValueError("this database is where it was created: there is nothing to confirm")
    with session_scope(engine) as s:
        inst = s.get(Installation, 1)
        inst.installation_id, inst.database_identity = _new_id(), state.running_in
        inst.confirmed_by, inst.confirmed_at = actor.username, utcnow()
        s.add(inst)
        audit.record(
            s, actor, "installation.confirm_restored_copy", state.running_in, was=state.created_in
        )
    return current(engine)

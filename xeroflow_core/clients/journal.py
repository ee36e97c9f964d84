"""The undo journal of client and queue actions, and the small state setters it replays.

Every action in `xeroflow_core.clients` changes state only through the setters here, which
report (before, after); `Journal` writes those pairs with the action's audit row, and `undo`
puts each `before` back where the state is still `after`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select

from xeroflow_core import audit
from xeroflow_core.actor import Actor
from xeroflow_core.db import session_scope
from xeroflow_core.models import (
    AuditLog,
    Client,
    ClientChange,
    ClientContactLink,
    ClientSupplier,
    ClientTrackingOption,
    IgnoredContact,
    utcnow,
)
from xeroflow_core.users import require


class UndoError(ValueError):
    """An undo was refused: already undone, not undoable, or the state has changed since."""


# --- small state setters: each returns (before, after) when it changed something -----------


def link_of(s: Session, tenant_id: str, contact_id: str) -> ClientContactLink | None:
    return s.get(ClientContactLink, (tenant_id, contact_id))


def set_link(
    s: Session, actor: Actor, tenant_id: str, contact_id: str, client_id: int | None
) -> tuple[int | None, int | None] | None:
    row = link_of(s, tenant_id, contact_id)
    before = row.client_id if row else None
    if before == client_id:
        return None
    if row is not None:
        s.delete(row)
        s.flush()
    if client_id is not None:
        s.add(
            ClientContactLink(
                tenant_id=tenant_id, contact_id=contact_id, client_id=client_id,
                linked_by=actor.username,
            )
        )  # fmt: skip
    return before, client_id


def set_ignore(
    s: Session, actor: Actor, tenant_id: str, contact_id: str, reason: str | None
) -> tuple[str | None, str | None] | None:
    """reason None = not ignored; a string (maybe empty) = ignored with that reason."""
    row = s.get(IgnoredContact, (tenant_id, contact_id))
    before = row.reason if row else None
    if (row is None) == (reason is None) and (row is None or row.reason == reason):
        return None
    if row is not None:
        s.delete(row)
        s.flush()
    if reason is not None:
        s.add(
            IgnoredContact(
                tenant_id=tenant_id, contact_id=contact_id, ignored_by=actor.username,
                reason=reason,
            )
        )  # fmt: skip
    return before, reason


MAPPINGS = {
    "tracking": (ClientTrackingOption, "tracking_option_id"),
    "suppliers": (ClientSupplier, "contact_id"),
}


def set_mapping(
    s: Session, kind: str, tenant_id: str, key: str, client_id: int | None
) -> tuple[int | None, int | None] | None:
    model, key_field = MAPPINGS[kind]
    row = s.get(model, (tenant_id, key))
    before = row.client_id if row else None
    if before == client_id:
        return None
    if row is not None:
        s.delete(row)
        s.flush()
    if client_id is not None:
        s.add(model(tenant_id=tenant_id, client_id=client_id, **{key_field: key}))
    return before, client_id


class Journal:
    """Collects what one action changed, then writes the audit row and the undo journal."""

    def __init__(self) -> None:
        self.changes: dict[str, Any] = {"links": [], "ignores": [], "tracking": [], "suppliers": []}

    def add(self, kind: str, tenant_id: str, key: str, change: tuple | None) -> None:
        if change is not None:
            self.changes[kind].append([tenant_id, key, change[0], change[1]])

    @property
    def empty(self) -> bool:
        return not any(self.changes[k] for k in ("links", "ignores", "tracking", "suppliers")) and (
            "client" not in self.changes and "created" not in self.changes
        )

    def write(
        self, s: Session, actor: Actor, action: str, target: str, client_id: int | None, **detail
    ) -> int:
        row = audit.record(s, actor, action, target, **detail, changes=self.changes)
        s.flush()
        s.add(
            ClientChange(audit_id=row.id, action=action, client_id=client_id, changes=self.changes)
        )
        return row.id


def get_client(s: Session, client_id: int) -> Client:
    client = s.get(Client, client_id)
    if client is None:
        raise ValueError(f"No client with id {client_id}.")
    return client


def client_fields(client: Client) -> dict[str, str]:
    return {"name": client.name, "notes": client.notes, "status": client.status}


# --- undo ------------------------------------------------------------------------------------


def undoable(engine: Engine, limit: int = 20) -> list[tuple[ClientChange, str, str, str]]:
    """The newest journalled actions not yet undone: (change, username, when, description)."""
    with session_scope(engine) as s:
        q = (
            select(ClientChange, AuditLog)
            .join(AuditLog, AuditLog.id == ClientChange.audit_id)
            .where(ClientChange.undone_at.is_(None))
            .order_by(ClientChange.audit_id.desc())
            .limit(limit)
        )
        return [
            (c, a.username, f"{a.at:%Y-%m-%d %H:%M} UTC", describe(c.action, a.detail or {}))
            for c, a in s.exec(q)
        ]


def created_audit_id(engine: Engine, client_id: int) -> int | None:
    """The audit id of the action that created a client (to offer Undo right after it)."""
    with session_scope(engine) as s:
        q = select(ClientChange.audit_id).where(
            ClientChange.client_id == client_id, ClientChange.action == "client.create"
        )
        return s.exec(q).first()


def describe(action: str, detail: dict) -> str:
    """A one-line account of a journalled action, for the history list."""
    ch = detail.get("changes") or {}
    n_links = len(ch.get("links") or [])
    texts = {
        "client.create": f"created client {detail.get('name', '')}"
        + (
            f" with {len(detail.get('contacts') or [])} contact(s)"
            if detail.get("contacts")
            else ""
        ),
        "client.update": f"edited client {detail.get('name', '')}",
        "client.archive": f"archived client {detail.get('name', '')}",
        "client.restore": f"restored client {detail.get('name', '')}",
        "client.link": f"linked {n_links} contact(s) to {detail.get('client', '')}",
        "client.unlink": "unlinked a contact",
        "queue.ignore": f"ignored {len(ch.get('ignores') or [])} contact(s)",
        "queue.unignore": f"returned {len(ch.get('ignores') or [])} contact(s) to the queue",
        "client.tracking": "changed tracking-option mappings",
        "client.suppliers": "changed supplier mappings",
        "client.cost_mappings": "changed cost mappings (tracking options and suppliers)",
        "client.follow_merges": f"followed Xero contact merges ({detail.get('moved', 0)} moved)",
    }
    return texts.get(action, action)


def undo(engine: Engine, actor: Actor, audit_id: int) -> int:
    """Put back what the action recorded as `audit_id` changed; returns the undo's audit id.

    Refused (UndoError, nothing changed) when it was undone already or when something it changed
    has been changed again since: undo never overwrites a later decision."""
    with session_scope(engine) as s:
        entry = s.get(ClientChange, audit_id)
        if entry is None:
            raise UndoError("That action cannot be undone (not a client or queue change).")
        require(actor, "resolve_queue" if entry.action.startswith("queue.") else "edit_clients")
        if entry.action in ("client.link", "client.unlink"):
            require(actor, "resolve_queue")
        if entry.undone_at is not None:
            raise UndoError(f"Already undone by {entry.undone_by}.")
        ch = entry.changes
        journal = Journal()
        stale: list[str] = []
        for kind in ("links", "tracking", "suppliers", "ignores"):
            for tenant_id, key, before, after in reversed(ch.get(kind, [])):
                current = _current(s, kind, tenant_id, key)
                if current != after:
                    stale.append(f"{kind[:-1]} {key}")
                    continue
                journal.add(kind, tenant_id, key, _restore(s, actor, kind, tenant_id, key, before))
        if ch.get("client"):
            cid, before, after = ch["client"]
            client = get_client(s, cid)
            if client_fields(client) != after:
                stale.append(f"client {cid}")
            else:
                client.name, client.notes, client.status = (
                    before["name"],
                    before["notes"],
                    before["status"],
                )
                client.updated_at = utcnow()
                journal.changes["client"] = [cid, after, before]
        if stale:
            raise UndoError("Changed again since, so not undone: " + ", ".join(stale[:5]))
        if ch.get("created") is not None:
            _drop_created_client(s, ch["created"], journal)
        s.flush()
        entry.undone_at = utcnow()
        entry.undone_by = actor.username
        row = audit.record(
            s, actor, "client.undo", f"audit:{audit_id}", undone_action=entry.action,
            changes=journal.changes,
        )  # fmt: skip
        s.flush()
        return row.id


def _current(s: Session, kind: str, tenant_id: str, key: str) -> Any:
    if kind == "links":
        row = link_of(s, tenant_id, key)
        return row.client_id if row else None
    if kind == "ignores":
        row = s.get(IgnoredContact, (tenant_id, key))
        return row.reason if row else None
    model, _ = MAPPINGS[kind]
    row = s.get(model, (tenant_id, key))
    return row.client_id if row else None


def _restore(s: Session, actor: Actor, kind: str, tenant_id: str, key: str, value: Any) -> Any:
    if kind == "links":
        return set_link(s, actor, tenant_id, key, value)
    if kind == "ignores":
        return set_ignore(s, actor, tenant_id, key, value)
    return set_mapping(s, kind, tenant_id, key, value)


def _drop_created_client(s: Session, client_id: int, journal: Journal) -> None:
    """Undoing "create client": delete it if nothing refers to it any more, else archive it."""
    client = get_client(s, client_id)
    s.flush()
    still_used = any(
        s.exec(select(func.count()).select_from(m).where(m.client_id == client_id)).one()
        for m in (ClientContactLink, ClientTrackingOption, ClientSupplier)
    )
    if not still_used:
        try:
            with s.begin_nested():
                s.exec(delete(Client).where(Client.id == client_id))
            journal.changes["deleted"] = client_id
            return
        except IntegrityError:  # another feature's row (e.g. billing) refers to it: archive
            pass
    client.status = "archived"
    journal.changes["archived"] = client_id

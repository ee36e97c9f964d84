"""Changing clients: create, edit, archive, link and unlink contacts, ignore, cost mappings, undo.

Every function here is an action a person takes: it checks the actor's permission on the server,
writes the change and its audit row in one transaction, and journals what it changed (before and
after) in `client_change`, so `undo(audit_id)` can put things back. Reads (the queue, the client
list, suggestions, financials) live in `xeroflow_core.matching`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Engine, delete
from sqlmodel import Session, func, select

from xeroflow_core import audit
from xeroflow_core.db import session_scope
from xeroflow_core.models import (
    Client,
    ClientChange,
    ClientContactLink,
    ClientSupplier,
    ClientTrackingOption,
    Contact,
    IgnoredContact,
    utcnow,
)
from xeroflow_core.users import SYSTEM, Actor, require

ContactKey = tuple[str, str]  # (tenant_id, contact_id)
STATUSES = ("active", "archived")
MAX_NAME = 255


class UndoError(ValueError):
    """An undo was refused: already undone, not undoable, or the state has changed since."""


# --- small state setters: each returns (before, after) when it changed something -----------


def _link_of(s: Session, tenant_id: str, contact_id: str) -> ClientContactLink | None:
    return s.get(ClientContactLink, (tenant_id, contact_id))


def _set_link(
    s: Session, actor: Actor, tenant_id: str, contact_id: str, client_id: int | None
) -> tuple[int | None, int | None] | None:
    row = _link_of(s, tenant_id, contact_id)
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


def _set_ignore(
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


_MAPPINGS = {
    "tracking": (ClientTrackingOption, "tracking_option_id"),
    "suppliers": (ClientSupplier, "contact_id"),
}


def _set_mapping(
    s: Session, kind: str, tenant_id: str, key: str, client_id: int | None
) -> tuple[int | None, int | None] | None:
    model, key_field = _MAPPINGS[kind]
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


class _Journal:
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


# --- validation ------------------------------------------------------------------------------


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValueError("A client needs a name.")
    if len(name) > MAX_NAME:
        raise ValueError(f"A client name has at most {MAX_NAME} characters.")
    return name


def _check_unique_name(s: Session, name: str, except_id: int | None = None) -> None:
    q = select(Client).where(func.lower(Client.name) == name.lower())
    for other in s.exec(q):
        if other.id != except_id:
            hint = " (archived: restore it instead)" if other.status == "archived" else ""
            raise ValueError(f"A client named {other.name!r} exists already{hint}.")


def _client(s: Session, client_id: int) -> Client:
    client = s.get(Client, client_id)
    if client is None:
        raise ValueError(f"No client with id {client_id}.")
    return client


def _active_client(s: Session, client_id: int) -> Client:
    client = _client(s, client_id)
    if client.status != "active":
        raise ValueError(f"{client.name} is archived: restore it before linking to it.")
    return client


def _check_contacts(s: Session, contacts: Iterable[ContactKey]) -> list[ContactKey]:
    keys = list(dict.fromkeys((str(t), str(c)) for t, c in contacts))
    if not keys:
        raise ValueError("Choose at least one contact.")
    for tenant_id, contact_id in keys:
        if s.get(Contact, (tenant_id, contact_id)) is None:
            raise ValueError(f"Contact {contact_id} of organisation {tenant_id} is not synced.")
    return keys


def _fields(client: Client) -> dict[str, str]:
    return {"name": client.name, "notes": client.notes, "status": client.status}


# --- clients ---------------------------------------------------------------------------------


def create_client(
    engine: Engine,
    actor: Actor,
    name: str,
    notes: str = "",
    contacts: Sequence[ContactKey] = (),
) -> Client:
    """Create a client, optionally linking contacts at once (Create client from the queue)."""
    require(actor, "edit_clients")
    if contacts:
        require(actor, "resolve_queue")
    name = _clean_name(name)
    with session_scope(engine) as s:
        _check_unique_name(s, name)
        keys = _check_contacts(s, contacts) if contacts else []
        client = Client(name=name, notes=notes or "")
        s.add(client)
        s.flush()
        journal = _Journal()
        journal.changes["created"] = client.id
        _link_into(s, actor, journal, client.id, keys)
        journal.write(
            s, actor, "client.create", f"client:{client.id}", client.id, name=name,
            contacts=[list(k) for k in keys],
        )  # fmt: skip
        return client


def update_client(
    engine: Engine,
    actor: Actor,
    client_id: int,
    *,
    name: str | None = None,
    notes: str | None = None,
) -> Client:
    """Rename a client or change its notes (undoable)."""
    require(actor, "edit_clients")
    with session_scope(engine) as s:
        client = _client(s, client_id)
        before = _fields(client)
        if name is not None:
            client.name = _clean_name(name)
            _check_unique_name(s, client.name, except_id=client.id)
        if notes is not None:
            client.notes = notes
        after = _fields(client)
        if after == before:
            return client
        client.updated_at = utcnow()
        journal = _Journal()
        journal.changes["client"] = [client.id, before, after]
        journal.write(s, actor, "client.update", f"client:{client.id}", client.id, **after)
        return client


def set_client_status(engine: Engine, actor: Actor, client_id: int, status: str) -> Client:
    """Archive or restore a client. Its links stay: its documents still belong to it."""
    require(actor, "edit_clients")
    if status not in STATUSES:
        raise ValueError(f"status is one of {', '.join(STATUSES)}")
    with session_scope(engine) as s:
        client = _client(s, client_id)
        if client.status == status:
            return client
        before = _fields(client)
        client.status = status
        client.updated_at = utcnow()
        journal = _Journal()
        journal.changes["client"] = [client.id, before, _fields(client)]
        action = "client.archive" if status == "archived" else "client.restore"
        journal.write(s, actor, action, f"client:{client.id}", client.id, name=client.name)
        return client


def archive_client(engine: Engine, actor: Actor, client_id: int) -> Client:
    return set_client_status(engine, actor, client_id, "archived")


def restore_client(engine: Engine, actor: Actor, client_id: int) -> Client:
    return set_client_status(engine, actor, client_id, "active")


# --- links and ignores -----------------------------------------------------------------------


def _link_into(
    s: Session, actor: Actor, journal: _Journal, client_id: int, keys: list[ContactKey]
) -> None:
    for tenant_id, contact_id in keys:
        journal.add(
            "ignores", tenant_id, contact_id, _set_ignore(s, actor, tenant_id, contact_id, None)
        )
        journal.add(
            "links", tenant_id, contact_id, _set_link(s, actor, tenant_id, contact_id, client_id)
        )


def link_contacts(
    engine: Engine, actor: Actor, client_id: int, contacts: Sequence[ContactKey]
) -> int | None:
    """Link contacts (one or many, any organisations) to a client; their documents follow.

    A contact linked elsewhere moves; an ignored contact stops being ignored. Returns the audit
    id (for undo), or None when nothing changed."""
    require(actor, "resolve_queue")
    with session_scope(engine) as s:
        client = _active_client(s, client_id)
        keys = _check_contacts(s, contacts)
        journal = _Journal()
        _link_into(s, actor, journal, client.id, keys)
        if journal.empty:
            return None
        return journal.write(
            s, actor, "client.link", f"client:{client.id}", client.id, client=client.name,
            contacts=[list(k) for k in keys],
        )  # fmt: skip


def unlink_contact(engine: Engine, actor: Actor, tenant_id: str, contact_id: str) -> int | None:
    """Unlink a contact: its invoices go back to the Unmatched Queue. Returns the audit id."""
    require(actor, "resolve_queue")
    with session_scope(engine) as s:
        journal = _Journal()
        change = _set_link(s, actor, tenant_id, contact_id, None)
        journal.add("links", tenant_id, contact_id, change)
        if journal.empty:
            return None
        return journal.write(
            s, actor, "client.unlink", f"contact:{tenant_id}/{contact_id}", change[0],
            from_client=change[0],
        )  # fmt: skip


def ignore_contacts(
    engine: Engine, actor: Actor, contacts: Sequence[ContactKey], reason: str = ""
) -> int | None:
    """Leave one-off customers out of the queue (reversible). Linked contacts are refused."""
    require(actor, "resolve_queue")
    with session_scope(engine) as s:
        keys = _check_contacts(s, contacts)
        for tenant_id, contact_id in keys:
            link = _link_of(s, tenant_id, contact_id)
            if link is not None:
                name = _client(s, link.client_id).name
                raise ValueError(f"That contact is linked to {name}: unlink it before ignoring.")
        journal = _Journal()
        for tenant_id, contact_id in keys:
            change = _set_ignore(s, actor, tenant_id, contact_id, reason or "")
            journal.add("ignores", tenant_id, contact_id, change)
        if journal.empty:
            return None
        return journal.write(
            s, actor, "queue.ignore", ",".join(f"contact:{t}/{c}" for t, c in keys)[:300], None,
            reason=reason,
        )  # fmt: skip


def ignore_contact(
    engine: Engine, actor: Actor, tenant_id: str, contact_id: str, reason: str = ""
) -> int | None:
    return ignore_contacts(engine, actor, [(tenant_id, contact_id)], reason)


def unignore_contact(engine: Engine, actor: Actor, tenant_id: str, contact_id: str) -> int | None:
    """Put an ignored contact back in the queue."""
    require(actor, "resolve_queue")
    with session_scope(engine) as s:
        journal = _Journal()
        journal.add(
            "ignores", tenant_id, contact_id, _set_ignore(s, actor, tenant_id, contact_id, None)
        )
        if journal.empty:
            return None
        return journal.write(s, actor, "queue.unignore", f"contact:{tenant_id}/{contact_id}", None)


# --- cost mappings (profitability's attribution rules 1 and 2) -------------------------------


def _set_client_mappings(
    engine: Engine, actor: Actor, kind: str, client_id: int, keys: Sequence[tuple[str, str]]
) -> int | None:
    require(actor, "edit_clients")
    model, key_field = _MAPPINGS[kind]
    wanted = list(dict.fromkeys((str(t), str(k)) for t, k in keys))
    with session_scope(engine) as s:
        client = _client(s, client_id)
        current = {
            (r.tenant_id, getattr(r, key_field))
            for r in s.exec(select(model).where(model.client_id == client_id))
        }
        journal = _Journal()
        for tenant_id, key in sorted(current - set(wanted)):
            journal.add(kind, tenant_id, key, _set_mapping(s, kind, tenant_id, key, None))
        for tenant_id, key in wanted:
            journal.add(kind, tenant_id, key, _set_mapping(s, kind, tenant_id, key, client_id))
        if journal.empty:
            return None
        return journal.write(
            s, actor, f"client.{kind}", f"client:{client.id}", client.id,
            **{kind: [list(k) for k in wanted]},
        )  # fmt: skip


def set_tracking_options(
    engine: Engine, actor: Actor, client_id: int, options: Sequence[tuple[str, str]]
) -> int | None:
    """Replace the tracking options (tenant_id, option_id) whose cost lines belong to the client.
    An option mapped to another client moves here."""
    return _set_client_mappings(engine, actor, "tracking", client_id, options)


def set_suppliers(
    engine: Engine, actor: Actor, client_id: int, suppliers: Sequence[ContactKey]
) -> int | None:
    """Replace the suppliers (tenant_id, contact_id) whose untracked bill lines belong to the
    client. A supplier mapped to another client moves here."""
    return _set_client_mappings(engine, actor, "suppliers", client_id, suppliers)


# --- undo ------------------------------------------------------------------------------------


def undoable(engine: Engine, limit: int = 20) -> list[tuple[ClientChange, str, str, str]]:
    """The newest journalled actions not yet undone: (change, username, when, description)."""
    from xeroflow_core.models import AuditLog

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
        "queue.unignore": "returned a contact to the queue",
        "client.tracking": "changed tracking-option mappings",
        "client.suppliers": "changed supplier mappings",
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
        journal = _Journal()
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
            client = _client(s, cid)
            if _fields(client) != after:
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
        row = _link_of(s, tenant_id, key)
        return row.client_id if row else None
    if kind == "ignores":
        row = s.get(IgnoredContact, (tenant_id, key))
        return row.reason if row else None
    model, _ = _MAPPINGS[kind]
    row = s.get(model, (tenant_id, key))
    return row.client_id if row else None


def _restore(s: Session, actor: Actor, kind: str, tenant_id: str, key: str, value: Any) -> Any:
    if kind == "links":
        return _set_link(s, actor, tenant_id, key, value)
    if kind == "ignores":
        return _set_ignore(s, actor, tenant_id, key, value)
    return _set_mapping(s, kind, tenant_id, key, value)


def _drop_created_client(s: Session, client_id: int, journal: _Journal) -> None:
    """Undoing "create client": delete it if nothing refers to it any more, else archive it."""
    client = _client(s, client_id)
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
        except Exception:  # noqa: BLE001 - another feature's row refers to it: archive instead
            pass
    client.status = "archived"
    journal.changes["archived"] = client_id


# --- merges (called by the sync engine after each run) ---------------------------------------


def follow_merges(engine: Engine) -> int:
    """Move links and supplier mappings from merged-away contacts to their survivors.

    Xero archives the losing contact and sets MergedToContactID. A survivor already linked keeps
    its own link (that decision is newer). Follows chains (A -> B -> C). Audited as the system;
    returns how many links or mappings moved."""
    moved = 0
    with session_scope(engine) as s:
        merged = dict(
            ((t, c), m)
            for t, c, m in s.exec(
                select(Contact.tenant_id, Contact.contact_id, Contact.merged_to_contact_id).where(
                    Contact.merged_to_contact_id.is_not(None), Contact.merged_to_contact_id != ""
                )
            )
        )
        if not merged:
            return 0

        def survivor(tenant_id: str, contact_id: str) -> str:
            seen = {contact_id}
            while (tenant_id, contact_id) in merged:
                nxt = merged[(tenant_id, contact_id)]
                if nxt in seen:
                    break
                seen.add(nxt)
                contact_id = nxt
            return contact_id

        journal = _Journal()
        for model, kind in ((ClientContactLink, "links"), (ClientSupplier, "suppliers")):
            rows = list(s.exec(select(model)))
            for row in rows:
                key = (row.tenant_id, row.contact_id)
                if key not in merged:
                    continue
                target = survivor(*key)
                if target == row.contact_id:
                    continue
                client_id = row.client_id
                if kind == "links":
                    journal.add(kind, key[0], key[1], _set_link(s, SYSTEM, *key, None))
                    if _link_of(s, key[0], target) is None:
                        journal.add(
                            kind, key[0], target, _set_link(s, SYSTEM, key[0], target, client_id)
                        )
                else:
                    journal.add(kind, key[0], key[1], _set_mapping(s, kind, *key, None))
                    if s.get(ClientSupplier, (key[0], target)) is None:
                        journal.add(
                            kind, key[0], target, _set_mapping(s, kind, key[0], target, client_id)
                        )
                moved += 1
        if not journal.empty:
            journal.write(s, SYSTEM, "client.follow_merges", "contacts", None, moved=moved)
    return moved

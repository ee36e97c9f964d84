"""Changing clients: create, edit, archive, link and unlink contacts, ignore, follow merges.

Every function here is an action a person takes: it checks the actor's permission on the server,
writes the change and its audit row in one transaction, and journals what it changed (before and
after) in `client_change`, so `undo(audit_id)` (in `journal.py`) can put things back.
This module holds only those actions; the cost mappings are in `mappings.py`. Reads live beside
it: the Unmatched Queue and pickers in `queue.py`, the client list and one client's figures in
`financials.py`, suggestions in `suggestions.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Engine
from sqlmodel import Session, select

from xeroflow_core.actor import SYSTEM, Actor
from xeroflow_core.clients.journal import (
    Journal,
    client_fields,
    get_client,
    link_of,
    set_ignore,
    set_link,
    set_mapping,
)
from xeroflow_core.db import session_scope
from xeroflow_core.models import (
    Client,
    ClientContactLink,
    ClientSupplier,
    Contact,
    utcnow,
)
from xeroflow_core.text import comparable, plain
from xeroflow_core.users import require

ContactKey = tuple[str, str]  # (tenant_id, contact_id)
STATUSES = ("active", "archived")
MAX_NAME = 255


# --- validation ------------------------------------------------------------------------------


def _clean_name(name: str) -> str:
    """A client name is one line of visible characters (text.plain)."""
    name = plain(name)
    if not name:
        raise ValueError("A client needs a name.")
    if len(name) > MAX_NAME:
        raise ValueError(f"A client name has at most {MAX_NAME} characters.")
    return name


def _check_unique_name(s: Session, name: str, except_id: int | None = None) -> None:
    """Refuse a name that reads the same as another client's: compared after NFKC, without
    invisible characters and case (text.comparable), so "Ａcme" or "Acme" with a zero-width
    space cannot sit beside "Acme". A firm's client list is small enough to compare in Python."""
    key = comparable(name)
    for other in s.exec(select(Client)):
        if other.id != except_id and comparable(other.name) == key:
            hint = " (archived: restore it instead)" if other.status == "archived" else ""
            raise ValueError(f"A client named {other.name!r} exists already{hint}.")


def _active_client(s: Session, client_id: int) -> Client:
    client = get_client(s, client_id)
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
        journal = Journal()
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
        client = get_client(s, client_id)
        before = client_fields(client)
        if name is not None:
            client.name = _clean_name(name)
            _check_unique_name(s, client.name, except_id=client.id)
        if notes is not None:
            client.notes = notes
        after = client_fields(client)
        if after == before:
            return client
        client.updated_at = utcnow()
        journal = Journal()
        journal.changes["client"] = [client.id, before, after]
        journal.write(s, actor, "client.update", f"client:{client.id}", client.id, **after)
        return client


def set_client_status(engine: Engine, actor: Actor, client_id: int, status: str) -> Client:
    """Archive or restore a client. Its links stay: its documents still belong to it."""
    require(actor, "edit_clients")
    if status not in STATUSES:
        raise ValueError(f"status is one of {', '.join(STATUSES)}")
    with session_scope(engine) as s:
        client = get_client(s, client_id)
        if client.status == status:
            return client
        before = client_fields(client)
        client.status = status
        client.updated_at = utcnow()
        journal = Journal()
        journal.changes["client"] = [client.id, before, client_fields(client)]
        action = "client.archive" if status == "archived" else "client.restore"
        journal.write(s, actor, action, f"client:{client.id}", client.id, name=client.name)
        return client


def archive_client(engine: Engine, actor: Actor, client_id: int) -> Client:
    return set_client_status(engine, actor, client_id, "archived")


def restore_client(engine: Engine, actor: Actor, client_id: int) -> Client:
    return set_client_status(engine, actor, client_id, "active")


# --- links and ignores -----------------------------------------------------------------------


def _link_into(
    s: Session, actor: Actor, journal: Journal, client_id: int, keys: list[ContactKey]
) -> None:
    for tenant_id, contact_id in keys:
        journal.add(
            "ignores", tenant_id, contact_id, set_ignore(s, actor, tenant_id, contact_id, None)
        )
        journal.add(
            "links", tenant_id, contact_id, set_link(s, actor, tenant_id, contact_id, client_id)
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
        journal = Journal()
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
        journal = Journal()
        change = set_link(s, actor, tenant_id, contact_id, None)
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
            link = link_of(s, tenant_id, contact_id)
            if link is not None:
                name = get_client(s, link.client_id).name
                raise ValueError(f"That contact is linked to {name}: unlink it before ignoring.")
        journal = Journal()
        for tenant_id, contact_id in keys:
            change = set_ignore(s, actor, tenant_id, contact_id, reason or "")
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


def unignore_contacts(engine: Engine, actor: Actor, contacts: Sequence[ContactKey]) -> int | None:
    """Put ignored contacts back in the queue, all in one undoable action. Returns the audit id,
    or None when none of them was ignored."""
    require(actor, "resolve_queue")
    keys = list(dict.fromkeys((str(t), str(c)) for t, c in contacts))
    if not keys:
        raise ValueError("Choose at least one contact.")
    with session_scope(engine) as s:
        journal = Journal()
        for tenant_id, contact_id in keys:
            change = set_ignore(s, actor, tenant_id, contact_id, None)
            journal.add("ignores", tenant_id, contact_id, change)
        if journal.empty:
            return None
        return journal.write(
            s, actor, "queue.unignore", ",".join(f"contact:{t}/{c}" for t, c in keys)[:300], None
        )


def unignore_contact(engine: Engine, actor: Actor, tenant_id: str, contact_id: str) -> int | None:
    """Put an ignored contact back in the queue."""
    return unignore_contacts(engine, actor, [(tenant_id, contact_id)])


# --- merges (called by the sync engine when a page of contacts carries merges) -----------------


def follow_merges(
    s: Session, tenant_id: str | None = None, contacts: Iterable[str] | None = None
) -> list[dict]:
    """Move client links and supplier mappings from merged-away contacts to their survivors.

    Xero archives the losing contact and sets MergedToContactID. Chains are followed (A -> B ->
    C: A's link ends on C) whatever order the contacts were stored in. A survivor already linked
    keeps its own link (that decision is newer). Only `tenant_id`'s contacts when given, and only
    the merged-away `contacts` when given. Journalled as the system (`client.follow_merges`, so
    it can be undone) in the caller's transaction; returns one entry per moved row."""
    q = select(Contact.tenant_id, Contact.contact_id, Contact.merged_to_contact_id).where(
        Contact.merged_to_contact_id.is_not(None),  # type: ignore[union-attr]
        Contact.merged_to_contact_id != "",
    )
    if tenant_id is not None:
        q = q.where(Contact.tenant_id == tenant_id)
    merged = {(t, c): m for t, c, m in s.exec(q)}
    wanted = None if contacts is None else set(contacts)

    def survivor(tenant: str, contact_id: str) -> str:
        seen = {contact_id}
        while (tenant, contact_id) in merged:
            nxt = merged[(tenant, contact_id)]
            if nxt in seen:  # a loop in Xero's data: stop where it closes
                break
            seen.add(nxt)
            contact_id = nxt
        return contact_id

    journal = Journal()
    moved: list[dict] = []
    for model, kind in ((ClientContactLink, "links"), (ClientSupplier, "suppliers")):
        for row in list(s.exec(select(model))):
            key = (row.tenant_id, row.contact_id)
            if key not in merged or (wanted is not None and row.contact_id not in wanted):
                continue
            target = survivor(*key)
            if target == row.contact_id:
                continue
            client_id = row.client_id
            if kind == "links":
                had = link_of(s, key[0], target) is not None
                journal.add(kind, key[0], key[1], set_link(s, SYSTEM, *key, None))
                if not had:
                    journal.add(
                        kind, key[0], target, set_link(s, SYSTEM, key[0], target, client_id)
                    )
            else:
                had = s.get(ClientSupplier, (key[0], target)) is not None
                journal.add(kind, key[0], key[1], set_mapping(s, kind, *key, None))
                if not had:
                    journal.add(
                        kind, key[0], target, set_mapping(s, kind, key[0], target, client_id)
                    )
            moved.append(
                {
                    "table": model.__table__.name,
                    "from": key[1],
                    "to": target,
                    "client_id": client_id,
                    "survivor_had_link": had,
                }
            )
    if not journal.empty:
        journal.write(s, SYSTEM, "client.follow_merges", "contacts", None, moved=len(moved))
    return moved

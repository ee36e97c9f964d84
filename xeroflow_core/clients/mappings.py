"""A client's cost mappings: the tracking options and suppliers whose cost lines belong to it
(profitability's attribution rules 1 and 2, clients/costs.py and eom/costs.py read them).

Actions like those in links.py (checked, audited, journalled for undo), apart because they map
costs to a client rather than its contacts.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine
from sqlmodel import Session, select

from xeroflow_core.actor import Actor
from xeroflow_core.clients.journal import MAPPINGS, Journal, get_client, set_mapping
from xeroflow_core.clients.links import ContactKey
from xeroflow_core.db import session_scope
from xeroflow_core.users import require


def _clean_keys(keys: Sequence[tuple[str, str]], what: str) -> list[tuple[str, str]]:
    wanted = list(dict.fromkeys((str(t).strip(), str(k).strip()) for t, k in keys))
    for tenant_id, key in wanted:
        if not tenant_id or not key:
            raise ValueError(f"A {what} needs an organisation and an id.")
    return wanted


def _replace_mappings(
    s: Session, journal: Journal, kind: str, client_id: int, wanted: list[tuple[str, str]]
) -> None:
    model, key_field = MAPPINGS[kind]
    current = {
        (r.tenant_id, getattr(r, key_field))
        for r in s.exec(select(model).where(model.client_id == client_id))
    }
    for tenant_id, key in sorted(current - set(wanted)):
        journal.add(kind, tenant_id, key, set_mapping(s, kind, tenant_id, key, None))
    for tenant_id, key in wanted:
        journal.add(kind, tenant_id, key, set_mapping(s, kind, tenant_id, key, client_id))


def _set_client_mappings(
    engine: Engine, actor: Actor, kind: str, client_id: int, keys: Sequence[tuple[str, str]]
) -> int | None:
    require(actor, "edit_clients")
    wanted = _clean_keys(keys, "tracking option" if kind == "tracking" else "supplier")
    with session_scope(engine) as s:
        client = get_client(s, client_id)
        journal = Journal()
        _replace_mappings(s, journal, kind, client.id, wanted)
        if journal.empty:
            return None
        return journal.write(
            s, actor, f"client.{kind}", f"client:{client.id}", client.id,
            **{kind: [list(k) for k in wanted]},
        )  # fmt: skip


def set_cost_mappings(
    engine: Engine,
    actor: Actor,
    client_id: int,
    options: Sequence[tuple[str, str]],
    suppliers: Sequence[ContactKey],
) -> int | None:
    """Replace both cost mappings of a client (the Cost mappings form) in one transaction.

    `options` are (tenant_id, tracking_option_id), `suppliers` (tenant_id, contact_id); an option
    or supplier mapped to another client moves here. All or nothing, journalled as one action:
    returns its audit id (one Undo puts both back), or None when nothing changed."""
    require(actor, "edit_clients")
    wanted_opts = _clean_keys(options, "tracking option")
    wanted_sups = _clean_keys(suppliers, "supplier")
    with session_scope(engine) as s:
        client = get_client(s, client_id)
        journal = Journal()
        _replace_mappings(s, journal, "tracking", client.id, wanted_opts)
        _replace_mappings(s, journal, "suppliers", client.id, wanted_sups)
        if journal.empty:
            return None
        return journal.write(
            s, actor, "client.cost_mappings", f"client:{client.id}", client.id,
            tracking=[list(k) for k in wanted_opts], suppliers=[list(k) for k in wanted_sups],
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

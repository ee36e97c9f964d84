"""Idempotent bulk writes of synced rows: one dialect-aware `INSERT ... ON CONFLICT DO UPDATE`
per table per page, executed as one executemany (SQLite and PostgreSQL alike)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Table, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from xeroflow_core.models import ClientContactLink, ClientSupplier, DocumentLine


def _insert(conn: Connection, table: Table) -> Any:
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    if conn.dialect.name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"upsert on {conn.dialect.name}")


def upsert(
    conn: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    keep: Iterable[str] = (),
) -> int:
    """Insert or update `rows` by primary key; columns in `keep` are set on insert only."""
    if not rows:
        return 0
    keys = [c.name for c in table.primary_key.columns]
    keep = set(keep)
    stmt = _insert(conn, table)
    update_cols = [c for c in rows[0] if c not in keys and c not in keep]
    if update_cols:
        stmt = stmt.on_conflict_do_update(
            index_elements=keys, set_={c: stmt.excluded[c] for c in update_cols}
        )
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=keys)
    conn.execute(stmt, list(rows))
    return len(rows)


def replace_lines(
    conn: Connection, tenant_id: str, kind: str, document_ids: list[str], lines: list[dict]
) -> None:
    """A document's lines as Xero has them now: lines removed in Xero disappear here too."""
    table = DocumentLine.__table__
    for i in range(0, len(document_ids), 900):
        chunk = document_ids[i : i + 900]
        conn.execute(
            delete(table).where(
                table.c.tenant_id == tenant_id,
                table.c.document_kind == kind,
                table.c.document_id.in_(chunk),
            )
        )
    if lines:
        upsert(conn, table, lines)


def follow_merges(conn: Connection, tenant_id: str, merges: dict[str, str]) -> list[dict]:
    """A merged-away contact's client link and supplier mapping move to the survivor (unless the
    survivor already has its own). Returns what moved, for the audit log."""
    moved: list[dict] = []
    for model in (ClientContactLink, ClientSupplier):
        table = model.__table__
        for loser, survivor in merges.items():
            row = conn.execute(
                select(table.c.client_id).where(
                    table.c.tenant_id == tenant_id, table.c.contact_id == loser
                )
            ).first()
            if row is None:
                continue
            has = conn.execute(
                select(table.c.client_id).where(
                    table.c.tenant_id == tenant_id, table.c.contact_id == survivor
                )
            ).first()
            if has is None:
                conn.execute(
                    update(table)
                    .where(table.c.tenant_id == tenant_id, table.c.contact_id == loser)
                    .values(contact_id=survivor)
                )
            else:
                conn.execute(
                    delete(table).where(table.c.tenant_id == tenant_id, table.c.contact_id == loser)
                )
            moved.append(
                {
                    "table": table.name,
                    "from": loser,
                    "to": survivor,
                    "client_id": row.client_id,
                    "survivor_had_link": has is not None,
                }
            )
    return moved

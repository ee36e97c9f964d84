"""Idempotent bulk writes of synced rows: one dialect-aware `INSERT ... ON CONFLICT DO UPDATE`
per table per page, executed as one executemany (SQLite and PostgreSQL alike)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Table, delete, insert, literal_column, select
from sqlalchemy.dialects import postgresql, sqlite

from xeroflow_core.models import DocumentLine


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


def existing_keys(conn: Connection, table: Table, tenant_id: str, key: str, ids: list[str]) -> set:
    """Which of these ids the tenant already has (one indexed query per 900 ids)."""
    found: set = set()
    col = table.c[key]
    for i in range(0, len(ids), 900):
        found.update(
            r[0]
            for r in conn.execute(
                select(col).where(table.c.tenant_id == tenant_id, col.in_(ids[i : i + 900]))
            )
        )
    return found


def store_rows(
    conn: Connection,
    table: Table,
    tenant_id: str,
    key: str,
    rows: list[dict],
    keep: Iterable[str] = (),
    known: set | None = None,
) -> set:
    """Upsert a page; returns the keys we held before (whose old lines need replacing).
    `known`, when the caller knows it (a first read into an empty table), skips the lookup.

    PostgreSQL: one `INSERT ... ON CONFLICT DO UPDATE ... RETURNING key, (xmax = 0)` tells which
    rows were new. SQLite: one indexed SELECT finds the known keys, rows new to us go in with a
    plain executemany INSERT (the initial sync's case) and only known rows are upserted. Safe
    because the tenant's lease makes this process the only writer of its synced rows."""
    if not rows:
        return set()
    # One row per key (the last copy wins): a plain INSERT into a fresh table, and PostgreSQL's
    # ON CONFLICT alike, refuse a key twice in one statement.
    rows = list({r[key]: r for r in rows}.values())
    if known is None and conn.dialect.name == "postgresql":
        keys = [c.name for c in table.primary_key.columns]
        keep = set(keep)
        stmt = postgresql.insert(table)
        stmt = stmt.on_conflict_do_update(
            index_elements=keys,
            set_={c: stmt.excluded[c] for c in rows[0] if c not in keys and c not in keep},
        ).returning(table.c[key], literal_column("(xmax = 0)"))
        return {r[0] for r in conn.execute(stmt, rows) if not r[1]}
    if known is None:
        known = existing_keys(conn, table, tenant_id, key, [r[key] for r in rows])
    fresh = [r for r in rows if r[key] not in known]
    if fresh:
        conn.execute(insert(table), fresh)
    if known:
        upsert(conn, table, [r for r in rows if r[key] in known], keep=keep)
    return known


def replace_lines(
    conn: Connection,
    tenant_id: str,
    kind: str,
    document_ids: list[str],
    lines: list[dict],
    known: set | None = None,
) -> None:
    """A document's lines as Xero has them now: lines removed in Xero disappear here too.
    `known`: the documents we held before this page (only their old lines need deleting)."""
    table = DocumentLine.__table__
    old = document_ids if known is None else [d for d in document_ids if d in known]
    for i in range(0, len(old), 900):
        conn.execute(
            delete(table).where(
                table.c.tenant_id == tenant_id,
                table.c.document_kind == kind,
                table.c.document_id.in_(old[i : i + 900]),
            )
        )
    if lines:
        conn.execute(insert(table), lines)

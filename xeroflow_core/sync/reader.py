"""Reading one resource from Xero and storing it, page by page (the engine's inner loop).

See engine.py for the rules; this module holds the paging itself: page numbers under one
If-Modified-Since with a shift check, keyset re-reads, and the check after an interrupted read.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from xeroflow_core import audit
from xeroflow_core.actor import SYSTEM
from xeroflow_core.clients.links import follow_merges
from xeroflow_core.sync import runs
from xeroflow_core.sync.lease import Lease
from xeroflow_core.sync.resources import PAGE_SIZE, PageContext, Resource
from xeroflow_core.xero import parse
from xeroflow_core.xero.client import XeroClient
from xeroflow_core.xero.errors import XeroMalformed

log = logging.getLogger("xeroflow.sync")

Progress = Callable[[dict[str, Any]], None]


@dataclass
class ResourceResult:
    name: str
    status: str = "ok"  # ok, error, unavailable, skipped
    calls: int = 0
    rows: int = 0  # items received (re-reads included)
    stored: int = 0  # rows held for the tenant afterwards
    seconds: float = 0.0
    cursor: datetime | None = None
    resweeps: int = 0
    error: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "calls": self.calls,
            "rows": self.rows,
            "stored": self.stored,
            "seconds": round(self.seconds, 3),
            "cursor": self.cursor.isoformat() if self.cursor else None,
            "resweeps": self.resweeps,
            "error": self.error,
        }


def ims_header(cursor: datetime | None) -> dict[str, str]:
    """If-Modified-Since in Xero's documented form: UTC, `yyyy-mm-ddThh:mm:ss`."""
    if cursor is None:
        return {}
    return {"If-Modified-Since": cursor.strftime("%Y-%m-%dT%H:%M:%S")}


def _second(dt: datetime | None) -> datetime | None:
    return dt.replace(microsecond=0) if dt else None


class ResourceReader:
    """Reads one resource and stores it, page by page."""

    def __init__(
        self,
        engine: Engine,
        client: XeroClient,
        res: Resource,
        run_id: int,
        lease: Lease,
        progress: Progress | None,
    ) -> None:
        self.engine, self.client, self.res, self.run_id = engine, client, res, run_id
        self.lease, self.progress = lease, progress
        self.tenant_id = client.tenant_id
        self.ctx = PageContext(client.tenant_id)
        self.result = ResourceResult(res.name)

    def fetch(self, cursor: datetime | None, page: int | None) -> dict[str, Any]:
        params = dict(self.res.params)
        if self.res.paged:
            params.update(
                {"page": str(page or 1), "pageSize": str(PAGE_SIZE), "order": "UpdatedDateUTC ASC"}
            )
        headers = ims_header(cursor) if self.res.modified_since else {}
        before = self.client.calls
        try:
            body = self.client.get_json(self.res.path, params=params, headers=headers)
        finally:
            self.result.calls += self.client.calls - before
        items = body.get(self.res.collection)
        if items is None and self.res.collection != "Organisations":
            items = []
        if not isinstance(items, list):
            raise XeroMalformed(f"Xero's {self.res.path} answer has no {self.res.collection} list")
        return body

    def commit(
        self,
        items: list[dict],
        cursor: datetime | None,
        progress: dict,
        open_from: tuple[datetime | None] | None = None,
    ) -> list:
        """Store one page and move the cursor in the same transaction (and, on a paged read's
        first page, record that the read is open and where it started)."""
        self.lease.check()
        with self.engine.begin() as conn:
            runs.ensure_state(conn, self.tenant_id, self.res.name)
            if open_from is not None:
                runs.mark_pass(conn, self.tenant_id, self.res.name, True, open_from[0])
            stamped = self.res.store(conn, self.ctx, items)
            page_max = max((u for _, u in stamped if u is not None), default=None)
            new_cursor = cursor
            if page_max is not None and (new_cursor is None or page_max > new_cursor):
                new_cursor = page_max
            if self.res.modified_since:
                runs.move_cursor(conn, self.tenant_id, self.res.name, new_cursor)
            runs.set_progress(conn, self.run_id, progress)
            if self.ctx.merged:
                # in this page's transaction: the moves, their journal and audit commit together
                with Session(bind=conn) as s:
                    for m in follow_merges(s, self.tenant_id, self.ctx.merged):
                        audit.record(s, SYSTEM, "sync.contact_merged", m["from"], **m)
                    s.flush()
                self.ctx.merged.clear()
        self.result.rows += len(items)
        self.result.cursor = new_cursor
        return stamped

    def _report(self, page: int, pages: int | None) -> dict[str, Any]:
        p = {"resource": self.res.name, "page": page, "pages": pages, "rows": self.result.rows}
        if self.progress:
            self.progress(p)
        return p

    def run(self, cursor: datetime | None) -> ResourceResult:
        t0 = time.perf_counter()
        self.result.cursor = cursor
        if not self.res.paged:
            body = self.fetch(cursor, None)
            items = body.get(self.res.collection) or []
            self.commit(items, cursor, self._report(1, 1))
        else:
            interrupted, since = runs.open_pass(self.engine, self.tenant_id, self.res.name)
            origin = since if interrupted else cursor
            self.paged(cursor, origin)
            if interrupted:
                self.check_interrupted(since)
            with self.engine.begin() as conn:
                runs.mark_pass(conn, self.tenant_id, self.res.name, False, None)
        self.result.seconds = time.perf_counter() - t0
        return self.result

    def _empty(self) -> bool:
        """Whether we hold no row of this resource for the tenant yet."""
        from sqlalchemy import select

        t = self.res.table
        with self.engine.connect() as conn:
            q = select(t.c.tenant_id).where(t.c.tenant_id == self.tenant_id).limit(1)
            return conn.execute(q).first() is None

    def check_interrupted(self, since: datetime | None) -> None:
        """An earlier read died mid-way. If a record changed while it paged, one record may have
        slid onto a page it had already read; compare Xero's count since where that read
        started with ours (one call), and re-read from there by keyset if we are short."""
        params = dict(self.res.params)
        params.update({"page": "1", "pageSize": "1", "order": "UpdatedDateUTC ASC"})
        before = self.client.calls
        try:
            body = self.client.get_json(self.res.path, params=params, headers=ims_header(since))
        finally:
            self.result.calls += self.client.calls - before
        xero_count = (body.get("pagination") or {}).get("itemCount")
        if xero_count is None:
            return
        from sqlalchemy import func, select

        t = self.res.table
        q = select(func.count()).select_from(t).where(t.c.tenant_id == self.tenant_id)
        if since is not None and "updated_utc" in t.c:
            q = q.where(t.c.updated_utc >= _second(since))
        with self.engine.connect() as conn:
            ours = conn.execute(q).scalar_one()
        if ours < int(xero_count):
            log.info(
                "%s: %s rows since %s, Xero has %s; re-reading",
                self.res.name,
                ours,
                since,
                xero_count,
            )
            self.result.resweeps += 1
            self.keyset(since)

    def paged(self, start: datetime | None, origin: datetime | None = None) -> None:
        """Page numbers under one If-Modified-Since (minimal calls), checked for shifts.
        `origin` is where the (possibly resumed) read began, recorded while it is open."""
        ims = _second(start)
        cursor = start
        page, seen = 1, self.ctx.seen
        seen.clear()
        self.ctx.fresh = self._empty()
        served: list[tuple[datetime | None, datetime | None]] = []  # (served at, last updated)
        moved_at: datetime | None = None
        pagination: dict[str, Any] = {}
        while True:
            body = self.fetch(ims, page)
            items = body[self.res.collection]
            pagination = body.get("pagination") or {}
            pages = pagination.get("pageCount")
            opening = (origin,) if page == 1 else None
            stamped = self.commit(items, cursor, self._report(page, pages), opening)
            cursor = self.result.cursor
            for key, updated in stamped:
                if key in seen and updated is not None:
                    moved_at = updated if moved_at is None else min(moved_at, updated)
                seen.add(key)
            last = stamped[-1][1] if stamped else None
            served.append((parse.envelope_time(body), last))
            if len(items) < PAGE_SIZE or (pages is not None and page >= int(pages)):
                break
            page += 1
        count = pagination.get("itemCount")
        if moved_at is None and count is not None and len(seen) < int(count) and page > 1:
            moved_at = served[0][0]  # something shifted, we cannot tell when: from the start
        if moved_at is None:
            return
        safe = start
        for at, last in served:
            if at is None or last is None or at >= moved_at:
                break
            safe = last if safe is None or last > safe else safe
        log.info("%s changed while paging (%s); re-reading from %s", self.res.name, moved_at, safe)
        self.result.resweeps += 1
        with self.engine.begin() as conn:
            runs.move_cursor(conn, self.tenant_id, self.res.name, safe)
        self.keyset(safe)

    def keyset(self, start: datetime | None) -> None:
        """Keyset paging: If-Modified-Since = the last second read, page 1 again."""
        self.ctx.fresh = False  # re-reads overlap what this run stored: ask the database
        ims, page, cursor = _second(start), 1, start
        while True:
            body = self.fetch(ims, page)
            items = body[self.res.collection]
            pages = (body.get("pagination") or {}).get("pageCount")
            stamped = self.commit(items, cursor, self._report(page, pages))
            cursor = self.result.cursor
            if len(items) < PAGE_SIZE or (pages is not None and page >= int(pages)):
                return
            last = _second(max((u for _, u in stamped if u is not None), default=None))
            if last is not None and (ims is None or last > ims):
                ims, page = last, 1
            else:
                page += 1  # a whole page within one second: step within it

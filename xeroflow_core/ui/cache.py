"""Reads that do not change between syncs, kept per process and keyed on the data's version.

The version is the sync's own (the id of the last finished sync run) and the newest audit row:
every change a person makes (link, ignore, create, undo, mappings) writes one, so it moves on the
next rerun in every replica sharing the database. Time alone never invalidates an entry, and a
stale entry is never served after either moves. One query of two indexed `max()`s per read,
instead of the aggregations over every invoice that the Unmatched Queue and the pickers would
otherwise run.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Engine, func, select

from xeroflow_core.models import AuditLog
from xeroflow_core.sync.status import last_finished_run

T = TypeVar("T")
SIZE = 64  # entries per process: a few organisations × orders × pickers

_CACHE: OrderedDict[tuple, Any] = OrderedDict()
_LOCK = threading.Lock()


def data_version(engine: Engine) -> tuple[int, int]:
    """(last finished sync run, newest audit row): moves when synced data or a person's change may
    have changed what the cached reads return."""
    finished = last_finished_run().scalar_subquery()
    audit = select(func.max(AuditLog.id)).scalar_subquery()
    with engine.connect() as conn:
        sync_run, audit_row = conn.execute(select(finished, audit)).one()
    return int(sync_run or 0), int(audit_row or 0)


def cached(engine: Engine, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`fn(engine, *args, **kwargs)`, computed once per data version (arguments must hash)."""
    key = (
        str(engine.url),
        data_version(engine),
        f"{fn.__module__}.{fn.__qualname__}",
        args,
        tuple(sorted(kwargs.items())),
    )
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    value = fn(engine, *args, **kwargs)
    with _LOCK:
        _CACHE[key] = value
        while len(_CACHE) > SIZE:
            _CACHE.popitem(last=False)
    return value


def clear() -> None:
    with _LOCK:
        _CACHE.clear()

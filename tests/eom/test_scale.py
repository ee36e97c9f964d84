"""EOM at a firm's size: the review list is a constant number of queries whatever the
number of drafts, and generation costs a few statements per client, not a look-up per fact.
Counts of statements, never durations (the bench, `bench pages`, prints those)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, event

from tests.eom.builders import ADMIN, OCT, client, fee, ledger
from xeroflow_core.eom import review
from xeroflow_core.eom.engine import generate


@contextmanager
def counted(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn, _cursor, statement, _params, _context, _many) -> None:  # noqa: ANN001
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _clients(engine: Engine, first: int, n: int) -> None:
    for i in range(first, first + n):
        cid, _ = client(engine, f"Client {i:03d}")
        fee(engine, cid, "100.00")


def test_the_draft_list_is_a_constant_number_of_queries(engine) -> None:
    ledger(engine)
    _clients(engine, 0, 2)
    generate(engine, ADMIN, OCT)
    with counted(engine) as small:
        assert len(review.list_drafts(engine, ADMIN, OCT)) == 2
    _clients(engine, 2, 10)
    generate(engine, ADMIN, OCT)
    with counted(engine) as large:
        drafts = review.list_drafts(engine, ADMIN, OCT)
    assert len(drafts) == 12 and len(large) == len(small) <= 6
    assert all(d.contact_name and len(d.lines) == 1 for d in drafts)  # batched, not lost


def test_generation_costs_a_few_statements_per_client(engine) -> None:
    ledger(engine)
    _clients(engine, 0, 3)
    with counted(engine) as small:
        assert generate(engine, ADMIN, OCT).count("created") == 3
    _clients(engine, 3, 10)
    with counted(engine) as again:  # 3 unchanged and 10 new drafts
        result = generate(engine, ADMIN, OCT)
    assert (result.count("created"), result.count("unchanged")) == (10, 3)
    # per client: its linked contacts, the adopt-by-reference look-up, the draft and its lines
    # (plus a hold and the old lines' delete for a draft generated again, and a savepoint on
    # PostgreSQL); the month's drafts, lines, references, contacts and organisations are read
    # once for all clients
    per_client = 7 if engine.dialect.name == "postgresql" else 5  # it was 9 and 12
    assert len(again) - len(small) <= 10 * per_client, len(again) - len(small)
    assert len(again) <= 13 * per_client + 30

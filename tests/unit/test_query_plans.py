"""Plans that hold at a firm's size, on SQLite and PostgreSQL: the planner reads the
adopt-by-reference look-up through its index once statistics exist (a sync or a migration gives
SQLite its statistics: db.refresh_statistics), and the supplier picker is no correlated subquery
over a whole organisation. Plans and results, never durations (the bench prints those)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Engine, insert, text

from tests.support.factories import TENANT, organisation
from xeroflow_core.clients.queue import contact_choices
from xeroflow_core.db import refresh_statistics
from xeroflow_core.eom.known import adopt_lookup
from xeroflow_core.models import Contact, Invoice, utcnow

INVOICES = 12_000  # enough rows for PostgreSQL to prefer an index to a sequential scan


def _book(engine: Engine) -> dict[str, str]:
    """Sales invoices without a reference (as most are), a few with ours, bills from two
    suppliers, and a customer, a supplier flagged in Xero and a supplier known by bills only."""
    organisation(engine)
    now = utcnow()
    names = {"customer": "Customer Ltd", "flagged": "Flagged Supplier", "billing": "Bills Only"}
    ids = {k: str(uuid.uuid4()) for k in names}
    with engine.begin() as conn:
        conn.execute(
            insert(Contact),
            [dict(tenant_id=TENANT, contact_id=ids[k], name=n, status="ACTIVE",
                  is_customer=k == "customer", is_supplier=k == "flagged", updated_utc=now)
             for k, n in names.items()],
        )  # fmt: skip
        rows = []
        for i in range(INVOICES):
            bill = i % 3 == 0
            rows.append(
                dict(tenant_id=TENANT, invoice_id=str(uuid.uuid4()),
                     type="ACCPAY" if bill else "ACCREC", invoice_number=f"N-{i}",
                     reference=f"XF-{i}-2026-10" if i % 1000 == 1 else "",
                     contact_id=ids["billing"] if bill else ids["customer"],
                     date=date(2024, 1, 1) + timedelta(days=i % 900), status="AUTHORISED",
                     line_amount_types="Exclusive", sub_total=Decimal(100),
                     total_tax=Decimal(15), total=Decimal(115), amount_due=Decimal(0),
                     amount_paid=Decimal(115), amount_credited=Decimal(0), currency_code="NZD",
                     currency_rate=Decimal(1), updated_utc=now)
            )  # fmt: skip
        conn.execute(insert(Invoice), rows)
    return ids


def _analyse(engine: Engine) -> None:
    """What a finished sync does: SQLite gets statistics here; PostgreSQL's autovacuum would
    analyse the grown tables on its own, which a test cannot wait for."""
    refresh_statistics(engine, rows=INVOICES)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))


def _plan(engine: Engine, stmt) -> str:  # noqa: ANN001 - any SQLAlchemy statement
    sql = str(stmt.compile(engine, compile_kwargs={"literal_binds": True}))
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    with engine.connect() as conn:
        return "\n".join(" ".join(str(c) for c in row) for row in conn.execute(text(prefix + sql)))


def test_the_adopt_look_up_reads_one_row_through_the_reference_index(engine) -> None:
    _book(engine)
    _analyse(engine)
    plan = _plan(engine, adopt_lookup(TENANT, "XF-1-2026-10"))
    assert "ix_invoice_tenant_reference" in plan, plan
    assert "ix_invoice_tenant_type_date" not in plan and "ix_invoice_pnl" not in plan, plan


def test_without_statistics_sqlite_picked_the_broad_index(sqlite_engine) -> None:
    """Why refresh_statistics exists: the same look-up on a fresh SQLite file, statistics
    dropped, scans every sales invoice through (tenant, type, date)."""
    _book(sqlite_engine)
    with sqlite_engine.connect() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS sqlite_stat1")
        conn.commit()
    sqlite_engine.dispose()  # statistics are read when a connection opens
    assert "ix_invoice_tenant_reference" not in _plan(sqlite_engine, adopt_lookup(TENANT, "x"))
    refresh_statistics(sqlite_engine)  # as at start-up (migrate): none for invoices, so ANALYZE
    sqlite_engine.dispose()
    assert "ix_invoice_tenant_reference" in _plan(sqlite_engine, adopt_lookup(TENANT, "x"))


def test_the_supplier_picker_finds_billed_contacts_once_not_per_contact(engine) -> None:
    ids = _book(engine)
    _analyse(engine)
    got = {c.contact_id for c in contact_choices(engine, suppliers=True)}
    assert got == {ids["flagged"], ids["billing"]}  # flagged in Xero, or has bills
    with engine.connect() as conn:
        sql = _picker_sql(engine)
        prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
        plan = "\n".join(" ".join(map(str, r)) for r in conn.execute(text(prefix + sql)))
    assert "CORRELATED" not in plan.upper(), plan  # SQLite: no subquery run per contact
    assert "SubPlan" not in plan, plan  # PostgreSQL: no subplan run per contact row


def _picker_sql(engine: Engine) -> str:
    """The SQL contact_choices(suppliers=True) runs, captured from the engine."""
    from sqlalchemy import event

    seen: list[str] = []

    def grab(_conn, _cursor, statement, parameters, _context, _many) -> None:  # noqa: ANN001
        if "xero_contact" in statement and "ACCPAY" in str(parameters) + statement:
            seen.append(_inline(statement, parameters, engine))

    event.listen(engine, "before_cursor_execute", grab)
    try:
        contact_choices(engine, suppliers=True)
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    assert seen, "the picker's query was not seen"
    return seen[-1]


def _inline(statement: str, parameters, engine: Engine) -> str:  # noqa: ANN001
    """The statement with its parameters written in, for EXPLAIN."""
    if engine.dialect.name == "sqlite":
        for value in parameters:
            statement = statement.replace("?", _literal(value), 1)
        return statement
    for name, value in dict(parameters).items():
        statement = statement.replace(f"%({name})s", _literal(value))
    return statement


def _literal(value) -> str:  # noqa: ANN001
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"

"""Storage on SQLite and PostgreSQL: migrations, exact decimals, aware datetimes, audit."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select, text
from sqlmodel import SQLModel

from xeroflow_core import audit
from xeroflow_core.actor import Actor
from xeroflow_core.db import make_engine, migrate, session_scope
from xeroflow_core.models import AuditLog, Invoice


def test_migrations_match_the_models(engine) -> None:
    """The migrated schema is exactly what the models declare (no forgotten migration)."""
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []


def test_migrate_twice_is_harmless(engine) -> None:
    migrate(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()


def test_sqlite_pragmas(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'p.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar_one() == 30000


def test_amounts_are_exact_decimals_in_storage_and_sums(engine) -> None:
    amounts = [Decimal("0.10"), Decimal("0.20"), Decimal("1234567890.1234"), Decimal("-0.3")]
    with session_scope(engine) as s:
        for i, a in enumerate(amounts):
            s.add(Invoice(tenant_id="t", invoice_id=f"i{i}", type="ACCREC", total=a,
                          currency_rate=Decimal("1.2345678901")))  # fmt: skip
    with session_scope(engine) as s:
        total = s.exec(select(func.sum(Invoice.total))).scalar_one()
        rates = s.exec(select(Invoice.currency_rate)).scalars().all()
    assert total == Decimal("1234567890.1234") and isinstance(total, Decimal)
    assert rates == [Decimal("1.2345678901")] * 4


def test_floats_and_excess_places_are_refused(engine) -> None:
    with pytest.raises(Exception, match="float"), session_scope(engine) as s:
        s.add(Invoice(tenant_id="t", invoice_id="f", type="ACCREC", total=0.1))
        s.flush()
    with pytest.raises(Exception, match="decimal places"), session_scope(engine) as s:
        s.add(Invoice(tenant_id="t", invoice_id="g", type="ACCREC", total=Decimal("0.00001")))
        s.flush()


def test_datetimes_come_back_aware_utc(engine) -> None:
    when = datetime(2026, 11, 26, 10, 30, tzinfo=UTC)
    audit.record(engine, Actor("ada", "admin"), "test", "x", when=when, amount=Decimal("1.5"))
    (row,) = audit.recent(engine)
    assert row.at.tzinfo is not None and row.at.utcoffset().total_seconds() == 0
    assert row.detail == {"when": str(when), "amount": "1.5"}
    with session_scope(engine) as s:
        s.add(AuditLog(at=when, username="ada", action="t2"))
    assert audit.recent(engine, action="t2")[0].at == when

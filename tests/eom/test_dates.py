"""Default months come from the UTC date, never the server's local date (finding 11); the CLI
says it acts as the system user."""

from __future__ import annotations

from datetime import UTC, date, datetime

from xeroflow_core.eom.billing import previous_month
from xeroflow_core.models import core


def test_utc_today_is_the_utc_date(monkeypatch) -> None:
    class Late(datetime):  # 23:30 UTC: already the next day east of Greenwich
        @classmethod
        def now(cls, tz=None):  # noqa: ANN001, ANN206
            return datetime(2026, 11, 30, 23, 30, tzinfo=UTC).astimezone(tz)

    monkeypatch.setattr(core, "datetime", Late)
    assert core.utc_today() == date(2026, 11, 30)


def test_previous_month() -> None:
    assert previous_month(date(2026, 1, 15)) == date(2025, 12, 1)
    assert previous_month(date(2026, 3, 1)) == date(2026, 2, 1)


def test_cli_default_month_is_last_month_in_utc(sqlite_engine, monkeypatch, capsys) -> None:
    from xeroflow_core.eom import cli as eom_cli
    from xeroflow_core.settings import get_settings

    monkeypatch.setenv("DATABASE_URL", sqlite_engine.url.render_as_string(hide_password=False))
    monkeypatch.setattr(eom_cli, "utc_today", lambda: date(2026, 12, 1))
    get_settings.cache_clear()
    try:
        assert eom_cli.main(["list"]) == 0
    finally:
        get_settings.cache_clear()
    out = capsys.readouterr().out
    assert "No drafts for 2026-11" in out and "system user" in out

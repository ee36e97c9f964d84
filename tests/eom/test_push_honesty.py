"""What a person is told, and what happens next: a draft held by another pusher (who, until
when) in the CLI and on the page; a 429 that the worker itself queues again; a database restored
or copied from another installation, refused for pushes until an admin confirms it."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
import streamlit as st
from sqlalchemy import Engine, text

from tests.eom.builders import ADMIN, OCT, PARTNER
from tests.eom.sandbox_ledger import in_xero, puts
from tests.eom.test_push import NO_WAIT, approved_month, arm
from tests.support.connect import connect_sandbox
from xeroflow_core import installation
from xeroflow_core import work as work
from xeroflow_core.actor import SYSTEM
from xeroflow_core.db import make_engine, session_scope
from xeroflow_core.eom import claims, review
from xeroflow_core.eom.push import push_month
from xeroflow_core.models import utcnow
from xeroflow_core.models.eom import EomDraft
from xeroflow_core.models.sync import WorkRequest
from xeroflow_core.users import PermissionDenied
from xeroflow_core.worker import process_pending


@pytest.fixture
def tenant(engine, settings, sandbox) -> str:
    return connect_sandbox(engine, settings, tenant_names=["Demo Agency Ltd"])[0]


@contextmanager
def cli_env(engine: Engine, settings, monkeypatch) -> Iterator[None]:
    from xeroflow_core.settings import get_settings

    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("XEROFLOW_SANDBOX_URL", settings.xero_api_url)
    get_settings.cache_clear()
    try:
        yield
    finally:
        get_settings.cache_clear()


def test_the_cli_says_who_holds_a_draft_and_until_when(
    engine, settings, sandbox, tenant, monkeypatch, capsys
) -> None:
    """A draft claimed by a live pusher elsewhere: `eom push` does not touch it, says so with
    the pusher and the time it may be taken over, and exits 3 (not done); `eom list` too."""
    from xeroflow_core.eom import cli as eom_cli

    (d,) = approved_month(engine, sandbox, tenant, ["100.00"])
    assert claims.take(engine, d.id, "otherhost:4242 as alice") is not None
    with cli_env(engine, settings, monkeypatch):
        assert eom_cli.main(["push", "--month", "2026-10"]) == 3
        out = capsys.readouterr().out
        assert "0 in Xero, 0 refused, 0 waiting, 1 being pushed by another pusher" in out
        assert f"{d.reference}: being pushed by another pusher (otherhost:4242 as alice)" in out
        row = draft_row(engine, d.id)
        assert f"taken over after {row.updated_at + claims.STALE_PUSHING:%H:%M:%S} UTC" in out
        assert eom_cli.main(["list", "--month", "2026-10"]) == 0
        assert "being pushed by another pusher (otherhost:4242 as alice)" in capsys.readouterr().out
    assert puts(sandbox) == 0 and draft_row(engine, d.id).state == "pushing"


def draft_row(engine: Engine, draft_id: int) -> EomDraft:
    with session_scope(engine) as s:
        return s.get(EomDraft, draft_id)


def test_after_a_429_the_worker_queues_the_push_again(engine, settings, sandbox, tenant) -> None:
    """Xero keeps answering 429 beyond the client's patience: the draft waits, approved, with
    when it goes next, and the worker has queued that push itself; its next poll pushes it."""
    (d,) = approved_month(engine, sandbox, tenant, ["100.00"])
    for r in work.pending(engine):  # the initial sync the Connect flow asked for: not ours
        work.finish(engine, int(r.id or 0), result={})
    review.request_push(engine, SYSTEM, OCT, [d.id])
    arm(settings, kind="rate_limit", problem="minute", retry_after=0, count=6, path="/Invoices",
        method="PUT")  # fmt: skip
    assert process_pending(engine, settings) == 1
    first, *_ = work.recent_requests(engine, 10, kind="eom_push")[::-1]
    assert first.status == "done" and first.result["waiting"]
    again = work.get_request(engine, first.result["requeued"])
    assert again.status == "pending" and again.not_before is not None
    assert again.params == {"month": "2026-10", "draft_ids": [d.id], "retry": 1}
    assert "the worker tries again after" in first.result["summary"]
    row = draft_row(engine, d.id)
    assert row.state == "approved" and "the worker pushes it again after" in row.error
    assert in_xero(sandbox, tenant, d.reference) == []
    assert process_pending(engine, settings) == 1
    assert draft_row(engine, d.id).state == "pushed"
    assert work.get_request(engine, again.id).result["pushed"] == [d.reference]
    assert len(in_xero(sandbox, tenant, d.reference)) == 1


def test_a_request_waits_for_its_time(engine) -> None:
    later = work.submit(engine, ADMIN, "eom_push", "t", {"month": "2026-10"},
                        not_before=utcnow() + timedelta(hours=1))  # fmt: skip
    now = work.submit(engine, ADMIN, "eom_push", "t", {"month": "2026-10"},
                      not_before=utcnow() - timedelta(seconds=1))  # fmt: skip
    plain = work.submit(engine, ADMIN, "sync", None, {})
    assert [r.id for r in work.pending(engine)] == [now, plain]
    with session_scope(engine) as s:
        assert s.get(WorkRequest, later).status == "pending"


def copy_database(engine: Engine, tmp_path) -> Engine:
    """A backup of the database restored somewhere else (another file, another database)."""
    if engine.dialect.name == "sqlite":
        target = tmp_path / "restored-copy.db"
        src = sqlite3.connect(engine.url.database)
        dst = sqlite3.connect(target)
        src.backup(dst)
        src.close()
        dst.close()
        return make_engine(f"sqlite:///{target}")
    url = engine.url
    name = f"xf_copy_{uuid.uuid4().hex[:8]}"
    engine.dispose()
    admin = make_engine(url.set(database="postgres").render_as_string(hide_password=False),
                        isolation_level="AUTOCOMMIT")  # fmt: skip
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{url.database}"'))
    admin.dispose()
    return make_engine(url.set(database=name).render_as_string(hide_password=False))


def drop_copy(copy: Engine) -> None:
    copy.dispose()
    if copy.dialect.name == "postgresql":
        admin = make_engine(
            copy.url.set(database="postgres").render_as_string(hide_password=False),
            isolation_level="AUTOCOMMIT",
        )
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{copy.url.database}" WITH (FORCE)'))
        admin.dispose()


def test_a_restored_copy_pushes_nothing_until_an_admin_confirms(
    engine, settings, sandbox, tenant, tmp_path, monkeypatch, capsys
) -> None:
    """A backup taken while a draft was approved is restored elsewhere; meanwhile the original
    pushed it. The copy refuses to push until an admin confirms; then it has its own
    installation id and looks the draft up first, adopting the original's invoice."""
    from xeroflow_core.eom import cli as eom_cli

    (d,) = approved_month(engine, sandbox, tenant, ["100.00"])
    original = installation.current(engine)
    copy = copy_database(engine, tmp_path)
    try:
        assert push_month(engine, settings, ADMIN, OCT, **NO_WAIT).pushed == [d.reference]
        before = puts(sandbox)
        sandbox.idempotency.clear()  # Xero's idempotency window has passed since
        refused = push_month(copy, settings, ADMIN, OCT, **NO_WAIT)
        assert "restored or copied" in refused.stopped and "confirm-restore" in refused.stopped
        assert not refused.pushed and puts(sandbox) == before
        with pytest.raises(PermissionDenied):
            installation.confirm_restored_copy(copy, PARTNER)
        with cli_env(copy, settings, monkeypatch):
            assert eom_cli.main(["confirm-restore"]) == 0
            assert "Confirmed as its own installation" in capsys.readouterr().out
            assert eom_cli.main(["confirm-restore"]) == 0
            assert "nothing to confirm" in capsys.readouterr().out
        confirmed = installation.current(copy)
        assert not confirmed.restored and confirmed.installation_id != original.installation_id
        result = push_month(copy, settings, ADMIN, OCT, **NO_WAIT)
        assert result.adopted == [d.reference] and puts(sandbox) == before
        assert len(in_xero(sandbox, tenant, d.reference)) == 1
        assert not installation.current(engine).restored  # the original goes on as it was
    finally:
        drop_copy(copy)


def test_the_installation_id_is_written_once_and_never_shown(engine) -> None:
    first = installation.current(engine)
    assert installation.current(engine).installation_id == first.installation_id
    assert len(first.installation_id) == 32 and not first.restored
    assert first.installation_id not in first.message


def test_the_page_shows_the_holder_and_refuses_a_restored_copy(tmp_path, monkeypatch) -> None:
    """The EOM Review page, run by Streamlit's app tester as an admin: a draft held by another
    pusher says by whom and until when; a restored copy shows the refusal and its confirm
    button, which clears it."""
    from streamlit.testing.v1 import AppTest

    from tests.eom.builders import client, fee, ledger
    from xeroflow_core.db import migrate
    from xeroflow_core.eom.engine import generate
    from xeroflow_core.settings import get_settings
    from xeroflow_core.signin import sign_in
    from xeroflow_core.users import DEMO_PASSWORD, ensure_demo_users

    engine = make_engine(f"sqlite:///{tmp_path / 'page.db'}")
    migrate(engine)
    ledger(engine)
    acme, _ = client(engine, "Acme")
    fee(engine, acme, "100.00")
    generate(engine, ADMIN, OCT)
    (d,) = review.list_drafts(engine, ADMIN, OCT)
    review.approve(engine, ADMIN, [d.id])
    claims.take(engine, d.id, "otherhost:4242 as alice")

    ensure_demo_users(engine)
    signed_in = sign_in(engine, get_settings(), "admin", DEMO_PASSWORD)
    assert signed_in.token, signed_in.message

    def page(db: Engine) -> AppTest:
        monkeypatch.setenv("DATABASE_URL", db.url.render_as_string(hide_password=False))
        get_settings.cache_clear()
        st.cache_resource.clear()
        at = AppTest.from_file("../../app_pages/eom_review.py", default_timeout=60)
        at.session_state["signin_token"] = signed_in.token  # a copy keeps its sessions too
        at.session_state["eom_month"] = "2026-10"
        return at.run()

    try:
        at = page(engine)
        assert not at.exception, at.exception
        assert any("Being pushed by another pusher (otherhost:4242 as alice)" in i.value.replace("\\", "")
                   for i in at.info)  # fmt: skip
        copy = copy_database(engine, tmp_path)
        at = page(copy)
        assert any("restored or copied" in e.value.replace("\\", "") for e in at.error)
        at.button(key="eom_confirm_copy").click().run()
        assert not any("restored or copied" in e.value.replace("\\", "") for e in at.error)
        assert not installation.current(copy).restored
    finally:
        get_settings.cache_clear()
        st.cache_resource.clear()

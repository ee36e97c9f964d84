"""No token, in any form we handled, appears in the logs (DEBUG, httpx and httpcore included),
on stdout/stderr, in an exception message, or in plain text anywhere in the database."""

from __future__ import annotations

import logging

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import SQLModel, select

from tests.connect.test_refresh import DropRefreshResponses, _expire
from tests.support.connect import connect_sandbox
from xeroflow_core.actor import Actor
from xeroflow_core.db import session_scope
from xeroflow_core.models import XeroToken
from xeroflow_core.xero.oauth import disconnect
from xeroflow_core.xero.tokens import NeedsReconnect, decrypt_token, get_access_token

LOGGERS = ("", "httpx", "httpcore", "authlib", "xeroflow_core", "urllib3")


def _stored(engine, settings) -> dict:
    with session_scope(engine) as s:
        return decrypt_token(settings, s.exec(select(XeroToken)).one().encrypted_token)


def _database_text(engine) -> str:
    parts = []
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            for row in conn.execute(text(f'SELECT * FROM "{table.name}"')):
                parts.append(" ".join(str(v) for v in row))
    return "\n".join(parts)


def test_tokens_never_reach_logs_output_errors_or_the_database(
    engine, settings, sandbox, caplog, capfd
):
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    secrets: set[str] = set()
    messages: list[str] = []

    def collect() -> None:
        tok = _stored(engine, settings)
        secrets.update(
            str(tok[k]) for k in ("access_token", "refresh_token", "id_token") if k in tok
        )

    tenants = connect_sandbox(engine, settings)
    collect()
    _expire(engine)
    secrets.add(get_access_token(engine, settings, tenants[0]))  # a refresh
    collect()
    _expire(engine)
    with httpx.Client(transport=DropRefreshResponses(drops=1)) as http:
        secrets.add(get_access_token(engine, settings, tenants[0], http=http))  # lost answer
    collect()
    httpx.post(
        settings.revocation_endpoint,
        data={"token": _stored(engine, settings)["refresh_token"]},
        auth=(settings.xero_client_id, settings.xero_client_secret),
    ).raise_for_status()
    _expire(engine)
    with pytest.raises(NeedsReconnect) as info:
        get_access_token(engine, settings, tenants[0])  # invalid_grant
    messages.append(str(info.value))
    connect_sandbox(engine, settings)  # reconnect
    collect()
    db_text = _database_text(engine)
    disconnect(engine, settings, Actor("admin", "admin"), None)

    assert len(secrets) >= 6
    assert any(r.name.startswith("httpx") for r in caplog.records)  # the capture works
    assert any(r.name.startswith("httpcore") for r in caplog.records)
    logs = "\n".join(r.getMessage() + " " + str(r.args) for r in caplog.records)
    logs += caplog.text
    out, err = capfd.readouterr()
    for secret in secrets:
        for fragment in (secret, secret[-24:]):
            assert fragment not in logs
            assert fragment not in out and fragment not in err
            assert fragment not in db_text
            assert fragment not in _database_text(engine)
            assert all(fragment not in m for m in messages)

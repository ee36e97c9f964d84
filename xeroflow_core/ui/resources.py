"""Process-wide resources for the Streamlit server: the settings and one migrated engine."""

from __future__ import annotations

import streamlit as st
from sqlalchemy import Engine

from xeroflow_core.db import DatabaseFileGone, make_engine, migrate
from xeroflow_core.settings import Settings, SettingsError, get_settings
from xeroflow_core.text import md
from xeroflow_core.users import ensure_demo_users, refuse_demo_passwords


@st.cache_resource(show_spinner=False)
def _migrated_engine() -> Engine:
    """One engine per process, migrated once. In production it raises SettingsError while a
    user has the demo password (not cached: the next run checks again)."""
    settings = get_settings()
    engine = make_engine(settings.database_url)
    migrate(engine)
    if settings.production:
        try:
            refuse_demo_passwords(engine)
        except SettingsError:
            engine.dispose()
            raise
    else:
        ensure_demo_users(engine)
    return engine


def get_engine() -> Engine:
    """The process's engine, checked on every run: a refusal to start (production with demo
    passwords) or a database file deleted under the server shows as a message and stops the
    page, instead of an exception box on whatever query comes first. Sessions are opened per
    unit of work."""
    try:
        engine = _migrated_engine()
        with engine.connect():  # taking a pooled connection checks the SQLite file (db.py)
            pass
    except (SettingsError, DatabaseFileGone) as exc:
        st.error(md(exc))
        st.stop()
    return engine


def settings() -> Settings:
    return get_settings()

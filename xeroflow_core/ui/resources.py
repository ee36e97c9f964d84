"""Process-wide resources for the Streamlit server: the settings and one migrated engine."""

from __future__ import annotations

import streamlit as st
from sqlalchemy import Engine

from xeroflow_core.db import make_engine, migrate
from xeroflow_core.settings import Settings, get_settings
from xeroflow_core.users import ensure_demo_users


@st.cache_resource(show_spinner=False)
def get_engine() -> Engine:
    """One engine per process, migrated once; sessions are opened per unit of work."""
    settings = get_settings()
    engine = make_engine(settings.database_url)
    migrate(engine)
    if not settings.production:
        ensure_demo_users(engine)
    return engine


def settings() -> Settings:
    return get_settings()

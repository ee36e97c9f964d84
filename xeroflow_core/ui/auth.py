"""Sign-in with streamlit-authenticator, built once per script run in app.py."""

from __future__ import annotations

import streamlit as st
import streamlit_authenticator as stauth

from xeroflow_core.ui.resources import get_engine, settings
from xeroflow_core.users import credentials


def get_authenticator() -> stauth.Authenticate:
    """A fresh Authenticate for this run, fed a credentials dict read from the database.

    It is handed a dict (never a YAML path, which the library would rewrite on every login)
    and it must be created exactly once per run (it mounts a cookie component)."""
    cfg = settings()
    return stauth.Authenticate(
        credentials(get_engine()),
        cookie_name=cfg.cookie_name,
        cookie_key=cfg.cookie_key,
        cookie_expiry_days=cfg.cookie_expiry_days,
        auto_hash=False,
        login_sleep_time=cfg.login_sleep_time,
    )


def login_form(auth: stauth.Authenticate) -> bool:
    """Draw the login form when needed; True once the user is signed in."""
    auth.login(location="main", key="Login")
    status = st.session_state.get("authentication_status")
    if status is False:
        st.error("Username or password is incorrect.")
    elif status is None:
        st.caption("Sign in with your XeroFlow account.")
    return bool(status)

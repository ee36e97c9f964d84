"""Sign-in for the Streamlit server: who is signed in, the sign-in form, and the sign-out button.

Who is signed in is known on the first run of every page load, before app.py chooses a page:
the session id comes from this browser session's state or from the cookie Streamlit read when
the browser connected (`st.context.cookies`). Nothing here mounts a component or asks for an
extra rerun, so the page and query string a browser asked for (a reload, a deep link, Xero's
callback) are the ones it gets, and text typed into the form is never cleared.

The cookie is written by a one-line script in the page (`st.html` runs it without an iframe)
after a sign-in, and removed the same way at sign-out; the server-side session decides.
"""

from __future__ import annotations

import json

import streamlit as st

from xeroflow_core.actor import Actor
from xeroflow_core.signin import session_actor, sign_in, sign_out
from xeroflow_core.ui.resources import get_engine, settings

_TOKEN = "signin_token"
_COOKIE_WRITE = "signin_cookie_write"


def _token() -> str:
    return st.session_state.get(_TOKEN) or st.context.cookies.get(settings().cookie_name) or ""


def current_actor() -> Actor | None:
    """The signed-in, enabled user with the role the database holds now, or None."""
    token = _token()
    actor = session_actor(get_engine(), settings(), token) if token else None
    if actor is None:
        st.session_state.pop(_TOKEN, None)
    else:
        st.session_state[_TOKEN] = token
    return actor


def sign_in_form() -> None:
    """The sign-in form; a successful sign-in reruns the app signed in."""
    _, middle, _ = st.columns([1, 2, 1])
    with middle.form("sign_in", enter_to_submit=True):
        st.subheader("Sign in to XeroFlow")
        username = st.text_input("Username", autocomplete="username")
        password = st.text_input("Password", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Login", type="primary")
    if not submitted:
        return
    cfg = settings()
    result = sign_in(get_engine(), cfg, username, password, st.context.ip_address or "")
    if not result.ok:
        middle.error(result.message)
        return
    st.session_state[_TOKEN] = result.token
    max_age = int(cfg.cookie_expiry_days * 86400)
    st.session_state[_COOKIE_WRITE] = (result.token, max_age)
    st.rerun()


def sign_out_button() -> None:
    """End the session on the server, then forget the cookie in this browser."""
    if st.button("Log out", key="sign_out"):
        sign_out(get_engine(), settings(), _token())
        st.session_state.clear()
        st.session_state[_COOKIE_WRITE] = ("", 0)
        st.rerun()


def write_pending_cookie() -> None:
    """Set (or, with max-age 0, remove) the session cookie asked for by the last action."""
    pending = st.session_state.pop(_COOKIE_WRITE, None)
    if pending is None:
        return
    token, max_age = pending
    cookie = json.dumps(
        f"{settings().cookie_name}={token}; Path=/; Max-Age={max_age}; SameSite=Strict"
    )
    st.html(
        f"<script>document.cookie = {cookie} + "
        "(location.protocol === 'https:' ? '; Secure' : '');</script>",
        unsafe_allow_javascript=True,
    )

"""The guard every page file starts with: the server-side check of who may see the page.

A page file can be run without app.py (Streamlit serves pages/ to a direct URL on a fresh
server), so the guard must not trust the menu: it reads the signed-in user from the session,
re-reads the role from the database, and stops the script unless the role holds the permission.
"""

from __future__ import annotations

import streamlit as st

from xeroflow_core.ui.resources import get_engine
from xeroflow_core.users import PAGES, Actor, can, get_user


def current_actor() -> Actor | None:
    """The signed-in, enabled user with the role the database holds now, or None."""
    if not st.session_state.get("authentication_status"):
        return None
    username = st.session_state.get("username")
    if not username:
        return None
    user = get_user(get_engine(), username)
    if user is None or user.disabled:
        return None
    return Actor(user.username, user.role)


def require_page(key: str) -> Actor:
    """Stop the page unless the current user may open page `key` (see users.PAGES)."""
    spec = PAGES[key]
    actor = current_actor()
    if actor is None:
        st.info("Please sign in to use XeroFlow.")
        st.markdown("[Go to sign-in](/)")
        st.stop()
    if not can(actor.role, spec.permission):
        st.error(f"Your role ({actor.role}) cannot open {spec.title}.")
        st.stop()
    return actor


def allowed(actor: Actor, permission: str) -> bool:
    """For showing or hiding action widgets; the service functions check again."""
    return can(actor.role, permission)

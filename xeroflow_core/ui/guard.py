"""The guard every page file starts with: the server-side check of who may see the page.

The menu shows each role only its pages, but the guard does not trust the menu: every page
re-reads the signed-in user and role from the database and stops unless the role holds the
permission.
"""

from __future__ import annotations

import streamlit as st

from xeroflow_core.actor import Actor
from xeroflow_core.ui.auth import current_actor
from xeroflow_core.ui.pages import PAGES
from xeroflow_core.users import can


def require_page(key: str) -> Actor:
    """Stop the page unless the current user may open page `key` (see ui/pages.py)."""
    spec = PAGES[key]
    actor = current_actor()
    if actor is None:
        st.info("Please sign in to use XeroFlow.")
        st.stop()
    if not can(actor.role, spec.permission):
        st.error(f"Your role ({actor.role}) cannot open {spec.title}.")
        st.stop()
    return actor


def allowed(actor: Actor, permission: str) -> bool:
    """For showing or hiding action widgets; the service functions check again."""
    return can(actor.role, permission)

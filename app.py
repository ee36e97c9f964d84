"""XeroFlow: the router. Sign-in, then a menu built from the one map of pages to roles."""

import streamlit as st

from xeroflow_core.settings import SettingsError, get_settings
from xeroflow_core.ui.auth import get_authenticator, login_form
from xeroflow_core.ui.guard import current_actor
from xeroflow_core.users import PAGES, pages_for

st.set_page_config(page_title="XeroFlow", page_icon=":material/account_balance:", layout="wide")

try:
    get_settings()
except SettingsError as exc:  # production without its own keys: refuse, and say why
    st.error(str(exc))
    st.stop()


def page(spec) -> st.Page:  # noqa: ANN001
    return st.Page(spec.file, title=spec.title, url_path=spec.url_path, icon=spec.icon)


auth = get_authenticator()
if not login_form(auth):
    # Register every page, hidden and not run, so the URL the browser asked for survives: a
    # fresh page load (a deep link, a reload, Xero's callback with its code) first runs before
    # the login cookie is read, and an unknown URL would be rewritten to the default page.
    st.navigation([page(spec) for spec in PAGES.values()], position="hidden")
    st.stop()

actor = current_actor()
if actor is None:  # signed in by cookie but disabled or deleted since
    auth.logout(location="unrendered")
    st.rerun()

sections: dict[str, list[st.Page]] = {}
for spec in pages_for(actor.role):
    sections.setdefault(spec.section, []).append(page(spec))

with st.sidebar:
    st.caption(f"Signed in as **{st.session_state.get('name')}** · {actor.role}")
    auth.logout(button_name="Log out", location="sidebar", key="logout_button")

st.navigation(sections).run()

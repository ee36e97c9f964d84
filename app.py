"""XeroFlow: the router. Who is signed in is settled first, from the session cookie; then one
`st.navigation` call registers the pages, so the URL the browser asked for is kept; then the page
runs (or, signed out, the sign-in form is drawn in its place)."""

import streamlit as st

from xeroflow_core.settings import SettingsError, get_settings
from xeroflow_core.ui.auth import current_actor, sign_in_form, sign_out_button, write_pending_cookie
from xeroflow_core.ui.pages import PAGES, PageSpec, pages_for

st.set_page_config(page_title="XeroFlow", page_icon=":material/account_balance:", layout="wide")

try:
    get_settings()
except SettingsError as exc:  # production without its own keys: refuse, and say why
    st.error(str(exc))
    st.stop()


def page(spec: PageSpec, visible: bool = True) -> st.Page:
    return st.Page(
        spec.file,
        title=spec.title,
        url_path=spec.url_path or None,
        icon=spec.icon,
        default=not spec.url_path,
        visibility="visible" if visible else "hidden",
    )


actor = current_actor()
if actor is None:
    # Every page registered, hidden and not run: the requested URL and its query string stay
    # in the address bar while the sign-in form is drawn in the page's place.
    st.navigation([page(spec) for spec in PAGES.values()], position="hidden")
    sign_in_form()
    write_pending_cookie()
    st.stop()

# The role's pages in the menu; the others registered hidden, so typing their URL reaches the
# page's own guard, which says the role cannot open it (instead of "Page not found").
allowed = {spec.key for spec in pages_for(actor.role)}
sections: dict[str, list[st.Page]] = {}
for spec in PAGES.values():
    sections.setdefault(spec.section, []).append(page(spec, visible=spec.key in allowed))
current = st.navigation(sections)

with st.sidebar:
    st.caption(f"Signed in as **{actor.username}** · {actor.role}")
    sign_out_button()
write_pending_cookie()
current.run()

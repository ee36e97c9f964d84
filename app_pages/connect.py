"""Connect page: the Xero connection's state for everyone; connect, reconnect, choose
organisations and disconnect for admins. Xero's redirect lands here (?code=&state=)."""

from __future__ import annotations

import html
import time

import streamlit as st

from xeroflow_core.sync.jobs import request_initial_sync
from xeroflow_core.sync.status_view import when
from xeroflow_core.text import md, plain, plain_table
from xeroflow_core.ui.guard import allowed, require_page
from xeroflow_core.ui.resources import get_engine, settings
from xeroflow_core.xero.connections import choose_organisations, disconnect
from xeroflow_core.xero.oauth import handle_callback, start_authorization
from xeroflow_core.xero.overview import overview
from xeroflow_core.xero.tokens import XeroAuthError

actor = require_page("connect")
engine = get_engine()
cfg = settings()
manage = allowed(actor, "manage_connection")
st.title("Connect")

# --- Xero's redirect: finish the consent, then clear the query string -----------------------
CALLBACK_KEYS = ("code", "state", "error", "error_description")
if any(k in st.query_params for k in ("code", "state", "error")):
    query = {k: st.query_params.get(k) for k in CALLBACK_KEYS if k in st.query_params}
    if manage:
        with st.spinner("Finishing the connection to Xero…"):
            result = handle_callback(
                engine, cfg, actor, query, on_new_organisations=request_initial_sync
            )
        st.session_state["connect_flash"] = (result.kind, result.message)
    else:
        st.session_state["connect_flash"] = ("refused", "Only an admin can connect Xero.")
    st.session_state.pop("connect_url", None)  # that attempt is used up
    st.query_params.clear()

flash = st.session_state.get("connect_flash")
if flash:
    kind, message = flash
    {"connected": st.success, "cancelled": st.info}.get(kind, st.error)(md(message))


view = overview(engine)
show = {"connected": st.success, "read_only": st.warning, "needs_reconnect": st.error}
show.get(view.state, st.info)(f"Xero connection: **{view.label}**")
for reason in view.reasons:
    st.caption(md(reason))
if view.state == "read_only":
    st.caption(
        "Xero refused a write: the Xero user who connected XeroFlow lost a role or scope. "
        "Reading goes on; invoices cannot be pushed until an admin reconnects with a Xero user "
        "who is an Admin or Advisor."
    )

if view.organisations:
    st.subheader("Organisations")
    st.dataframe(
        plain_table(
            [
                {
                    "Organisation": o.name or o.tenant_id,
                    "Type": o.tenant_type.replace("_", " ").capitalize(),
                    "State": o.status_label,
                    "Syncing": "yes" if o.sync_enabled else "no",
                    "Connected": when(o.connected_at),
                    "Last sync": when(o.last_sync),
                    "Tenant id": o.tenant_id,
                }
                for o in view.organisations
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    c1, c2 = st.columns(2)
    c1.markdown(f"**Last token refresh:** {when(view.last_refresh)}")
    c2.markdown("**Granted scopes:** " + (", ".join(f"`{s}`" for s in view.scopes) or "—"))

if not manage:
    st.caption("Only an admin can connect, reconnect or disconnect Xero.")
    st.stop()

# --- admin actions ----------------------------------------------------------------------------
st.divider()
auth_link = st.session_state.get("connect_url")
if not auth_link or time.time() - auth_link[1] > 8 * 60:  # a flow lives 10 minutes
    auth_link = (start_authorization(engine, cfg, actor), time.time())
    st.session_state["connect_url"] = auth_link
fresh = view.state in ("not_connected", "disconnected")
label = "Connect Xero" if fresh else "Reconnect Xero"
# A same-tab link: Xero's consent page must come back to this tab's /connect.
st.markdown(
    f'<a href="{html.escape(auth_link[0])}" target="_self" data-testid="connect-xero" '
    'style="display:inline-block;padding:0.45rem 1rem;border-radius:0.5rem;'
    'background:#13b5ea;color:white;text-decoration:none;font-weight:600">'
    f"{label}</a>",
    unsafe_allow_html=True,
)
st.caption(
    "Opens Xero's consent page: sign in as a Xero Admin or Advisor and tick the organisations. "
    + ("Reconnecting keeps every client, link, mapping and synced row." if not fresh else "")
)

usable = view.usable


def save_choice(chosen: list[str]) -> None:
    try:
        started = request_initial_sync(engine, actor, choose_organisations(engine, actor, chosen))
    except ValueError as exc:
        st.error(md(exc))
        return
    st.session_state.pop("confirm_no_orgs", None)
    message = "Saved. " + (
        f"The first sync of {len(started)} organisation(s) has started." if started else ""
    )
    if not chosen:
        message = "Saved. XeroFlow syncs no organisation now; its data is kept."
    st.session_state["connect_flash"] = ("connected", message)
    st.rerun()


if usable:
    st.subheader("Organisations to sync")
    names = {o.tenant_id: plain(o.name or o.tenant_id) for o in usable}
    syncing = [o.tenant_id for o in usable if o.sync_enabled]
    st.caption(
        "Syncing now: " + (", ".join(md(names[t]) for t in syncing) if syncing else "none")
        + ". The organisations ticked on Xero's consent page sync from the start; change the "
        "choice here."
    )  # fmt: skip
    with st.form("choose_orgs"):
        chosen = st.multiselect(
            "Sync these organisations", options=list(names), default=syncing,
            format_func=names.get,
        )  # fmt: skip
        if st.form_submit_button("Save organisations"):
            if chosen:
                save_choice(chosen)
            else:
                st.session_state["confirm_no_orgs"] = True
    if st.session_state.get("confirm_no_orgs"):
        st.warning(
            "Stop syncing every organisation? Synced data, clients and links are kept, but "
            "nothing new arrives from Xero until an organisation is chosen again."
        )
        yes, no = st.columns([1, 5])
        if yes.button("Stop syncing all", type="primary"):
            save_choice([])
        if no.button("Keep the current choice"):
            st.session_state.pop("confirm_no_orgs", None)
            st.rerun()

if view.can_disconnect:
    with st.expander("Disconnect"):
        targets = {"": "Every organisation (revoke XeroFlow's access in Xero)"}
        targets |= {o.tenant_id: f"Only {md(o.name or o.tenant_id)}" for o in usable}
        target = st.radio("What to disconnect", list(targets), index=None, format_func=targets.get)
        sure = st.checkbox("Stop syncing. Synced data, clients and links are kept.")
        if st.button("Disconnect", disabled=not sure or target is None, type="primary"):
            try:
                done = disconnect(engine, cfg, actor, target or None)
            except (XeroAuthError, ValueError) as exc:
                st.error(md(exc))
            else:
                st.session_state["connect_flash"] = (
                    "cancelled",
                    f"Disconnected {len(done)} organisation(s); their data is kept.",
                )
                st.rerun()

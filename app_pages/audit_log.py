"""Audit Log page: who did what, when (admins)."""

import streamlit as st

from xeroflow_core import audit
from xeroflow_core.text import plain, plain_table
from xeroflow_core.ui.guard import require_page
from xeroflow_core.ui.resources import get_engine

actor = require_page("audit")
engine = get_engine()
st.title("Audit Log")
f1, f2 = st.columns(2)
user = f1.selectbox(
    "User", audit.usernames(engine), index=None, placeholder="All users", format_func=plain
)
action = f2.selectbox(
    "Action", audit.actions(engine, username=user), index=None, placeholder="All actions"
)
rows = audit.recent(engine, limit=500, action=action, username=user)
if not rows:
    st.info("Nothing matches." if user or action else "Nothing has been recorded yet.")
else:
    st.dataframe(
        plain_table(
            [
                {
                    "when (UTC)": r.at,
                    "who": r.username,
                    "action": r.action,
                    "target": r.target,
                    "detail": r.detail,
                }
                for r in rows
            ]
        ),
        hide_index=True,
        width="stretch",
    )

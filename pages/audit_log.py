"""Audit Log page: who did what, when (admins)."""

import pandas as pd
import streamlit as st

from xeroflow_core import audit
from xeroflow_core.ui.guard import require_page
from xeroflow_core.ui.resources import get_engine

actor = require_page("audit")
st.title("Audit Log")
action = st.text_input("Filter by action", placeholder="e.g. link_contact")
rows = audit.recent(get_engine(), limit=500, action=action.strip() or None)
if not rows:
    st.info("Nothing has been recorded yet.")
else:
    st.dataframe(
        pd.DataFrame(
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

"""EOM Review page (not built yet)."""

import streamlit as st

from xeroflow_core.ui.guard import require_page

actor = require_page("eom_review")
st.title("EOM Review")
st.info("End-of-month invoicing is not built yet.")

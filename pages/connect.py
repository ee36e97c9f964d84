"""Connect page (not built yet)."""

import streamlit as st

from xeroflow_core.ui.guard import require_page

actor = require_page("connect")
st.title("Connect")
st.info("Connecting to Xero is not built yet.")

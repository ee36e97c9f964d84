"""Sync Status page (not built yet)."""

import streamlit as st

from xeroflow_core.ui.guard import require_page

actor = require_page("sync_status")
st.title("Sync Status")
st.info("Sync with Xero is not built yet.")

"""Clients page (not built yet)."""

import streamlit as st

from xeroflow_core.ui.guard import require_page

actor = require_page("clients")
st.title("Clients")
st.info("Clients is not built yet.")

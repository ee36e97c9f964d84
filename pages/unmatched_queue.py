"""Unmatched Queue page (not built yet)."""

import streamlit as st

from xeroflow_core.ui.guard import require_page

actor = require_page("unmatched")
st.title("Unmatched Queue")
st.info("The Unmatched Queue is not built yet.")

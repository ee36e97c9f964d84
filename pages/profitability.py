"""Profitability page (not built yet)."""

import streamlit as st

from xeroflow_core.ui.guard import require_page

actor = require_page("profitability")
st.title("Profitability")
st.info("Profitability is not built yet.")

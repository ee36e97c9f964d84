""" "Open in Xero" in tables: the link maker for this render and its column."""

from __future__ import annotations

from typing import Any

import streamlit as st

from xeroflow_core.ui.resources import get_engine, settings
from xeroflow_core.xero.links import XeroLinks, xero_links

OPEN = "Open in Xero"


def links() -> XeroLinks:
    """Xero's deep links with a real app, the sandbox console's pages in demo mode."""
    return xero_links(get_engine(), settings())


def open_column() -> dict[str, Any]:
    """The column config that shows a link as "Open in Xero" (empty when there is none)."""
    return {OPEN: st.column_config.LinkColumn(OPEN, display_text=OPEN)}

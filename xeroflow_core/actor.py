"""Who is acting: the one value every service function that changes something receives, and
the audit log records. Kept apart from users.py (passwords, the user store) so that the audit log
and everything below the features can name an actor without depending on the user store."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """Who is acting: passed to every service function that changes something."""

    username: str
    role: str


SYSTEM = Actor("system", "admin")  # the worker and the CLI act with the system's authority

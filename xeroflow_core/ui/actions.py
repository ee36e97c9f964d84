"""Running a page's action and telling the person what happened: one helper for every page.

A page calls `run_action(fn, ...)`: the service call runs, and a refusal the person can act on
(ValueError, PermissionDenied, or whatever else the page names in `refusals`) comes back as a
message instead of a traceback. After a success the page calls `flash(scope, message, undo_id)`:
the message (with an Undo button when the action is journalled) shows once, at the top of the
next run, via `show_flash(scope, undo=...)`. Messages often carry names from Xero or people, so
they are drawn through `text.md` (literal text, never markdown). Each scope has a "round" number that the flash bumps,
so widget keys built with `action_round(scope)` start empty again after an action.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn

import streamlit as st

from xeroflow_core.text import md
from xeroflow_core.users import PermissionDenied

REFUSALS: tuple[type[Exception], ...] = (ValueError, PermissionDenied)


def action_round(scope: str) -> int:
    """How many actions this scope has flashed in this session (use it in widget keys)."""
    return int(st.session_state.setdefault(f"{scope}_round", 0))


def run_action(
    fn: Callable[..., Any],
    *args: Any,
    refusals: tuple[type[Exception], ...] = (),
    **kwargs: Any,
) -> tuple[Any, str | None]:
    """Call `fn(*args, **kwargs)`; return (result, None), or (None, message) when refused."""
    try:
        return fn(*args, **kwargs), None
    except REFUSALS + tuple(refusals) as exc:
        return None, str(exc)


def flash(scope: str, message: str, undo_id: int | None = None) -> NoReturn:
    """Remember `message` (and what Undo would undo) for the next run, then rerun the page."""
    n = action_round(scope) + 1
    st.session_state[f"{scope}_round"] = n
    st.session_state[f"{scope}_flash"] = (message, undo_id, n)
    st.rerun()


def show_flash(scope: str, undo: Callable[[int], Any] | None = None) -> None:
    """Draw the message of the last action of this scope, with an Undo button when it has one."""
    saved = st.session_state.get(f"{scope}_flash")
    if not saved or saved[2] != action_round(scope):
        return
    message, undo_id, _ = saved
    if undo is None or not undo_id:
        st.success(md(message))
        return
    c1, c2 = st.columns([5, 1])
    c1.success(md(message))
    if c2.button("Undo", key=f"{scope}_undo_{undo_id}"):
        undo_action(scope, undo, undo_id)


def undo_action(scope: str, undo: Callable[[int], Any], undo_id: int) -> None:
    """Run an undo; flash "Undone." or show why it was refused."""
    _, err = run_action(undo, undo_id)
    if err:
        st.error(md(err))
    else:
        flash(scope, "Undone.")


def act(
    scope: str,
    fn: Callable[..., Any],
    *args: Any,
    ok: str | Callable[[Any], str],
    undo_id: Callable[[Any], int | None] | None = None,
    refusals: tuple[type[Exception], ...] = (),
    **kwargs: Any,
) -> None:
    """`run_action` then, on success, `flash` the `ok` message (or `ok(result)`) with the undo id
    `undo_id(result)` (journalled actions return their audit id: pass `undo_id=lambda a: a`).
    On a refusal, shows the message as an error where the page is drawing."""
    result, err = run_action(fn, *args, refusals=refusals, **kwargs)
    if err:
        st.error(md(err))
        return
    flash(scope, ok(result) if callable(ok) else ok, undo_id(result) if undo_id else None)

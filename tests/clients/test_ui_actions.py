"""The one page-action helper (xeroflow_core.ui.actions), run by Streamlit's own app tester."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from xeroflow_core.text import md
from xeroflow_core.ui.actions import run_action
from xeroflow_core.users import PermissionDenied


def test_run_action_turns_refusals_into_messages() -> None:
    assert run_action(lambda a, b=0: a + b, 1, b=2) == (3, None)

    def refuse(exc: Exception):  # noqa: ANN202
        raise exc

    assert run_action(refuse, ValueError("no name")) == (None, "no name")
    assert run_action(refuse, PermissionDenied("partners only"))[1] == "partners only"
    assert run_action(refuse, KeyError("k"), refusals=(KeyError,))[1] == "'k'"


def _page() -> None:
    import streamlit as st

    from xeroflow_core.ui.actions import act, action_round, show_flash

    st.session_state.setdefault("undone", [])
    show_flash("t", lambda aid: st.session_state["undone"].append(aid))
    st.text(f"round {action_round('t')}")
    if st.button("Go"):
        act("t", lambda: 7, ok=lambda r: f"did {r}", undo_id=lambda r: r)
    if st.button("Fail"):
        act("t", int, "not a number", ok="never")


def test_flash_shows_once_with_undo_and_errors_stay_on_the_page() -> None:
    at = AppTest.from_function(_page).run()
    assert [t.value for t in at.text] == ["round 0"] and not at.success
    at.button[0].click().run()  # Go
    assert [s.value for s in at.success] == ["did 7"] and at.text[0].value == "round 1"
    at.button[0].click().run()  # Undo (drawn first, with the flash)
    assert at.session_state["undone"] == [7]
    assert [s.value for s in at.success] == [md("Undone.")] and at.text[0].value == "round 2"
    at.button[-1].click().run()  # Fail
    assert "invalid literal" in at.error[0].value
    assert at.text[0].value == "round 2"  # a refusal is not an action: nothing else changes


def _named_page() -> None:
    import streamlit as st

    from xeroflow_core.ui.actions import act, show_flash

    name = st.session_state.setdefault("name", "x")
    show_flash("n")
    if st.button("Create"):
        act("n", lambda: name, ok=lambda n: f"Created {n}.")
    if st.button("Refuse"):
        act(
            "n",
            lambda: (_ for _ in ()).throw(ValueError(f"A client named {name!r} exists.")),
            ok="",
        )


def test_flash_and_refusal_messages_show_names_as_text() -> None:
    """A contact named like markdown becomes neither a link nor an image in a message."""
    evil = "**A** [re-login](https://evil.example) ![t](http://127.0.0.1:9/t.png)"
    at = AppTest.from_function(_named_page)
    at.session_state["name"] = evil
    at.run()
    at.button[0].click().run()
    assert [s.value for s in at.success] == [md(f"Created {evil}.")]
    assert "](" not in at.success[0].value and "**A**" not in at.success[0].value
    at.button[-1].click().run()
    assert "](" not in at.error[0].value and "re\\-login" in at.error[0].value

"""The test controls cannot hurt the machine: off unless asked for, behind the run's key, JSON
bodies only, and the state file is the one the sandbox was started with, never a request's."""

from __future__ import annotations

import httpx
import pytest

from xero_sandbox.app import SandboxConfig, create_app
from xero_sandbox.cli import build_parser, config_from_args
from xero_sandbox.server import sandbox_transport
from xero_sandbox.testing import KEY, sandbox_config

from .conftest import AS_OF


def _client(config: SandboxConfig, **kwargs) -> httpx.Client:
    app = create_app(config)
    return httpx.Client(transport=sandbox_transport(app), base_url="http://s", **kwargs)


@pytest.fixture()
def bare(tmp_path):
    """Controls on, but the client sends no key by itself."""
    config = sandbox_config(
        as_of=AS_OF, size="small", frozen_clock=True, state_file=str(tmp_path / "run.pickle")
    )
    with _client(config) as client:
        yield client


def test_every_control_needs_the_key(bare) -> None:
    assert bare.get("/_sandbox/state").status_code == 401
    assert bare.post("/_sandbox/reset").status_code == 401
    wrong = {"X-Sandbox-Key": "guess"}
    assert bare.get("/_sandbox/state", headers=wrong).status_code == 403
    assert bare.post("/_sandbox/clock", json={"advance_seconds": 60}, headers=wrong).is_error
    assert bare.get("/_sandbox/state", headers={"X-Sandbox-Key": KEY}).status_code == 200


def test_only_json_bodies_are_accepted(bare) -> None:
    """A plain fetch() or a form from another page sends text/plain or form bodies."""
    key = {"X-Sandbox-Key": KEY}
    before = bare.get("/_sandbox/clock", headers=key).json()["now"]
    as_text = bare.post(
        "/_sandbox/clock",
        content=b'{"advance_seconds": 86400}',
        headers={**key, "Content-Type": "text/plain"},
    )
    as_form = bare.post("/_sandbox/clock", data={"advance_seconds": "86400"}, headers=key)
    assert (as_text.status_code, as_form.status_code) == (415, 415)
    assert bare.get("/_sandbox/clock", headers=key).json()["now"] == before


def test_save_writes_only_the_run_state_file(bare, tmp_path) -> None:
    key = {"X-Sandbox-Key": KEY}
    target = tmp_path / "elsewhere.txt"
    target.write_text("precious")
    refused = bare.post("/_sandbox/save", json={"path": str(target)}, headers=key)
    assert refused.status_code == 400 and target.read_text() == "precious"
    saved = bare.post("/_sandbox/save", headers=key)
    assert saved.json() == {"saved": str(tmp_path / "run.pickle")}
    assert (tmp_path / "run.pickle").stat().st_size > 0


def test_the_command_line_asks_for_controls_and_takes_the_key(monkeypatch) -> None:
    monkeypatch.delenv("XERO_SANDBOX_KEY", raising=False)
    plain = config_from_args(build_parser().parse_args([]))
    other = config_from_args(build_parser().parse_args([]))
    assert not plain.test_controls and plain.control_key != other.control_key  # one per run
    monkeypatch.setenv("XERO_SANDBOX_KEY", "from-env")
    asked = config_from_args(build_parser().parse_args(["--test-controls"]))
    assert asked.test_controls and asked.control_key == "from-env"
    given = config_from_args(build_parser().parse_args(["--control-key", "from-cli"]))
    assert given.control_key == "from-cli"

"""`make run`'s script: everything starts, the demo answers, and Ctrl-C stops all it started."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import httpx
import psutil

from tests.e2e.harness import ROOT, free_port


def _wait_ok(url: str, proc: subprocess.Popen, seconds: float = 90) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, "run.sh exited early"
        try:
            response = httpx.get(url, timeout=2)
            if response.status_code == 200:
                return response
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} did not answer")


def _controls_answer_only_to_the_printed_key(log: Path, sandbox_port: int) -> None:
    """`make run` asks for the sandbox's test controls and prints this run's key."""
    base = f"http://127.0.0.1:{sandbox_port}"
    found = re.search(r"X-Sandbox-Key: (\S+)", log.read_text())
    assert found, "run.sh printed no sandbox key"
    assert f"{base}/_sandbox/console?key={found[1]}" in log.read_text()
    assert httpx.get(f"{base}/_sandbox/state", timeout=10).status_code == 401
    state = httpx.get(f"{base}/_sandbox/state", headers={"X-Sandbox-Key": found[1]}, timeout=10)
    assert state.status_code == 200


def test_run_script_starts_everything_and_ctrl_c_stops_it(tmp_path) -> None:
    port, sandbox_port = free_port(), free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("XEROFLOW_", "XERO_"))},
        "DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}",
        "XEROFLOW_RUN_DIR": str(tmp_path),
        "PORT": str(port),
        "SANDBOX_PORT": str(sandbox_port),
        "BIN": str(ROOT / ".venv" / "bin"),
    }
    for attempt in range(2):  # a second run over the same database does no harm
        out = (tmp_path / f"out{attempt}.log").open("w")
        proc = subprocess.Popen(
            ["bash", "scripts/run.sh"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            assert _wait_ok(f"http://127.0.0.1:{port}/_stcore/health", proc).text == "ok"
            discovery = _wait_ok(
                f"http://127.0.0.1:{sandbox_port}/.well-known/openid-configuration", proc
            ).json()
            assert discovery["token_endpoint"].endswith("/connect/token")
            _controls_answer_only_to_the_printed_key(tmp_path / f"out{attempt}.log", sandbox_port)
            children = psutil.Process(proc.pid).children(recursive=True)
            assert len(children) >= 3  # sandbox, worker, streamlit
        finally:
            os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in the terminal sends
            proc.wait(30)
        time.sleep(1)
        assert not [c for c in children if c.is_running() and c.status() != "zombie"]
        log = (tmp_path / f"out{attempt}.log").read_text()
        assert f"http://localhost:{port}" in log and "xeroflow-demo" in log
        assert ("Demo users created." if attempt == 0 else "none created") in log

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

from tests.e2e.harness import ROOT, free_port, make_run_env


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
    env = make_run_env(tmp_path, port, sandbox_port)
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


def _wait_for(path, text: str, proc: subprocess.Popen, seconds: float = 90) -> str:
    deadline = time.monotonic() + seconds  # a bound for a busy machine, not a measurement
    while time.monotonic() < deadline:
        assert proc.poll() is None, "run.sh exited early"
        content = path.read_text()
        if text in content:
            return content
        time.sleep(0.3)
    raise AssertionError(f"{text!r} never appeared in {path}")


def test_run_is_loopback_only_one_per_folder_and_restarts_a_dead_worker(tmp_path) -> None:
    port, sandbox_port = free_port(), free_port()
    env = make_run_env(tmp_path, port, sandbox_port)
    out_path = tmp_path / "first.log"
    proc = subprocess.Popen(
        ["bash", "scripts/run.sh"], cwd=ROOT, env=env, stdout=out_path.open("w"),
        stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        _wait_ok(f"http://127.0.0.1:{port}/_stcore/health", proc)
        _wait_ok(f"http://127.0.0.1:{sandbox_port}/.well-known/openid-configuration", proc)
        # 1. both listen on the loopback interface only
        listening = {
            (c.laddr.ip, c.laddr.port)
            for p in psutil.Process(proc.pid).children(recursive=True)
            for c in p.net_connections(kind="tcp")
            if c.status == psutil.CONN_LISTEN
        }
        ours = {(ip, p) for ip, p in listening if p in (port, sandbox_port)}
        assert {p for _, p in ours} == {port, sandbox_port}
        assert {ip for ip, _ in ours} == {"127.0.0.1"}

        # 2. a second run in the same folder refuses before touching the first one's files
        worker_log = (tmp_path / "worker.log").read_text()
        sandbox_log = (tmp_path / "sandbox.log").read_text()
        second = subprocess.run(
            ["bash", "scripts/run.sh"], cwd=ROOT, capture_output=True, text=True, timeout=120,
            env={**env, "PORT": str(free_port()), "SANDBOX_PORT": str(free_port())},
        )  # fmt: skip
        assert second.returncode == 1
        assert "already running from this folder" in second.stderr
        assert (tmp_path / "worker.log").read_text().startswith(worker_log)
        assert (tmp_path / "sandbox.log").read_text().startswith(sandbox_log)
        assert (tmp_path / "run.pid").read_text().strip() == str(proc.pid)

        # 3. a worker that dies is reported and started again; the app stays up
        first = re.search(r"Worker started \(pid (\d+)\)", out_path.read_text())
        assert first
        psutil.Process(int(first.group(1))).kill()
        text = _wait_for(out_path, "Worker restarted (pid", proc)
        assert "The worker stopped (exit code" in text and "restarting it (1 of 3)" in text
        again = int(re.search(r"Worker restarted \(pid (\d+)\)", text).group(1))
        assert psutil.Process(again).is_running()
        assert _wait_ok(f"http://127.0.0.1:{port}/_stcore/health", proc).text == "ok"
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(30)
    assert not (tmp_path / "run.pid").exists()  # the lock goes with the run
    assert "XeroFlow stopped." in out_path.read_text()

"""`python -m xeroflow_core sync --org NAME` in the foreground: a progress bar and a summary,
exit 0 when the run is ok; a clear message and exit 2 when no organisation matches."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.sync import connect

ROOT = Path(__file__).resolve().parents[2]


def _run(engine_url: str, sandbox_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": engine_url, "XEROFLOW_SANDBOX_URL": sandbox_url}
    return subprocess.run(
        [sys.executable, "-m", "xeroflow_core", "sync", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_cli_syncs_one_organisation_with_progress_and_summary(sqlite_engine, sandbox_url):
    connect(sqlite_engine, sandbox_url)
    url = sqlite_engine.url.render_as_string(hide_password=False)
    out = _run(url, sandbox_url, "--org", "Demo Agency Ltd", "--full")
    assert out.returncode == 0, out.stderr
    assert "Syncing Demo Agency Ltd" in out.stdout and "Demo Studio" not in out.stdout
    assert "Invoices" in out.stderr and "page 2/2" in out.stderr  # the progress bar
    assert "run " in out.stdout and ": ok," in out.stdout
    assert "Invoices" in out.stdout and "ExpenseClaims" in out.stdout  # the summary table
    missing = _run(url, sandbox_url, "--org", "Nobody Ltd")
    assert (
        missing.returncode == 2 and "No organisation to sync matches 'Nobody Ltd'" in missing.stderr
    )

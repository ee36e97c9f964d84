"""The repository stands alone: Xero's specs load from inside the sandbox package, no tracked file
points outside the repository, and the schema tests pass in a bare copy of the tracked files
(no sibling folders, no untracked files, no venv beside it). The sandbox stands alone too: its
own tests pass in a copy that holds nothing but `xero_sandbox/`."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import xero_sandbox
from xero_sandbox.specs import SPEC_DIR, SPECS, load_spec, spec_path

ROOT = Path(__file__).resolve().parents[2]


def _tracked() -> list[str]:
    """`git ls-files`, so that only what a clone would have counts."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    done = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip("not a git checkout")
    return [p for p in done.stdout.decode().split("\0") if p]


def _copy_tracked(copy: Path, under: str = "") -> None:
    """Copy the tracked files (those under `under` only, when given) into `copy`."""
    for rel in _tracked():
        src = ROOT / rel
        if not rel.startswith(under) or not src.is_file():  # deleted, still in the index
            continue
        (copy / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, copy / rel, follow_symlinks=False)


def test_specs_load_from_the_sandbox_package():
    package = Path(xero_sandbox.__file__).resolve().parent
    assert package / "specs" == SPEC_DIR
    for name, filename in SPECS.items():
        path = spec_path(name)
        assert path == SPEC_DIR / filename and path.is_file()
        assert spec_path(filename) == path
        assert load_spec(name)["info"]["version"] == "16.1.0"
    assert load_spec("accounting") is load_spec("xero_accounting.yaml")  # parsed once
    assert (SPEC_DIR / "LICENSE").read_text().startswith("MIT License")
    with pytest.raises(KeyError):
        spec_path("../xero_accounting.yaml")


def test_specs_are_tracked_and_unchanged():
    """The copies are Xero's bytes: SHA256SUMS (written when they were copied) still holds."""
    tracked = set(_tracked())
    rel = SPEC_DIR.relative_to(ROOT).as_posix()
    sums = (SPEC_DIR / "SHA256SUMS").read_text().splitlines()
    assert {line.split()[1] for line in sums} == {"LICENSE", *SPECS.values()}
    for line in sums:
        digest, name = line.split()
        assert f"{rel}/{name}" in tracked, f"{name} is not committed"
        assert hashlib.sha256((SPEC_DIR / name).read_bytes()).hexdigest() == digest, name


def test_no_tracked_file_points_outside_the_repository():
    _tracked()
    done = subprocess.run(
        [sys.executable, "scripts/check_paths.py"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
def test_schema_tests_pass_in_a_bare_copy_of_the_tracked_files(tmp_path):
    copy = tmp_path / "xeroflow"  # tmp_path holds nothing else: no `shared` beside it
    _copy_tracked(copy)
    assert not (copy / ".venv").exists()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}

    where = subprocess.run(
        [sys.executable, "-c", "import xero_sandbox.specs as s; print(s.SPEC_DIR)"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(where.stdout.strip()) == copy.resolve() / "xero_sandbox" / "specs"

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "xero_sandbox/tests/test_schemas.py",
            "-q",
            "-p",
            "no:cacheprovider",
        ],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "skipped" not in done.stdout


@pytest.mark.slow
def test_the_sandbox_runs_in_a_copy_without_the_app(tmp_path):
    """Nothing of xeroflow_core, tests/ or the project's config: the package and its tests only."""
    copy = tmp_path / "elsewhere"
    _copy_tracked(copy, under="xero_sandbox/")
    assert sorted(p.name for p in copy.iterdir()) == ["xero_sandbox"]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "xero_sandbox/tests/test_package.py",
            "xero_sandbox/tests/test_schemas.py",
            "xero_sandbox/tests/test_control_access.py",
            "xero_sandbox/tests/test_runtime.py::test_cli_serves_over_http",
            "-q",
            "-p",
            "no:cacheprovider",
        ],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "skipped" not in done.stdout


def test_the_apps_command_runs_the_sandboxs_own_with_the_apps_key_name(monkeypatch):
    """`python -m xeroflow_core sandbox` is `python -m xero_sandbox`; XEROFLOW_SANDBOX_KEY, the
    name the app's docs give the control key, reaches the sandbox as its own variable."""
    from xero_sandbox import cli
    from xeroflow_core.__main__ import main

    seen = []
    monkeypatch.setattr(cli, "main", lambda argv: seen.append((argv, os.environ[cli.KEY_ENV])))
    monkeypatch.setenv(cli.KEY_ENV, "")  # recorded, so the value the command sets is undone
    monkeypatch.delenv(cli.KEY_ENV)
    monkeypatch.setenv("XEROFLOW_SANDBOX_KEY", "from-the-app")
    assert main(["sandbox", "--port", "1"]) == 0
    assert seen == [(["--port", "1"], "from-the-app")]

#!/usr/bin/env python3
"""Fail when a tracked file points outside the repository: at the `shared` folder beside the
checkout, or at an absolute path of one machine (a home or work directory). A clone elsewhere
has neither, so everything the code and its docs rely on must live in the repository.

Usage: python scripts/check_paths.py   (exit 0 clean, 1 with the offending lines listed)
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The sibling `shared` folder anywhere; home, root, work and Users directories when the slash
# starts the path (not inside a URL such as https://host/home/); Windows profile folders.
OUTSIDE = re.compile(
    r"\.\./shared\b"
    r"|(?<![\w.~/-])/(?:home|root|work|Users)/[\w.~-]"
    r"|\b[A-Za-z]:\\(?:Users|home)\\",
)


def tracked_files(root: Path = ROOT) -> list[str]:
    """The files git tracks: untracked and ignored files (the venv, data/) are not the product."""
    out = subprocess.run(
        ["git", "ls-files", "-z"], cwd=root, check=True, capture_output=True
    ).stdout
    return [p for p in out.decode().split("\0") if p]


def offending_lines(root: Path = ROOT) -> list[str]:
    """`path:line: text` for every tracked text line that points outside the repository."""
    found = []
    for rel in tracked_files(root):
        path = root / rel
        if not path.is_file():  # deleted in the worktree but still in the index
            continue
        data = path.read_bytes()
        if b"\0" in data:  # binary
            continue
        for no, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
            if OUTSIDE.search(line):
                found.append(f"{rel}:{no}: {line.strip()}")
    return found


def main() -> int:
    found = offending_lines()
    for hit in found:
        print(hit)
    if found:
        print(
            f"{len(found)} line(s) point outside the repository; state what is needed in the "
            "repository's own docs, or use a path relative to the package.",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

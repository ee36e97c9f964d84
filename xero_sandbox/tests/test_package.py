"""The sandbox is a package of its own: no module imports the app or the app's tests, so another
project can copy or install `xero_sandbox/` alone and use it as a local Xero."""

from __future__ import annotations

import ast
from pathlib import Path

import xero_sandbox

PACKAGE = Path(xero_sandbox.__file__).resolve().parent
FOREIGN = ("xeroflow_core", "tests", "app", "app_pages")


def _imported_modules(path: Path) -> list[str]:
    """Every absolute module name a file imports (relative imports stay inside the package)."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def test_no_module_imports_the_app_or_its_tests() -> None:
    offending = [
        f"{path.relative_to(PACKAGE)}: {name}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for name in _imported_modules(path)
        if name.split(".")[0] in FOREIGN
    ]
    assert offending == []


def test_the_command_line_is_the_package_itself() -> None:
    assert (PACKAGE / "__main__.py").is_file()
    assert (PACKAGE / "README.md").read_text().startswith("# xero_sandbox")

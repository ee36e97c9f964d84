"""Xero's OpenAPI files, kept inside the sandbox package so that any checkout can prove the
sandbox against them (no file outside the repository). Upstream, version and checksums: the
README.md beside this file.

Paths resolve from this package's own directory, so the loader keeps working wherever the
package lives.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

SPEC_DIR = Path(__file__).resolve().parent
# Short names for the documents the sandbox follows; a file name works too.
SPECS = {
    "accounting": "xero_accounting.yaml",
    "identity": "xero-identity.yaml",
    "webhooks": "xero-webhooks.yaml",
    "projects": "xero-projects.yaml",
}


def spec_path(name: str) -> Path:
    """The file of one spec, by short name ("accounting") or file name ("xero_accounting.yaml")."""
    filename = SPECS.get(name, name)
    if filename not in SPECS.values():
        raise KeyError(f"unknown Xero spec {name!r}; known: {', '.join(SPECS)}")
    return SPEC_DIR / filename


def load_spec(name: str) -> dict[str, Any]:
    """One parsed spec, by short name or file name, parsed once per process (the accounting
    file is about 1 MB of YAML).

    The dict is shared between callers, so copy it before changing it. YAML timestamps stay
    strings, as in the JSON the spec describes. PyYAML is imported only here, so the sandbox
    itself runs without it.
    """
    return _load(spec_path(name))


@cache
def _load(path: Path) -> dict[str, Any]:
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loader = type("_JsonishLoader", (base,), {})
    loader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in base.yaml_implicit_resolvers.items()
    }
    with path.open(encoding="utf-8") as fh:
        return yaml.load(fh, Loader=loader)

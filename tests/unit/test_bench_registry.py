"""Every benchmark module (one with a `main`) can be run by name from the CLI."""

from __future__ import annotations

from pathlib import Path

from xeroflow_core import bench


def test_every_benchmark_module_is_named() -> None:
    folder = Path(bench.__file__).parent
    with_main = {
        p.stem.replace("_", "-")
        for p in folder.glob("*.py")
        if p.stem != "__init__" and "\ndef main(" in p.read_text()
    }
    assert with_main == set(bench.available())

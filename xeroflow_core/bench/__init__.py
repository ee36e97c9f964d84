"""Benchmarks: `python -m xeroflow_core bench <name> [options]`.

Each benchmark is a module here with `main(argv) -> int` (e.g. `bench/profitability.py`); this
file only dispatches, so adding one never means editing another's code.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys


def available() -> list[str]:
    """Benchmark names as typed: a module push_chaos.py is `push-chaos`."""
    return sorted(
        m.name.replace("_", "-")
        for m in pkgutil.iter_modules(__path__)
        if not m.name.startswith("_")
    )


def main(argv: list[str]) -> int:
    names = available()
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in names:
        print("usage: python -m xeroflow_core bench <name> [options]\n\nbenchmarks:")
        for name in names:
            print(f"  {name}")
        return 0 if not argv or argv[0] in ("-h", "--help") else 2
    module = importlib.import_module(f"{__name__}.{argv[0].replace('-', '_')}")
    return int(module.main(argv[1:]) or 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

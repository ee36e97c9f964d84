"""Benchmarks: `python -m xeroflow_core bench <name> [options]`.

Each benchmark is a module here with `main(argv) -> int` (e.g. `bench/profitability.py`); this
file names them and dispatches. A benchmark imports its module when it runs (start-up time:
each loads the sandbox, the features it measures and their data builders).
"""

from __future__ import annotations

import sys
from collections.abc import Callable


def _sync(argv: list[str]) -> int:
    from xeroflow_core.bench.sync import main as run  # start-up time: see the module docstring

    return run(argv)


def _queue(argv: list[str]) -> int:
    from xeroflow_core.bench.queue import main as run  # start-up time: see the module docstring

    return run(argv)


def _profitability(argv: list[str]) -> int:
    from xeroflow_core.bench.profitability import main as run  # start-up time: see above

    return run(argv)


def _push_chaos(argv: list[str]) -> int:
    from xeroflow_core.bench.push_chaos import main as run  # start-up time: see above

    return run(argv)


BENCHMARKS: dict[str, Callable[[list[str]], int]] = {
    "profitability": _profitability,
    "push-chaos": _push_chaos,
    "queue": _queue,
    "sync": _sync,
}


def available() -> list[str]:
    """Benchmark names as typed: a module push_chaos.py is `push-chaos`."""
    return sorted(BENCHMARKS)


def main(argv: list[str]) -> int:
    """Run one benchmark by name, or list them."""
    names = available()
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in names:
        print("usage: python -m xeroflow_core bench <name> [options]\n\nbenchmarks:")
        for name in names:
            print(f"  {name}")
        return 0 if not argv or argv[0] in ("-h", "--help") else 2
    return int(BENCHMARKS[argv[0]](argv[1:]) or 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""A second process for the refresh race: N threads ask for a token at one wall-clock instant.

Run as `python -m tests.connect.refresher <database url> <sandbox url> <tenant> <threads> <t0>`;
prints one access token per line.
"""

from __future__ import annotations

import dataclasses
import sys
import threading
import time

from xeroflow_core.db import make_engine
from xeroflow_core.settings import load_settings
from xeroflow_core.xero.tokens import get_access_token


def main(argv: list[str]) -> int:
    db_url, sandbox_url, tenant, threads, t0 = argv
    settings = dataclasses.replace(
        load_settings(),
        xero_login_url=sandbox_url,
        xero_identity_url=sandbox_url,
        xero_api_url=sandbox_url,
    )
    engine = make_engine(db_url)
    results: list[str] = []

    def ask() -> None:
        while time.time() < float(t0):
            time.sleep(0.001)
        results.append(get_access_token(engine, settings, tenant))

    workers = [threading.Thread(target=ask) for _ in range(int(threads))]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    print("\n".join(results))
    return 0 if len(results) == int(threads) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

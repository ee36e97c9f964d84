"""The background worker: `python -m xeroflow_core worker` (APScheduler 3.x, one per process)."""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal

from apscheduler.schedulers.blocking import BlockingScheduler

from xeroflow_core.db import make_engine, migrate
from xeroflow_core.settings import get_settings

log = logging.getLogger("xeroflow.worker")


def main(argv: list[str]) -> int:
    argparse.ArgumentParser(prog="xeroflow_core worker").parse_args(argv)
    settings = get_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(name)s %(message)s")
    engine = make_engine(settings.database_url)
    migrate(engine)
    scheduler = BlockingScheduler(timezone="UTC")
    scheduler.add_job(lambda: log.debug("worker alive"), "interval", minutes=1, id="heartbeat")
    signal.signal(signal.SIGTERM, lambda *_: scheduler.shutdown(wait=False))
    log.info("worker started (nothing to sync yet)")
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()
    return 0

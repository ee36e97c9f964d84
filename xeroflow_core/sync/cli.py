"""`python -m xeroflow_core sync [--full] [--org NAME|TENANT_ID] [--resource NAME ...]`:
one sync in the foreground, with a progress bar and a summary table."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from xeroflow_core.db import make_engine, migrate
from xeroflow_core.settings import get_settings
from xeroflow_core.sync.engine import sync_tenant
from xeroflow_core.sync.lease import LeaseBusy
from xeroflow_core.sync.resources import RESOURCES
from xeroflow_core.xero.connections import active_tenants


class ProgressBar:
    """A one-line progress bar on stderr: resource, page x of y, rows so far."""

    def __init__(self, stream: Any = sys.stderr, width: int = 30) -> None:
        self.stream, self.width = stream, width
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.last = ""

    def __call__(self, p: dict[str, Any]) -> None:
        page, pages = p.get("page") or 1, p.get("pages")
        frac = min(1.0, page / pages) if pages else 0.0
        filled = int(frac * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        of = f"{page}/{pages}" if pages else f"{page}"
        line = f"{p['resource']:<18} [{bar}] page {of:<9} {p.get('rows', 0):>8} rows"
        if self.tty:
            self.stream.write("\r" + line)
        elif line != self.last:
            self.stream.write(line + "\n")
        self.stream.flush()
        self.last = line

    def done(self) -> None:
        if self.tty and self.last:
            self.stream.write("\n")


def _pick(engine: Any, org: str | None) -> list[tuple[str, str]]:
    conns = [(c.tenant_id, c.tenant_name) for c in active_tenants(engine)]
    if org is None:
        return conns
    wanted = org.strip().lower()
    return [(t, n) for t, n in conns if t.lower() == wanted or (n or "").lower() == wanted]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="xeroflow_core sync", description=__doc__)
    parser.add_argument("--full", action="store_true", help="re-read everything, ignoring cursors")
    parser.add_argument("--org", help="organisation name or tenant id (default: every chosen one)")
    parser.add_argument(
        "--resource",
        action="append",
        choices=[r.name for r in RESOURCES],
        help="only this resource (repeatable)",
    )
    args = parser.parse_args(argv)
    settings = get_settings()
    engine = make_engine(settings.database_url)
    migrate(engine)

    orgs = _pick(engine, args.org)
    if not orgs:
        print(
            "No organisation to sync"
            + (f" matches {args.org!r}" if args.org else "")
            + ". Connect Xero on the Connect page and choose organisations first.",
            file=sys.stderr,
        )
        return 2
    worst = 0
    for tenant_id, name in orgs:
        print(f"Syncing {name or tenant_id} ({tenant_id}){' in full' if args.full else ''}")
        bar = ProgressBar()
        try:
            result = sync_tenant(
                engine,
                settings,
                tenant_id,
                full=args.full,
                trigger="manual",
                resources=args.resource,
                progress=bar,
            )
        except LeaseBusy as exc:
            bar.done()
            print(f"  skipped: {exc}", file=sys.stderr)
            worst = max(worst, 1)
            continue
        bar.done()
        print(
            f"  {'resource':<18} {'status':<12} {'calls':>5} {'rows':>8} {'stored':>8} {'seconds':>8}"
        )
        for r in result.resources:
            print(
                f"  {r.name:<18} {r.status:<12} {r.calls:>5} {r.rows:>8} {r.stored:>8} "
                f"{r.seconds:>8.2f}"
            )
            if r.error:
                print(f"      {r.error.get('xero_message') or r.error.get('error')}")
                print(f"      what to do: {r.error.get('what_to_do')}")
        print(
            f"  run {result.run_id}: {result.status}, {result.calls} calls, {result.rows} rows, "
            f"{result.seconds:.1f} s"
        )
        if result.status not in ("ok",):
            worst = max(worst, 1)
    return worst

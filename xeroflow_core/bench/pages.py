"""`python -m xeroflow_core bench pages`: every page and interaction of a 1,000-client firm.

Builds the firm in its own temporary database (bench/firm.py: the large sandbox served in this
process and fully synced, then 1,000 clients with linked contacts, 289 cost mappings and a fee
for each), then times, server-side and without a browser, each page as a person opens it from
the menu (Streamlit's AppTest: one script run in a fresh session, caches emptied first) and each
interaction (a widget changed in a warm session: the rerun it causes), plus EOM generation for
1,000 clients. Prints the medians beside their targets and exits 1 when one is missed. Runs on
SQLite, and on PostgreSQL too when XEROFLOW_TEST_POSTGRES_URL is set (a fresh database there,
dropped at the end).

The timing runs in a child process that holds no sandbox: that process is the Streamlit side,
and its memory after every page in three sessions is printed against the 300 MB target.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
TARGETS = {"page": 1.0, "interaction": 0.5, "generate": 3.0, "profitability": 0.5}
MEMORY_TARGET_MB = 300
SESSIONS = 3  # "as three users": every page is opened in three fresh sessions


@dataclass
class Timing:
    kind: str  # page, interaction, generate, profitability
    what: str
    median: float
    runs: int

    @property
    def target(self) -> float:
        return TARGETS[self.kind]

    @property
    def ok(self) -> bool:
        return self.median < self.target


# --- the child: the Streamlit side -----------------------------------------------------------


def _median(samples: list[float]) -> float:
    return statistics.median(samples) if samples else float("nan")


def _rss_mb() -> tuple[float, float]:
    """(current, peak) resident memory of this process in MB, from /proc."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024
    return fields.get("VmRSS", 0.0), fields.get("VmHWM", 0.0)


def measure(url: str, client_id: int, month: str) -> dict[str, Any]:
    """Time every page and interaction against the firm at `url` (run in the child; imports
    here: the parent never loads Streamlit, so the child's memory is the Streamlit side's)."""
    # start-up time and memory: only the measuring child loads Streamlit and the pages
    from streamlit.testing.v1 import AppTest

    # the features measured, loaded in the child so its memory figure includes them
    from xeroflow_core.clients.queue import unmatched_queue
    from xeroflow_core.db import make_engine
    from xeroflow_core.eom.engine import generate
    from xeroflow_core.eom.review import list_drafts
    from xeroflow_core.profitability import view
    from xeroflow_core.settings import get_settings
    from xeroflow_core.signin import sign_in
    from xeroflow_core.ui import cache
    from xeroflow_core.users import DEMO_PASSWORD, Actor, ensure_demo_users

    engine = make_engine(url)
    ensure_demo_users(engine)
    settings = get_settings()
    token = sign_in(engine, settings, "admin", DEMO_PASSWORD, "bench").token
    admin = Actor("admin", "admin")
    out: list[Timing] = []

    def clear() -> None:
        view.clear_cache()
        cache.clear()

    def run(at: AppTest) -> float:
        t0 = time.perf_counter()
        at.run()
        took = time.perf_counter() - t0
        if at.exception:
            raise RuntimeError(f"{at.exception[0].message}\n{at.exception[0].stack_trace}")
        return took

    def app(path: str, query: dict[str, str] | None = None) -> AppTest:
        """A signed-in session on the home page, about to open `path` from the menu (through
        the router: pages link to each other by st.navigation, and it registers them)."""
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
        at.session_state["signin_token"] = token
        run(at)
        at.switch_page(path)
        for k, v in (query or {}).items():
            at.query_params[k] = v
        return at

    def page(
        what: str,
        path: str,
        query: dict[str, str] | None = None,
        state: dict[str, Any] | None = None,
        kind: str = "page",
    ) -> AppTest:
        """Opened from the menu: a fresh session, nothing cached (after a warm-up for imports)."""
        samples, at = [], None
        for i in range(SESSIONS + 1):
            clear()
            at = app(path, query)
            for k, v in (state or {}).items():
                at.session_state[k] = v
            took = run(at)
            if i:  # the first run imports the page's modules, as a server does once
                samples.append(took)
        out.append(Timing(kind, what, _median(samples), len(samples)))
        return at  # type: ignore[return-value]

    def interaction(
        what: str,
        path: str,
        change: Callable[[AppTest], Any],
        query: dict[str, str] | None = None,
        kind: str = "interaction",
        uncached: bool = False,
    ) -> None:
        """A widget changed in a session that has the page open: the rerun it causes."""
        samples = []
        for _ in range(SESSIONS):
            at = app(path, query)
            run(at)
            change(at)
            if uncached:
                clear()
            samples.append(run(at))
        out.append(Timing(kind, what, _median(samples), len(samples)))

    def timed(kind: str, what: str, fn: Callable[[], Any], before: Callable[[], Any]) -> None:
        samples = []
        for _ in range(SESSIONS):
            before()
            t0 = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - t0)
        out.append(Timing(kind, what, _median(samples), len(samples)))

    def drop_month() -> None:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "DELETE FROM eom_draft_line WHERE draft_id IN "
                    "(SELECT id FROM eom_draft WHERE month = :m)"
                ),
                {"m": date.fromisoformat(month + "-01")},
            )
            conn.execute(
                text("DELETE FROM eom_draft WHERE month = :m"),
                {"m": date.fromisoformat(month + "-01")},
            )

    timed("generate", "EOM Generate, 1,000 clients, first time", lambda: generate(engine, admin, month), drop_month)  # fmt: skip
    timed("generate", "EOM Generate again (drafts unchanged)", lambda: generate(engine, admin, month), lambda: None)  # fmt: skip

    page("Home", "app_pages/home.py")
    page("Unmatched Queue", "app_pages/unmatched_queue.py")
    page("Unmatched Queue: Ignored tab", "app_pages/unmatched_queue.py", state={"uq_tab": "Ignored"})  # fmt: skip
    page("Clients (list of 1,000)", "app_pages/clients.py")
    q = {"client": str(client_id)}
    for tab in ("Contacts", "Financials", "Cost mappings", "Billing", "Details"):
        page(f"Client with the most invoices: {tab}", "app_pages/clients.py", q, {"cl_tab": tab})
    page("Profitability (last month)", "app_pages/profitability.py")
    page("EOM Review, 1,000 drafts", "app_pages/eom_review.py")
    page("Sync Status", "app_pages/sync_status.py")
    page("Audit log", "app_pages/audit_log.py")

    interaction("Queue: search", "app_pages/unmatched_queue.py", lambda at: at.text_input(key="uq_search").input("ac"))  # fmt: skip
    interaction("Queue: order by largest total", "app_pages/unmatched_queue.py", lambda at: at.radio(key="uq_order").set_value("Largest total"))  # fmt: skip

    first_in_queue = unmatched_queue(engine)[0].key
    drafts = list_drafts(engine, admin, month)
    another_draft = drafts[len(drafts) // 2].id

    def choose_contact(at: AppTest) -> None:
        next(w for w in at.multiselect if str(w.key).startswith("uq_pick_")).set_value(
            [first_in_queue]
        )

    interaction("Queue: choose a contact (suggestions)", "app_pages/unmatched_queue.py", choose_contact)  # fmt: skip
    interaction("Clients: search", "app_pages/clients.py", lambda at: at.text_input(key="cl_search").input("client 09"))  # fmt: skip
    interaction("Client: switch to Cost mappings", "app_pages/clients.py", lambda at: at.session_state.__setitem__("cl_tab", "Cost mappings"), q)  # fmt: skip
    interaction("Profitability: switch to financial year", "app_pages/profitability.py", lambda at: at.radio(key="pf_kind").set_value("Financial year"), kind="profitability", uncached=True)  # fmt: skip

    def custom_36(at: AppTest) -> None:
        at.radio(key="pf_kind").set_value("Custom range")
        at.run()
        at.date_input(key="pf_range").set_value((date(2023, 11, 1), date(2026, 10, 31)))

    interaction("Profitability: custom 36 months, uncached", "app_pages/profitability.py", custom_36, kind="profitability", uncached=True)  # fmt: skip
    interaction("EOM Review: pick another draft", "app_pages/eom_review.py", lambda at: at.selectbox(key="eom_pick").set_value(another_draft))  # fmt: skip

    def choose_in_table(at: AppTest) -> None:
        next(r for r in at.radio if str(r.key).endswith("_mode")).set_value("choose")

    interaction("EOM Review: choose drafts in a table", "app_pages/eom_review.py", choose_in_table)  # fmt: skip
    rss, peak = _rss_mb()
    engine.dispose()
    return {"timings": [asdict(t) for t in out], "rss_mb": rss, "peak_mb": peak}


# --- the parent: build, run the child, report ----------------------------------------------------


def _fresh_postgres(url: str) -> tuple[str, Callable[[], None]]:
    """A new, empty database on the server of `url`, and how to drop it."""
    base = make_url(url)
    name = f"xf_bench_pages_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return base.set(database=name).render_as_string(hide_password=False), drop


def bench(url: str, args: argparse.Namespace) -> tuple[bool, str]:
    """Build the firm at `url`, time it in a child process; (all targets met, report)."""
    # start-up time: the firm's builders load only when the bench runs
    from xeroflow_core.bench.firm import add_clients, sync_large_sandbox
    from xeroflow_core.db import make_engine, migrate
    from xeroflow_core.eom.billing import previous_month
    from xeroflow_core.models.core import utc_today

    engine = make_engine(url)
    migrate(engine)
    firm = sync_large_sandbox(engine, args.invoices, args.contacts)
    firm = add_clients(engine, firm)
    engine.dispose()
    month = f"{previous_month(utc_today()):%Y-%m}"
    env = dict(os.environ, DATABASE_URL=url, PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "xeroflow_core.bench.pages", "--measure", url,
           "--client", str(firm.busiest_client), "--month", month]  # fmt: skip
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"the measuring process failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}")  # fmt: skip
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    timings = [Timing(**t) for t in result["timings"]]
    dialect = make_url(url).get_backend_name()
    lines = [
        f"bench pages on {dialect}: {firm.clients:,} clients ({firm.links:,} linked contacts, "
        f"{firm.mappings} cost mappings, {firm.billing_items:,} fees), "
        f"{firm.sizes.get('xero_invoice', 0):,} invoices, {firm.sizes.get('xero_contact', 0):,} "
        f"contacts; the busiest client has {firm.busiest_invoices} invoices; sync "
        f"{firm.sync_seconds:.0f} s; month {month}; medians of {SESSIONS} sessions, server time",
        f"{'':2}{'kind':<14}{'what':<50}{'median':>9}{'target':>9}",
    ]
    for t in timings:
        mark = "ok" if t.ok else "MISSED"
        lines.append(f"{'':2}{t.kind:<14}{t.what:<50}{t.median:>7.3f} s{t.target:>7.1f} s  {mark}")
    mem_ok = result["rss_mb"] < MEMORY_TARGET_MB
    lines.append(
        f"  Streamlit side: {result['rss_mb']:.0f} MB resident after every page in "
        f"{SESSIONS} sessions (peak {result['peak_mb']:.0f} MB), target {MEMORY_TARGET_MB} MB  "
        + ("ok" if mem_ok else "MISSED")
    )
    return all(t.ok for t in timings) and mem_ok, "\n".join(lines)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="xeroflow_core bench pages", description=__doc__)
    p.add_argument("--invoices", type=int, default=50_000)
    p.add_argument("--contacts", type=int, default=5_000)
    p.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL even when set")
    p.add_argument("--measure", metavar="URL", help=argparse.SUPPRESS)
    p.add_argument("--client", type=int, default=1, help=argparse.SUPPRESS)
    p.add_argument("--month", default="", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure, args.client, args.month)))
        return 0
    ok = True
    with tempfile.TemporaryDirectory(prefix="xf-bench-pages-") as tmp:
        passed, report = bench(f"sqlite:///{Path(tmp) / 'firm.db'}", args)
        print(report, flush=True)
        ok &= passed
    pg = os.environ.get("XEROFLOW_TEST_POSTGRES_URL")
    if pg and not args.sqlite_only:
        url, drop = _fresh_postgres(pg)
        try:
            passed, report = bench(url, args)
            print(report, flush=True)
            ok &= passed
        finally:
            drop()
    print("all targets met" if ok else "some targets MISSED (the machine may be shared: rerun)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

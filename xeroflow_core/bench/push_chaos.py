"""`python -m xeroflow_core bench push-chaos [--seconds 60] [--pushers 4] [--database-url URL]`

A randomised soak of the EOM push outbox, bounded in time, against the sandbox over real HTTP.
Round after round (one month each), the month's drafts are approved; faults are armed on
/Invoices (429s, 500/503s, answers lost after Xero created the invoice, dropped connections,
answers slower than the pushers' timeout, truncated bodies); several pusher processes push the
month at once with a short takeover limit, so silent claims are taken over; a person edits and
re-approves drafts meanwhile; pushers are killed with SIGKILL, or stopped with SIGSTOP for longer
than the takeover limit and then let go on (a stalled process whose claim was taken over), and
new ones are started; the sandbox replays an Idempotency-Key for a few seconds only (so a PUT
repeated late would create a second invoice). Then the
survivors are stopped, the faults cleared, and one last push finishes the month. The invariant,
checked against the sandbox's own records: exactly one invoice per draft reference, and
XeroFlow's invoice id, number, status and total equal Xero's. Prints the counts; exits 1 on any
violation.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine
from sqlmodel import select

from xero_sandbox.access import KEY_HEADER
from xero_sandbox.app import SandboxConfig
from xero_sandbox.server import serve_in_thread
from xeroflow_core.actor import SYSTEM, Actor
from xeroflow_core.bench.push_chaos_pusher import pusher_main
from xeroflow_core.bench.sync import _settings, connect
from xeroflow_core.clients import create_client
from xeroflow_core.db import make_engine, migrate, session_scope
from xeroflow_core.eom import billing_data, review
from xeroflow_core.eom.engine import generate
from xeroflow_core.eom.push import push_month
from xeroflow_core.models import Contact, Organisation
from xeroflow_core.models.eom import EomDraft
from xeroflow_core.sync.engine import sync_tenant

AGENCY = "Demo Agency Ltd"
BENCH = Actor("bench", "admin")
FIRST_MONTH = date(2026, 10, 1)


@dataclass
class Tally:
    rounds: int = 0
    drafts: int = 0
    started: int = 0
    killed: int = 0
    paused: int = 0
    cut_off: int = 0  # still running when the round ended
    crashed: list[str] = field(default_factory=list)
    outcomes: Counter = field(default_factory=Counter)  # pushed, adopted, lost, held, ...
    edits: Counter = field(default_factory=Counter)  # applied, refused
    armed: Counter = field(default_factory=Counter)
    violations: list[str] = field(default_factory=list)


def _month(n: int) -> date:
    y, m = divmod(FIRST_MONTH.year * 12 + FIRST_MONTH.month - 1 - n, 12)
    return date(y, m + 1, 1)


def setup(
    engine: Engine, settings: Any, http: httpx.Client, clients: int, rng: random.Random
) -> str:
    """Connect the sandbox as an admin would, sync its ledger and contacts, and give `clients`
    customers a retainer each; returns the tenant id."""
    tenant = connect(engine, settings, http)[AGENCY]
    sync_tenant(engine, settings, tenant, full=True, http=http,
                resources=("Organisation", "Accounts", "TaxRates", "Contacts"))  # fmt: skip
    with session_scope(engine) as s:
        base = s.get(Organisation, tenant).base_currency
        customers = [c.contact_id for c in s.exec(
            select(Contact).where(Contact.tenant_id == tenant, Contact.status == "ACTIVE",
                                  Contact.is_customer).order_by(Contact.name)  # type: ignore[arg-type]
        ) if c.default_currency in ("", base) and not c.merged_to_contact_id][:clients]  # fmt: skip
    run = f"{rng.getrandbits(24):06x}"
    for n, contact in enumerate(customers):
        c = create_client(engine, BENCH, f"Chaos {run} {n + 1}", contacts=[(tenant, contact)])
        billing_data.add_item(
            engine, BENCH, int(c.id or 0), kind="retainer", description="Retainer {month} {year}",
            unit_amount=str(Decimal(rng.randrange(5_000, 500_000)) / 100),
            account_code="200", tax_type="OUTPUT2",
        )  # fmt: skip
    return tenant


FAULTS = (
    {"kind": "rate_limit", "problem": "minute", "retry_after": 2},
    {"kind": "rate_limit", "problem": "minute", "retry_after": 1, "storm": True},
    {"kind": "status", "status": 500},
    {"kind": "status", "status": 503},
    {"kind": "lose_answer", "method": "PUT"},
    {"kind": "drop"},
    {"kind": "slow", "seconds": 2.5},
    {"kind": "malformed", "method": "PUT"},
)


def arm(sb: Any, rng: random.Random, tally: Tally) -> None:
    """Three to six faults on /Invoices, each firing 1-3 times after 0-4 matching calls."""
    for _ in range(rng.randint(3, 6)):
        spec = dict(rng.choice(FAULTS), path="/Invoices", count=rng.randint(1, 3))
        if spec.pop("storm", False):  # more 429s in a row than a pusher waits out
            spec["count"] = 8
        sb.faults.arm(spec | {"after": rng.randint(0, 4)})
        tally.armed[spec["kind"]] += spec["count"]


def _spawn(args: argparse.Namespace, month: date, env: dict, logs: Path, n: int) -> Any:
    cmd = [sys.executable, "-m", "xeroflow_core.bench.push_chaos", "--pusher", f"{month:%Y-%m}",
           str(args.stale_after), str(args.timeout)]  # fmt: skip
    log = logs / f"pusher-{n}.log"
    with log.open("w") as err:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=err, text=True)
    proc.log = log  # type: ignore[attr-defined]
    return proc


def _editor(engine: Engine, month: date, stop: threading.Event, rng: random.Random, tally: Tally):  # noqa: ANN202
    """A person editing a draft's line and approving it again, while the pushers push."""
    while not stop.wait(rng.uniform(0.1, 0.6)):
        d = rng.choice(review.list_drafts(engine, BENCH, month))
        ln = d.lines[0]
        row = {"id": ln.id, "description": ln.description, "quantity": str(ln.quantity),
               "unit_amount": str(ln.unit_amount + rng.randint(1, 99)),
               "account_code": ln.account_code, "tax_type": ln.tax_type}  # fmt: skip
        try:
            review.update_lines(engine, BENCH, d.id, [row])
        except review.ReviewError:
            tally.edits["refused"] += 1
            continue
        tally.edits["applied"] += 1
        review.approve(engine, BENCH, [d.id])


def one_round(ctx: dict, month: date, deadline: float, rng: random.Random, tally: Tally) -> None:
    engine, sb, args = ctx["engine"], ctx["sb"], ctx["args"]
    generate(engine, BENCH, month)
    drafts = review.list_drafts(engine, BENCH, month)
    review.approve(engine, BENCH, [d.id for d in drafts])
    tally.rounds, tally.drafts = tally.rounds + 1, tally.drafts + len(drafts)
    arm(sb, rng, tally)
    stop = threading.Event()
    editor = threading.Thread(target=_editor, args=(engine, month, stop, rng, tally), daemon=True)
    editor.start()
    procs: list[Any] = []
    paused: dict[Any, float] = {}  # SIGSTOPped pusher -> when it gets SIGCONT
    while time.monotonic() < deadline:
        for p, until in list(paused.items()):
            if time.monotonic() >= until:
                _signal(p, signal.SIGCONT)
                del paused[p]
        procs = [p for p in procs if p in paused or _reaped(p, tally)]
        if not _open(engine, month):
            if not procs:
                break
        elif len(procs) < args.pushers and (not procs or rng.random() < 0.5):
            procs.append(_spawn(args, month, ctx["env"], ctx["logs"], tally.started))
            tally.started += 1
        running = [p for p in procs if p not in paused and p.poll() is None]
        if running and rng.random() < args.pause_rate:  # a stall: its claim falls silent
            holders = _holders(engine, month)
            victim = rng.choice([p for p in running if p.pid in holders] or running)
            _signal(victim, signal.SIGSTOP)
            # longer than the takeover limit, shorter than it plus Xero's replay window: a stall
            # longer still, right between a heartbeat and its PUT, makes a second invoice
            # whatever a client does (Xero has no conditional create)
            paused[victim] = time.monotonic() + rng.uniform(1.0, 4.0) * args.stale_after
            tally.paused += 1
        elif running and rng.random() < args.kill_rate:
            victim = rng.choice(running)
            time.sleep(rng.uniform(0.0, 1.0))
            if victim.poll() is None:
                victim.kill()
                victim.wait()
                tally.killed += 1
        time.sleep(0.2)
    for p in paused:
        _signal(p, signal.SIGCONT)
    stop.set()
    editor.join()
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()
            tally.cut_off += 1
        else:
            _reaped(p, tally)
    settle(ctx, month, tally)


def _holders(engine: Engine, month: date) -> set[int]:
    """The process ids of the pushers holding a claim on the month's drafts right now."""
    with session_scope(engine) as s:
        owners = s.exec(select(EomDraft.claim_owner).where(
            EomDraft.month == month, EomDraft.state == "pushing")).all()  # fmt: skip
    return {int(o.split(":")[1].split()[0]) for o in owners if o.count(":") >= 1}


def _signal(p: Any, sig: int) -> None:
    if p.poll() is None:
        p.send_signal(sig)


def _reaped(p: Any, tally: Tally) -> bool:
    """Still running: True. Ended: its outcomes are counted and it is dropped."""
    if p.poll() is None:
        return True
    out = p.stdout.read() if p.stdout else ""
    if p.returncode == 0 and out.strip():
        for k, v in json.loads(out.strip().splitlines()[-1]).items():
            tally.outcomes[k] += v
    elif p.returncode > 0:
        tally.crashed.append(f"pusher exited {p.returncode}: {p.log.read_text()[-400:]}")
    return False


def _open(engine: Engine, month: date) -> int:
    with session_scope(engine) as s:
        return len(s.exec(select(EomDraft.id).where(
            EomDraft.month == month, EomDraft.state.in_(("approved", "pushing", "generated"))  # type: ignore[attr-defined]
        )).all())  # fmt: skip


def settle(ctx: dict, month: date, tally: Tally) -> None:
    """No pusher left and no fault armed: approve what an edit left, push until done (taking
    over what killed pushers held), then compare every draft with the sandbox."""
    engine, sb = ctx["engine"], ctx["sb"]
    ctx["fired"].update(f["kind"] for f in sb.faults.fired)
    sb.faults.clear()
    for _ in range(5):
        drafts = review.list_drafts(engine, BENCH, month)
        review.approve(engine, BENCH, [d.id for d in drafts if d.state == "generated"])
        if not _open(engine, month):
            break
        r = push_month(engine, ctx["settings"], SYSTEM, month, stale_after=timedelta(0),
                       backoff=lambda n: 0.1)  # fmt: skip
        tally.outcomes["settled"] += len(r.pushed) + len(r.adopted)
    check(ctx, month, tally)


def check(ctx: dict, month: date, tally: Tally) -> None:
    rows = ctx["http"].get(f"/_sandbox/state/{ctx['tenant']}/invoices").json()
    by_ref: dict[str, list[dict]] = {}
    for r in rows:
        by_ref.setdefault(r["reference"], []).append(r)
    for d in review.list_drafts(ctx["engine"], BENCH, month):
        found = by_ref.get(d.reference, [])
        ctx["invoices"] += len(found)
        if len(found) != 1:
            tally.violations.append(f"{d.reference}: {len(found)} invoices in Xero")
            continue
        x = found[0]
        ours = (d.state, d.xero_invoice_id, d.xero_invoice_number, d.xero_status, d.total)
        theirs = ("pushed", x["id"], x["number"], x["status"], Decimal(x["total"]))
        if ours != theirs:
            tally.violations.append(f"{d.reference}: XeroFlow {ours} != Xero {theirs}")


def run(args: argparse.Namespace) -> tuple[Tally, dict]:
    rng = random.Random(args.seed)
    tally, started = Tally(), time.monotonic()
    with tempfile.TemporaryDirectory(prefix="push-chaos-") as tmp:
        db_url = args.database_url or f"sqlite:///{Path(tmp) / 'chaos.db'}"
        config = SandboxConfig(
            seed=args.seed, rate_limits=False, idempotency_window_s=args.idempotency_window,
            test_controls=True,  # the check reads the sandbox's records, under this run's key
        )  # fmt: skip
        with (
            serve_in_thread(config) as url,
            httpx.Client(
                base_url=url, timeout=60, headers={KEY_HEADER: config.control_key}
            ) as http,
            httpx.Client(timeout=60) as plain,
        ):
            sb = serve_in_thread.last_app.state.sandbox  # type: ignore[attr-defined]
            # the drop and slow faults make uvicorn log the broken exchanges they are made of;
            # takeovers by the last push are counted, not logged one by one
            logging.getLogger("uvicorn.error").setLevel(logging.CRITICAL)
            logging.getLogger("xeroflow.eom").setLevel(logging.ERROR)
            settings = _settings(url, db_url)
            engine = make_engine(db_url)
            migrate(engine)
            tenant = setup(engine, settings, plain, args.drafts, rng)
            sb.access_log.clear()
            env = {**os.environ, "DATABASE_URL": db_url, "XEROFLOW_SANDBOX_URL": url}
            ctx = {"engine": engine, "sb": sb, "args": args, "env": env, "logs": Path(tmp),
                   "settings": settings, "http": http, "tenant": tenant, "invoices": 0,
                   "fired": Counter()}  # fmt: skip
            end = started + args.seconds
            n = 0
            while n == 0 or time.monotonic() < end - args.round_seconds / 2:
                one_round(ctx, _month(n), min(end, time.monotonic() + args.round_seconds), rng,
                          tally)  # fmt: skip
                n += 1
            calls = Counter((e["method"], "where" in e["query"]) for e in list(sb.access_log)
                            if e["path"].endswith("/Invoices"))  # fmt: skip
            extra = {
                "database": engine.dialect.name, "elapsed_s": round(time.monotonic() - started, 1),
                "fired": ctx["fired"], "invoices": ctx["invoices"],
                "puts": calls[("PUT", False)], "lookups": calls[("GET", True)],
            }  # fmt: skip
            engine.dispose()
    return tally, extra


def report(args: argparse.Namespace, t: Tally, x: dict) -> str:
    fired = sum(x["fired"].values())
    o = t.outcomes
    return "\n".join([
        f"push-chaos: {x['elapsed_s']} s on {x['database']}, up to {args.pushers} pushers at once, "
        f"takeover after {args.stale_after} s of silence, pusher timeout {args.timeout} s, "
        f"the sandbox replays an Idempotency-Key for {args.idempotency_window} s",
        f"rounds {t.rounds} · drafts {t.drafts} · pusher processes {t.started}, "
        f"killed (SIGKILL) {t.killed}, stalled past the takeover limit (SIGSTOP) {t.paused}, "
        f"cut off at the round's end {t.cut_off}, crashed {len(t.crashed)}",
        f"outcomes reported by the pushers that were not killed: pushed {o['pushed']}, adopted after a look-up {o['adopted']}, "
        f"took over a silent claim {o['took_over']}, lost their claim and wrote nothing "
        f"{o['lost']}, saw a draft held by another {o['held']}, left waiting {o['waiting']}; "
        f"finished by the last push {o['settled']}",
        f"edits while pushing: applied and re-approved {t.edits['applied']}, "
        f"refused {t.edits['refused']}",
        f"faults armed {sum(t.armed.values())} ({_kinds(t.armed)}), fired {fired} "
        f"({_kinds(x['fired'])})",
        f"Xero: {x['puts']} PUTs, {x['lookups']} look-ups by reference, {x['invoices']} invoices "
        f"for {t.drafts} references",
        "invariant (one invoice per reference; id, number, status, total == Xero's): "
        + ("OK" if not t.violations else f"{len(t.violations)} VIOLATIONS"),
        *[f"  {v}" for v in t.violations[:50]],
        *[f"  {c}" for c in t.crashed[:10]],
    ])  # fmt: skip


def _kinds(c: Counter) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(c.items())) or "none"


def main(argv: list[str]) -> int:
    if argv[:1] == ["--pusher"]:
        return pusher_main(argv[1:])
    parser = argparse.ArgumentParser(prog="xeroflow_core bench push-chaos", description=__doc__)
    parser.add_argument("--seconds", type=float, default=60, help="time budget (default 60)")
    parser.add_argument("--round-seconds", type=float, default=12, help="one month's chaos")
    parser.add_argument("--pushers", type=int, default=4, help="pusher processes at once")
    parser.add_argument("--drafts", type=int, default=6, help="clients, i.e. drafts per month")
    parser.add_argument("--stale-after", type=float, default=1.0, help="takeover limit, s")
    parser.add_argument("--timeout", type=float, default=1.5, help="pushers' HTTP timeout, s")
    parser.add_argument("--kill-rate", type=float, default=0.1, help="SIGKILL chance per tick")
    parser.add_argument("--pause-rate", type=float, default=0.1, help="SIGSTOP chance per tick")
    parser.add_argument(
        "--idempotency-window", type=int, default=5,
        help="how long the sandbox replays a key, s (Xero: minutes; short here, so that a PUT "
        "repeated late creates a second invoice unless XeroFlow looked first)",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default=os.environ.get("XEROFLOW_BENCH_DATABASE_URL"),
                        help="an empty database (default: a temporary SQLite file)")  # fmt: skip
    args = parser.parse_args(argv)
    tally, extra = run(args)
    print(report(args, tally, extra))
    return 1 if tally.violations else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

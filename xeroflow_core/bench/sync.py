"""`python -m xeroflow_core bench sync --invoices 50000 --contacts 5000 [--json]`

Measures an initial sync against the sandbox served on loopback by a separate process (rate
limits off, so the figure is our own cost), then a quiet incremental run, then the floor: the
same pages fetched with plain httpx and inserted into the same tables of a fresh database with
SQLAlchemy Core executemany, nothing else. Prints one JSON object (or a table).

`--paced` instead runs the initial sync with Xero's real limits on, against a sandbox in this
process whose clock is frozen and moved only by the governor's sleeps (a scaled clock): it
reports the calls, the sandbox minutes the sync took, the highest number of calls started in any
60 s window, and the 429s received (target: none).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import deque
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
from sqlalchemy import Engine, insert
from sqlmodel import Session, SQLModel, select

from xero_sandbox.app import SandboxConfig, create_app
from xero_sandbox.server import free_port, serve_app_in_thread
from xeroflow_core.actor import Actor
from xeroflow_core.db import make_engine, migrate
from xeroflow_core.models import XeroConnection
from xeroflow_core.settings import Settings, load_settings
from xeroflow_core.sync.engine import sync_tenant
from xeroflow_core.sync.jobs import request_initial_sync
from xeroflow_core.sync.resources import PAGE_SIZE, RESOURCES
from xeroflow_core.xero import parse
from xeroflow_core.xero.client import ClientOptions, Governor
from xeroflow_core.xero.oauth import choose_organisations, handle_callback, start_authorization
from xeroflow_core.xero.tokens import get_access_token

AGENCY = "Demo Agency Ltd"


def _settings(url: str, database_url: str) -> Settings:
    return dataclasses.replace(
        load_settings(),
        database_url=database_url,
        xero_login_url=url,
        xero_identity_url=url,
        xero_api_url=url,
        xero_redirect_uri="http://localhost:8501/connect",
    )


def connect(engine: Engine, settings: Settings, http: httpx.Client) -> dict[str, str]:
    """Consent to every sandbox organisation over HTTP (as a person would); name -> tenant."""
    actor = Actor("bench", "admin")
    url = start_authorization(engine, settings, actor)
    page = http.get(url).text
    action = re.search(r'<form[^>]*action="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    form: dict[str, Any] = {
        unescape(n): unescape(v)
        for n, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)
    }
    form["tenant"] = re.findall(r'name="tenant" value="([^"]+)"', page)
    form["action"] = "allow"
    resp = http.post(urljoin(url, action), data=form, follow_redirects=False)
    query = {k: v[0] for k, v in parse_qs(urlsplit(resp.headers["location"]).query).items()}
    result = handle_callback(
        engine, settings, actor, query, http=http, on_new_organisations=request_initial_sync
    )
    if not result.ok:
        raise RuntimeError(result.message)
    request_initial_sync(engine, actor, choose_organisations(engine, actor, result.tenant_ids))

    with Session(engine) as s:
        return {c.tenant_name: c.tenant_id for c in s.exec(select(XeroConnection))}


def _serve(args: argparse.Namespace) -> tuple[subprocess.Popen, str]:
    port = free_port()
    cmd = [
        sys.executable, "-m", "xero_sandbox", "--port", str(port), "--size", "large",
        "--invoices", str(args.invoices), "--contacts", str(args.contacts), "--no-rate-limits",
        "--seed", str(args.seed),
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the sandbox exited before serving")
        try:
            if httpx.get(url + "/", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.5)
    raise RuntimeError("the sandbox did not start in 10 minutes")


def minimal_calls(counts: dict[str, int]) -> int:
    """The least Xero allows: one call per unpaged resource, ceil(n/1000) (at least 1) per paged."""
    return sum(max(1, math.ceil(counts.get(r.name, 0) / 1000)) if r.paged else 1 for r in RESOURCES)


def floor(
    engine: Engine, settings: Settings, tenant_id: str, http: httpx.Client, store: bool = True
) -> float:
    """The same pages, plain httpx + json(Decimal) + Core executemany insert into the same
    tables (emptied of this tenant first): nothing else. `store=False` only fetches (warm-up)."""
    token = get_access_token(engine, settings, tenant_id, http=http)
    headers = {"Authorization": f"Bearer {token}", "xero-tenant-id": tenant_id,
               "Accept": "application/json"}  # fmt: skip

    target = engine
    mappers = {
        "Organisation": (parse.organisation, "xero_organisation", None),
        "Accounts": (parse.account, "xero_account", None),
        "TaxRates": (parse.tax_rate, "xero_tax_rate", None),
        "Contacts": (parse.contact, "xero_contact", None),
        "Invoices": (parse.invoice, "xero_invoice", ("invoice", "InvoiceID")),
        "CreditNotes": (parse.credit_note, "xero_credit_note", ("credit_note", "CreditNoteID")),
        "Receipts": (parse.receipt, "xero_receipt", ("receipt", "ReceiptID")),
        "ExpenseClaims": (parse.expense_claim, "xero_expense_claim", None),
    }
    tables = SQLModel.metadata.tables
    if store:
        with target.begin() as conn:
            for name in [*(m[1] for m in mappers.values()), "document_line",
                         "xero_tracking_category", "xero_tracking_option"]:  # fmt: skip
                t = tables[name]
                conn.execute(t.delete().where(t.c.tenant_id == tenant_id))
    t0 = time.perf_counter()
    for res in RESOURCES:
        page = 1
        while True:
            params = dict(res.params)
            if res.paged:
                params.update(page=str(page), pageSize=str(PAGE_SIZE), order="UpdatedDateUTC ASC")
            r = http.get(f"{settings.accounting_url}/{res.path}", params=params, headers=headers)
            if r.status_code != 200:
                break
            body = json.loads(r.content, parse_float=parse.Decimal)
            items = body.get(res.collection) or []
            if store:
                with target.begin() as conn:
                    _floor_store(conn, tables, mappers, res.name, tenant_id, items)
            pages = (body.get("pagination") or {}).get("pageCount")
            if not res.paged or len(items) < PAGE_SIZE or (pages and page >= pages):
                break
            page += 1
    seconds = time.perf_counter() - t0
    target.dispose()
    return seconds


def _floor_store(
    conn: Any, tables: Any, mappers: dict, name: str, tenant_id: str, items: list
) -> None:
    if name == "TrackingCategories":
        for c in items:
            cat, opts = parse.tracking(tenant_id, c)
            conn.execute(insert(tables["xero_tracking_category"]), [cat])
            if opts:
                conn.execute(insert(tables["xero_tracking_option"]), opts)
        return
    to_row, table, lines = mappers[name]
    rows = [to_row(tenant_id, it) for it in items]
    if rows:
        conn.execute(insert(tables[table]), rows)
    if lines:
        kind, key = lines
        line_rows = [
            ln
            for it in items
            for ln in parse.lines(tenant_id, kind, it[key].lower(), it.get("LineItems") or [])
        ]
        if line_rows:
            conn.execute(insert(tables["document_line"]), line_rows)


def _clear(engine: Engine, tenant_id: str) -> None:
    """Remove the tenant's synced rows and sync state (the floor leaves its rows behind)."""
    names = ["document_line", "xero_organisation", "xero_account", "xero_tax_rate",
             "xero_tracking_category", "xero_tracking_option", "xero_contact", "xero_invoice",
             "xero_credit_note", "xero_receipt", "xero_expense_claim", "sync_resource_state"]  # fmt: skip
    with engine.begin() as conn:
        for name in names:
            t = SQLModel.metadata.tables[name]
            conn.execute(t.delete().where(t.c.tenant_id == tenant_id))


def run(args: argparse.Namespace) -> dict[str, Any]:
    # Our own cost: the sandbox's limits are off and so is our 60-a-minute pacing (which would
    # otherwise make any sync above 60 calls last a minute; see --paced for that).
    unpaced = ClientOptions(governor=Governor(minute_limit=1_000_000))

    proc, url = _serve(args)
    try:
        workdir = Path(tempfile.mkdtemp(prefix="xf-bench-"))
        database_url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
        settings = _settings(url, database_url)
        engine = make_engine(database_url)
        migrate(engine)
        with httpx.Client(timeout=120, transport=httpx.HTTPTransport(retries=0)) as http:
            tenants = connect(engine, settings, http)
            tenant = tenants[AGENCY]
            # Warm the sandbox's per-record JSON cache so no measurement pays for it.
            warm = floor(engine, settings, tenant, http, store=False)
            # The floor runs before and after ours (the mean is used), so neither side is
            # always the one writing into cold tables; each starts with the tenant's rows gone.
            floor_before = floor(engine, settings, tenant, http)
            _clear(engine, tenant)
            t0 = time.perf_counter()
            first = sync_tenant(
                engine, settings, tenant, full=True, trigger="initial", http=http, options=unpaced
            )
            seconds = time.perf_counter() - t0
            quiet = sync_tenant(
                engine, settings, tenant, trigger="scheduled", http=http, options=unpaced
            )
            floor_after = floor(engine, settings, tenant, http)
        floor_s = (floor_before + floor_after) / 2
        counts = {r.name: r.stored for r in first.resources}
        out = {
            "invoices": counts.get("Invoices", 0),
            "contacts": counts.get("Contacts", 0),
            "status": first.status,
            "api_calls": first.calls,
            "minimal_api_calls": minimal_calls(counts),
            "incremental_quiet_calls": quiet.calls,
            "polled_resources": len(quiet.resources),
            "seconds": round(seconds, 2),
            "records_per_s": round(first.rows / seconds, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "floor_seconds": round(floor_s, 2),
            "floor_runs_seconds": [round(floor_before, 2), round(floor_after, 2)],
            "fetch_only_seconds": round(warm, 2),
            "ratio_to_floor": round(seconds / floor_s, 2),
            "database": "postgresql" if database_url.startswith("postgresql") else "sqlite",
        }
        engine.dispose()
        return out
    finally:
        proc.terminate()
        proc.wait(30)


class PacingProbe:
    """Watches API calls on the sandbox's own clock: when each was sent, how it was answered.
    Its governor sleeps by moving that clock, so minute windows pass without real waiting."""

    def __init__(self, sandbox) -> None:  # noqa: ANN001 - the sandbox's live state

        self.stamps: list[float] = []
        self.statuses: list[int] = []
        clock = sandbox.clock
        self.governor = Governor(clock=lambda: clock.now().timestamp(), sleep=clock.advance)

        def on_request(request: httpx.Request) -> None:
            if "/api.xro/" in request.url.path:
                self.stamps.append(clock.now().timestamp())

        def on_response(response: httpx.Response) -> None:
            if "/api.xro/" in response.request.url.path:
                self.statuses.append(response.status_code)

        self.hooks = {"request": [on_request], "response": [on_response]}

    def busiest_minute(self) -> int:
        """The most calls sent in any rolling 60 seconds."""
        window: deque[float] = deque()
        busiest = 0
        for t in self.stamps:
            window.append(t)
            while window[0] <= t - 60:
                window.popleft()
            busiest = max(busiest, len(window))
        return busiest


def paced(args: argparse.Namespace) -> dict[str, Any]:
    """Real limits, scaled clock: the governor's sleeps move the sandbox's frozen clock."""

    app = create_app(
        SandboxConfig(
            seed=args.seed, size="large", invoices=args.invoices, contacts=args.contacts,
            frozen_clock=True, rate_limits=True,
        )
    )  # fmt: skip
    sb = app.state.sandbox
    probe = PacingProbe(sb)
    workdir = Path(tempfile.mkdtemp(prefix="xf-paced-"))
    runs = []
    with serve_app_in_thread(app) as url:
        settings = _settings(url, f"sqlite:///{workdir / 'paced.db'}")
        engine = make_engine(settings.database_url)
        migrate(engine)
        with httpx.Client(timeout=120, event_hooks=probe.hooks) as http:
            tenant = connect(engine, settings, http)[AGENCY]
            probe.stamps.clear()
            probe.statuses.clear()
            t0 = sb.clock.now()
            for _ in range(args.runs):
                res = sync_tenant(
                    engine, settings, tenant, full=True, http=http,
                    options=ClientOptions(governor=probe.governor),
                )  # fmt: skip
                runs.append(res.calls)
            elapsed = (sb.clock.now() - t0).total_seconds()
    return {
        "invoices": args.invoices,
        "runs": args.runs,
        "calls_per_run": runs,
        "api_calls": sum(runs),
        "sandbox_minutes": round(elapsed / 60, 2),
        "max_calls_in_any_60s": probe.busiest_minute(),
        "governor_waited_s": round(probe.governor.waited_s, 1),
        "rate_limited_429s": probe.statuses.count(429),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="xeroflow_core bench sync", description=__doc__)
    parser.add_argument("--invoices", type=int, default=50_000)
    parser.add_argument("--contacts", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--database-url", default=os.environ.get("XEROFLOW_BENCH_DATABASE_URL"))
    parser.add_argument("--paced", action="store_true", help="real limits on a scaled clock")
    parser.add_argument("--runs", type=int, default=1, help="--paced: full syncs back to back")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    out = paced(args) if args.paced else run(args)
    if args.json:
        print(json.dumps(out))
    else:
        for k, v in out.items():
            print(f"{k:<24} {v}")
    return 0

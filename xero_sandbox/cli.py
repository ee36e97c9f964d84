"""`python -m xero_sandbox ...`: serve the local Xero over HTTP on a loopback port."""

from __future__ import annotations

import argparse
import os
import threading
from datetime import date

from .config import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, SandboxConfig, new_control_key

KEY_ENV = "XERO_SANDBOX_KEY"  # the control key, kept out of the process list


def build_parser() -> argparse.ArgumentParser:
    """The command line's flags, one per `SandboxConfig` field a person would set."""
    p = argparse.ArgumentParser(
        prog="python -m xero_sandbox",
        description="Serve the local Xero sandbox (identity, /connections, Accounting API).",
    )
    p.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--size", choices=["demo", "small", "large"], default="demo")
    p.add_argument(
        "--invoices", type=int, default=None, help="total invoices+bills in the main org"
    )
    p.add_argument("--contacts", type=int, default=None, help="contacts in the main org")
    p.add_argument("--no-rate-limits", action="store_true")
    p.add_argument("--day-limit", type=int, default=5000)
    p.add_argument(
        "--as-of", type=date.fromisoformat, default=None, help="the sandbox's today (YYYY-MM-DD)"
    )
    p.add_argument(
        "--test-controls",
        action="store_true",
        help="mount /_sandbox/... (test controls and the console), behind the control key",
    )
    p.add_argument(
        "--control-key",
        default=None,
        help=f"the key /_sandbox/... asks for (default: ${KEY_ENV}, else a new one, printed)",
    )
    p.add_argument(
        "--granular-only",
        action="store_true",
        help="refuse broad scopes (app created after Mar 2026)",
    )
    p.add_argument(
        "--state-file", default=None, help="persist data and tokens here across restarts"
    )
    return p


def config_from_args(args: argparse.Namespace) -> SandboxConfig:
    """The config the flags ask for; the control key from the flag, else the environment, else new."""
    return SandboxConfig(
        seed=args.seed,
        size=args.size,
        invoices=args.invoices,
        contacts=args.contacts,
        as_of=args.as_of,
        rate_limits=not args.no_rate_limits,
        day_limit=args.day_limit,
        test_controls=args.test_controls,
        control_key=args.control_key or os.environ.get(KEY_ENV) or new_control_key(),
        granular_only=args.granular_only,
        state_file=args.state_file,
    )


def main(argv: list[str] | None = None) -> int:
    """Run the sandbox until interrupted; with --state-file, save on exit and every minute."""
    import uvicorn

    from .app import create_app

    args = build_parser().parse_args(argv)
    config = config_from_args(args)
    app = create_app(config)
    sb = app.state.sandbox
    print(
        f"Xero sandbox on http://{args.host}:{args.port}  client_id={DEMO_CLIENT_ID} client_secret={DEMO_CLIENT_SECRET}",
        flush=True,
    )
    if config.test_controls:
        given = args.control_key or os.environ.get(KEY_ENV)
        shown = "(the key you gave)" if given else config.control_key
        print(f"  test controls and console: header X-Sandbox-Key {shown}", flush=True)
        print(f"  console: http://{args.host}:{args.port}/_sandbox/console", flush=True)
    for org in sb.orgs.values():
        print(
            f"  {org.name} ({org.base_currency}) tenant {org.tenant_id}: {len(org.contacts)} contacts, {len(org.invoices)} invoices",
            flush=True,
        )
    stop = threading.Event()
    if config.state_file:

        def autosave() -> None:
            while not stop.wait(60):
                sb.save(config.state_file)

        threading.Thread(target=autosave, daemon=True).start()
    server = uvicorn.Server(
        uvicorn.Config(app, host=args.host, port=args.port, log_level="warning", lifespan="off")
    )
    try:
        server.run()
    finally:
        stop.set()
        if config.state_file:
            sb.save(config.state_file)
    return 0

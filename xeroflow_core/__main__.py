"""The command line: `python -m xeroflow_core <command> ...`.

Each command lives in the module that owns its concern (the worker, sync/cli.py, eom/cli.py,
bench/); this file names them and dispatches. Each command imports its module when it runs, so
`--help` and a short command do not pay for loading every feature.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable

from xeroflow_core.settings import SettingsError


def _engine():  # noqa: ANN202
    # start-up time: the database layer is loaded only by the commands that use it
    from xeroflow_core.db import make_engine, migrate
    from xeroflow_core.settings import get_settings

    engine = make_engine(get_settings().database_url)
    migrate(engine)
    return engine


def setup_main(argv: list[str]) -> int:
    """Migrate the database and, outside production, create the demo users if none exist; in
    production, refuse while a user still has the demo password."""
    # start-up time: the user store (bcrypt) is loaded only by the commands that use it
    from xeroflow_core.settings import get_settings
    from xeroflow_core.users import (
        DEMO_PASSWORD,
        DEMO_USERS,
        ensure_demo_users,
        refuse_demo_passwords,
    )

    argparse.ArgumentParser(prog="xeroflow_core setup").parse_args(argv)
    settings = get_settings()
    engine = _engine()
    print(f"Database ready: {engine.url.render_as_string(hide_password=True)}")
    if settings.production:
        refuse_demo_passwords(engine)
    else:
        created = ensure_demo_users(engine)
        print("Demo users created." if created else "Users exist already; none created.")
        print(f"Demo logins (password for each: {DEMO_PASSWORD}):")
        for username, _name, role in DEMO_USERS:
            print(f"  {username:<8} role {role}")
    return 0


def sandbox_main(argv: list[str]) -> int:
    """`python -m xero_sandbox`, under the app's command line for the demo; `XEROFLOW_SANDBOX_KEY`
    (the name the app's docs give the control key) is passed on as the sandbox's own variable."""
    from xero_sandbox import cli  # the sandbox is a demo and test tool, not needed in production

    if os.environ.get("XEROFLOW_SANDBOX_KEY"):
        os.environ.setdefault(cli.KEY_ENV, os.environ["XEROFLOW_SANDBOX_KEY"])
    return cli.main(argv)


def users_main(argv: list[str]) -> int:
    """`users add|list|set-role|disable|enable`: user changes audited as `cli:<os user>`."""
    # start-up time: the user store (bcrypt) is loaded only by the commands that use it
    from xeroflow_core import users

    parser = argparse.ArgumentParser(prog="xeroflow_core users")
    sub = parser.add_subparsers(dest="cmd", required=True)
    add = sub.add_parser("add", help="add a user (password prompted, or read from stdin)")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=users.ROLES)
    add.add_argument("--name", default="")
    add.add_argument("--email", default="")
    sub.add_parser("list", help="list users")
    sr = sub.add_parser("set-role", help="change a user's role")
    sr.add_argument("username")
    sr.add_argument("role", choices=users.ROLES)
    dis = sub.add_parser("disable", help="stop a user from signing in")
    dis.add_argument("username")
    en = sub.add_parser("enable", help="let a disabled user sign in again")
    en.add_argument("username")
    args = parser.parse_args(argv)
    engine = _engine()
    actor = users.Actor(f"cli:{getpass.getuser()}", "admin")  # who ran the command, for audit
    try:
        if args.cmd == "add":
            if sys.stdin.isatty():
                password = getpass.getpass("Password: ")
                if getpass.getpass("Again: ") != password:
                    print("Passwords differ.", file=sys.stderr)
                    return 2
            else:
                password = sys.stdin.readline().rstrip("\n")
            users.add_user(
                engine, args.username, password, args.role, args.name, args.email, actor=actor
            )
            print(f"Added {args.username.lower()} ({args.role}).")
        elif args.cmd == "list":
            for u in users.list_users(engine):
                state = "disabled" if u.disabled else "active"
                demo = "DEMO PASSWORD" if users.has_demo_password(u) else ""
                print(f"{u.username:<20} {u.role:<8} {state:<8} {demo:<13} {u.name}".rstrip())
        elif args.cmd == "set-role":
            users.set_role(engine, args.username, args.role, actor=actor)
            print(f"{args.username} is now {args.role}.")
        elif args.cmd in ("disable", "enable"):
            users.set_disabled(engine, args.username, args.cmd == "disable", actor=actor)
            print(f"{args.username} {args.cmd}d.")
    except (ValueError, LookupError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def worker_main(argv: list[str]) -> int:
    from xeroflow_core.worker import main as run  # start-up time: loaded only for this command

    return run(argv)


def sync_main(argv: list[str]) -> int:
    from xeroflow_core.sync.cli import main as run  # start-up time: loaded only for this command

    return run(argv)


def eom_main(argv: list[str]) -> int:
    from xeroflow_core.eom.cli import main as run  # start-up time: loaded only for this command

    return run(argv)


def bench_main(argv: list[str]) -> int:
    from xeroflow_core.bench import main as run  # start-up time: loaded only for this command

    return run(argv)


# command -> (function taking the remaining argv and returning an exit code, help)
COMMANDS: dict[str, tuple[Callable[[list[str]], int], str]] = {
    "setup": (setup_main, "migrate the database, create demo users"),
    "users": (users_main, "add, list, set-role, disable users"),
    "worker": (worker_main, "run the background sync worker"),
    "sync": (sync_main, "run one sync in the foreground"),
    "sandbox": (sandbox_main, "serve the local Xero sandbox"),
    "eom": (eom_main, "end-of-month invoicing: generate, list, push"),
    "bench": (bench_main, "benchmarks: sync, queue, profitability"),
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        print("usage: python -m xeroflow_core <command> [options]\n\ncommands:")
        for name, (_run, help_text) in COMMANDS.items():
            print(f"  {name:<10} {help_text}")
        return 0 if not argv or argv[0] in ("-h", "--help") else 2
    func = COMMANDS[argv[0]][0]
    try:
        return int(func(argv[1:]) or 0)
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

"""`python -m xeroflow_core eom ...`: generate, list, approve and push a month's invoices.

The same service functions as the EOM Review page, acting as the system user (an admin; the
audit log records "system", and every command says so), so the same rules hold: problems block
approval, pushed drafts are never regenerated, a push is exactly-once through the outbox.
`push` runs in the foreground (no worker needed) and exits 0 when every draft is in Xero, 1 when
Xero refused one or pushing stopped, 3 when some wait (a 429, no answer, or another pusher
holding them: it says which and until when). `confirm-restore` accepts a database restored or
copied from another installation (pushes are refused until then).
"""

from __future__ import annotations

import argparse
import sys

from sqlmodel import or_, select

from xeroflow_core import installation
from xeroflow_core.actor import SYSTEM
from xeroflow_core.db import make_engine, migrate, session_scope
from xeroflow_core.eom import review
from xeroflow_core.eom.billing import BillingRuleError, parse_month, previous_month
from xeroflow_core.eom.engine import generate
from xeroflow_core.eom.push import push_month
from xeroflow_core.models import Organisation
from xeroflow_core.models.core import utc_today
from xeroflow_core.money import fmt_money
from xeroflow_core.settings import get_settings


def _org(engine, text: str | None) -> str | None:  # noqa: ANN001
    """A tenant id from an id or an organisation's name (case-insensitive)."""
    if not text:
        return None
    with session_scope(engine) as s:
        row = s.exec(
            select(Organisation).where(
                or_(Organisation.tenant_id == text, Organisation.name.ilike(text))  # type: ignore[attr-defined]
            )
        ).first()
    if row is None:
        raise BillingRuleError(f"no synced organisation is called or has the id {text!r}")
    return row.tenant_id


def _print_drafts(drafts: list[review.DraftView], month: str) -> None:
    if not drafts:
        print(f"No drafts for {month}. Run `eom generate --month YYYY-MM` first.")
        return
    print(f"{'id':>5}  {'client':<28} {'reference':<26} {'total':>14}  {'state':<9} xero")
    for d in drafts:
        xero = f"{d.xero_invoice_number} {d.xero_status}".strip()
        print(
            f"{d.id:>5}  {d.client_name[:28]:<28} {d.reference[:26]:<26} "
            f"{fmt_money(d.total, d.currency):>14}  {d.state:<9} {xero}"
        )
        if d.held:
            print(f"{'':>7}{d.held}")
        for p in d.problems:
            print(f"{'':>7}problem: {p}")
        if d.error:
            print(f"{'':>7}xero said: {d.error}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="xeroflow_core eom", description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    month_help = "the month, YYYY-MM (default: last month)"
    g = sub.add_parser("generate", help="build or refresh the drafts of a month")
    g.add_argument("--month", help=month_help)
    g.add_argument("--org", help="only this organisation (tenant id or name)")
    g.add_argument(
        "--rounding", choices=("half_up", "half_even"), help="default: XEROFLOW_ROUNDING (half_up)"
    )
    ls = sub.add_parser("list", help="show a month's drafts and their Xero status")
    ls.add_argument("--month", help=month_help)
    ap = sub.add_parser("approve", help="approve drafts for pushing (all without problems)")
    ap.add_argument("--month", help=month_help)
    ap.add_argument("ids", nargs="*", type=int, help="draft ids (default: every draft)")
    pu = sub.add_parser("push", help="push the month's approved drafts to Xero as DRAFT invoices")
    pu.add_argument("--month", help=month_help)
    pu.add_argument("--org", help="only this organisation (tenant id or name)")
    pu.add_argument(
        "--approve", action="store_true", help="approve every draft without problems first"
    )
    sub.add_parser(
        "confirm-restore",
        help="accept this database, restored or copied from another installation, for pushing",
    )
    args = parser.parse_args(argv)

    settings = get_settings()
    engine = make_engine(settings.database_url)
    migrate(engine)
    try:
        if args.cmd == "confirm-restore":
            return _confirm_restore(engine)
        month = parse_month(args.month) if args.month else previous_month(utc_today())
        print(f"eom {args.cmd} {month:%Y-%m} as the system user ({SYSTEM.username}, admin)")
        if args.cmd == "generate":
            result = generate(
                engine, SYSTEM, month, _org(engine, args.org), args.rounding or settings.rounding
            )
            print(result.summary())
            for c in result.with_problems:
                print(f"  {c.client_name}: {'; '.join(c.problems)}")
        elif args.cmd == "list":
            _print_drafts(review.list_drafts(engine, SYSTEM, month, settings), f"{month:%Y-%m}")
        elif args.cmd == "approve":
            ids = args.ids or [d.id for d in review.list_drafts(engine, SYSTEM, month)]
            refused = review.approve(engine, SYSTEM, ids)
            print(f"approved {len(ids) - len(refused)} draft(s)")
            for r in refused:
                print(f"  not approved: {r}")
        elif args.cmd == "push":
            if args.approve:
                drafts = review.list_drafts(engine, SYSTEM, month)
                review.approve(engine, SYSTEM, [d.id for d in drafts if d.can_approve])
            result = push_month(engine, settings, SYSTEM, month, tenant_id=_org(engine, args.org))
            print(result.summary())
            for line in result.lines():
                print(f"  {line}")
            if result.stopped or result.failed:
                return 1
            return 3 if result.waiting or result.held or result.lost else 0
    except (BillingRuleError, review.ReviewError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def _confirm_restore(engine) -> int:  # noqa: ANN001
    state = installation.current(engine)
    if not state.restored:
        print("This database is where it was created: nothing to confirm.")
        return 0
    print(f"Restored or copied: created in {state.created_in}, now in {state.running_in}.")
    installation.confirm_restored_copy(engine, SYSTEM)
    print(
        "Confirmed as its own installation: pushes are allowed again, with new idempotency "
        "keys; every invoice of a month up to now is looked up in Xero by reference first."
    )
    return 0

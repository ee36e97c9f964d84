"""`bench push-chaos`: its invariant check catches a second invoice under a reference and a
total that differs from Xero's; and a short run ends with the invariant holding."""

from __future__ import annotations

import httpx
import pytest

from tests.eom.builders import ADMIN, OCT
from tests.eom.sandbox_ledger import in_xero
from tests.eom.test_push import NO_WAIT, approved_month
from tests.support.connect import connect_sandbox
from xero_sandbox.testing import HEADERS
from xeroflow_core.bench import push_chaos
from xeroflow_core.db import session_scope
from xeroflow_core.eom.gateway import invoice_body
from xeroflow_core.eom.pricing import existing_lines
from xeroflow_core.eom.push import XeroGateway, push_month
from xeroflow_core.models.eom import EomDraft


@pytest.fixture
def tenant(engine, settings, sandbox) -> str:
    return connect_sandbox(engine, settings, tenant_names=["Demo Agency Ltd"])[0]


def test_the_check_reports_a_second_invoice_and_a_wrong_total(
    engine, settings, sandbox, tenant
) -> None:
    a, b = approved_month(engine, sandbox, tenant, ["100.00", "200.00"])
    assert len(push_month(engine, settings, ADMIN, OCT, **NO_WAIT).pushed) == 2
    with httpx.Client(base_url=settings.xero_api_url, headers=HEADERS) as http:
        ctx = {"engine": engine, "http": http, "tenant": tenant, "invoices": 0}
        tally = push_chaos.Tally()
        push_chaos.check(ctx, OCT, tally)
        assert tally.violations == [] and ctx["invoices"] == 2
        with session_scope(engine) as s:  # a second invoice under a's reference
            body = invoice_body(s.get(EomDraft, a.id), existing_lines(s, a.id))
            s.get(EomDraft, b.id).total += 1
        gw = XeroGateway(engine, settings, tenant)
        gw.put_invoice(body, "another-key")
        gw.close()
        assert len(in_xero(sandbox, tenant, a.reference)) == 2
        push_chaos.check(ctx, OCT, tally)
    assert tally.violations[0] == f"{a.reference}: 2 invoices in Xero"
    assert tally.violations[1].startswith(f"{b.reference}: XeroFlow ")
    assert len(tally.violations) == 2


def test_a_short_run_holds_the_invariant(tmp_path, capsys) -> None:
    code = push_chaos.main(
        ["--seconds", "4", "--round-seconds", "4", "--drafts", "2", "--pushers", "2",
         "--database-url", f"sqlite:///{tmp_path / 'chaos.db'}"]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    assert "rounds 1 · drafts 2" in out and "2 invoices for 2 references" in out
    assert out.rstrip().endswith("== Xero's): OK")

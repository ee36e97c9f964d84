"""The sync engine against the sandbox over HTTP, on SQLite and PostgreSQL: a full sync equals
Xero exactly at the minimum number of calls; quiet and small incremental runs cost one call per
resource; lifecycle changes (void, delete, archive, merge) land as Xero has them."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.support.sync import (
    FAST_RETRIES,
    db_contacts,
    db_invoices,
    sandbox_contacts,
    sandbox_invoices,
    synced_sandbox_db,
)
from xero_sandbox.testing import sandbox_config
from xeroflow_core.db import session_scope
from xeroflow_core.models import AuditLog, Client, ClientContactLink, DocumentLine, Receipt
from xeroflow_core.models.sync import SyncResourceState
from xeroflow_core.sync import status
from xeroflow_core.sync.engine import sync_tenant
from xeroflow_core.sync.resources import RESOURCES

from .conftest import api_calls, tenant_named


def _minimal(sb, tenant) -> int:
    org = sb.orgs[tenant]
    paged = [len(org.contacts), len(org.invoices), len(org.credit_notes)]
    unpaged = len(RESOURCES) - len(paged)
    return unpaged + sum(max(1, -(-n // 1000)) for n in paged)


def test_full_sync_equals_sandbox_at_minimal_calls(engine, sandbox, sandbox_url):
    synced = synced_sandbox_db(engine, sandbox_url)
    agency = tenant_named(sandbox, "Demo Agency Ltd")
    studio = tenant_named(sandbox, "Demo Studio Pty")
    for tid in (agency, studio):
        assert db_invoices(engine, tid) == sandbox_invoices(sandbox, tid)
        assert db_contacts(engine, tid) == sandbox_contacts(sandbox, tid)
        assert synced.runs[tid].calls == _minimal(sandbox, tid)
    assert len(sandbox.orgs[agency].invoices) > 1000  # really paged
    # The agency keeps Classic Expenses: receipts with lines, linked to their claims.
    with engine.connect() as conn:
        receipts = conn.execute(
            select(func.count()).select_from(Receipt).where(Receipt.tenant_id == agency)
        ).scalar_one()
        linked = conn.execute(
            select(func.count())
            .select_from(Receipt)
            .where(Receipt.tenant_id == agency, Receipt.expense_claim_id != "")
        ).scalar_one()
        tracked = conn.execute(
            select(func.count())
            .select_from(DocumentLine)
            .where(DocumentLine.tenant_id == agency, DocumentLine.tracking_option_id_1.is_not(None))
        ).scalar_one()
    assert receipts == len(sandbox.orgs[agency].receipts) and linked == receipts and tracked > 0
    # The studio refuses Classic Expenses: unavailable with the reason, the rest synced.
    by_name = {r.name: r for r in synced.runs[studio].resources}
    assert by_name["ExpenseClaims"].status == "unavailable"
    assert "Classic Expenses" in by_name["ExpenseClaims"].error["what_to_do"]
    assert synced.runs[studio].status == "ok"
    with session_scope(engine) as s:
        st = s.get(SyncResourceState, (studio, "ExpenseClaims"))
        assert st.status == "unavailable" and st.problem == "forbidden" and st.error
    assert status.last_successful_sync(engine, agency) is not None
    assert status.data_version(engine) == max(r.run_id for r in synced.runs.values())


def test_quiet_incremental_costs_one_call_per_resource(engine, sandbox, sandbox_url):
    synced = synced_sandbox_db(engine, sandbox_url)
    agency = synced.tenants["Demo Agency Ltd"]
    before = api_calls(sandbox, agency)
    res = sync_tenant(engine, synced.settings, agency, options=FAST_RETRIES)
    assert res.status == "ok"
    assert res.calls == len(RESOURCES) == api_calls(sandbox, agency) - before
    # Only the boundary second is read again (If-Modified-Since has second precision).
    org = sandbox.orgs[agency]
    for name, coll in (("Invoices", org.invoices), ("Contacts", org.contacts)):
        last = max(int(d.updated.timestamp()) for d in coll.items.values())
        boundary = sum(1 for d in coll.items.values() if int(d.updated.timestamp()) == last)
        assert next(r for r in res.resources if r.name == name).rows == boundary
    # If-Modified-Since in Xero's documented form, ordered by UpdatedDateUTC.
    inv = [e for e in sandbox.access_log if e["path"].endswith("/Invoices")][-1]
    assert "order=UpdatedDateUTC" in inv["query"] and "pageSize=1000" in inv["query"]


def test_changes_land_with_lifecycle_rules(engine, sandbox, sandbox_url):
    """Voided and deleted invoices stay as rows with their status; an archived contact stays;
    a merged contact's client link moves to the survivor, audited."""
    synced = synced_sandbox_db(engine, sandbox_url)
    agency = synced.tenants["Demo Agency Ltd"]
    org = sandbox.orgs[agency]
    authorised = [
        d for d in org.invoices.since(None) if d.status == "AUTHORISED" and not d.payments
    ]
    draft = next(d for d in org.invoices.since(None) if d.status == "DRAFT")
    with sandbox.lock:
        authorised[0].status = "VOIDED"
        sandbox.touch(org, org.invoices, authorised[0])
        draft.status = "DELETED"
        sandbox.touch(org, org.invoices, draft)
    active = [c for c in org.contacts.since(None) if c.status == "ACTIVE"]
    loser, survivor, archived = active[0], active[1], active[2]
    with session_scope(engine) as s:
        client = Client(name="Acme")
        s.add(client)
        s.flush()
        s.add(ClientContactLink(tenant_id=agency, contact_id=loser.id, client_id=client.id))
        client_id = client.id
    with sandbox.lock:
        archived.status = "ARCHIVED"
        sandbox.touch(org, org.contacts, archived)
        loser.status, loser.merged_to = "ARCHIVED", survivor.id
        sandbox.touch(org, org.contacts, loser)
    res = sync_tenant(engine, synced.settings, agency, options=FAST_RETRIES)
    assert res.status == "ok" and res.calls == len(RESOURCES)
    got = db_invoices(engine, agency)
    assert got[authorised[0].id]["status"] == "VOIDED" and got[draft.id]["status"] == "DELETED"
    assert got == sandbox_invoices(sandbox, agency)
    contacts = db_contacts(engine, agency)
    assert contacts[archived.id][1] == "ARCHIVED"
    assert contacts[loser.id] == (loser.name, "ARCHIVED", survivor.id)
    with session_scope(engine) as s:
        assert s.get(ClientContactLink, (agency, loser.id)) is None
        assert s.get(ClientContactLink, (agency, survivor.id)).client_id == client_id
        assert (
            s.exec(select(AuditLog).where(AuditLog.action == "sync.contact_merged")).first()
            is not None
        )
        merged = s.scalars(select(AuditLog).where(AuditLog.action == "sync.contact_merged")).all()
        assert {(a.username, a.target, a.detail["from"]) for a in merged} == {
            ("system", loser.id, loser.id)
        }


def test_a_contact_merged_twice_moves_its_link_to_the_last_survivor(engine, sandbox, sandbox_url):
    """Xero merged B into C, then A into B: A's client link ends on C (the chain A -> B -> C is
    followed, whatever order the contacts arrive in), and the move is journalled for undo."""
    synced = synced_sandbox_db(engine, sandbox_url)
    agency = synced.tenants["Demo Agency Ltd"]
    org = sandbox.orgs[agency]
    a, b, c = [x for x in org.contacts.since(None) if x.status == "ACTIVE"][:3]
    with session_scope(engine) as s:
        client = Client(name="Chain")
        s.add(client)
        s.flush()
        s.add(ClientContactLink(tenant_id=agency, contact_id=a.id, client_id=client.id))
        client_id = client.id
    with sandbox.lock:
        b.status, b.merged_to = "ARCHIVED", c.id
        sandbox.touch(org, org.contacts, b)
        a.status, a.merged_to = "ARCHIVED", b.id
        sandbox.touch(org, org.contacts, a)
    res = sync_tenant(engine, synced.settings, agency, options=FAST_RETRIES)
    assert res.status == "ok"
    with session_scope(engine) as s:
        assert s.get(ClientContactLink, (agency, a.id)) is None
        assert s.get(ClientContactLink, (agency, b.id)) is None
        assert s.get(ClientContactLink, (agency, c.id)).client_id == client_id
        journalled = s.scalars(
            select(AuditLog).where(AuditLog.action == "client.follow_merges")
        ).all()
        assert len(journalled) == 1 and journalled[0].username == "system"


def test_records_changed_while_paging_are_not_skipped(engine, sandbox, sandbox_url):
    synced_ = None
    from tests.support.sync import connect

    synced_ = connect(engine, sandbox_url)
    agency = synced_.tenants["Demo Agency Ltd"]
    # While page 2 is requested, a person edits the first 5 invoices (on page 1): they move to
    # the end of Xero's order and 5 records slide back onto page 1, already read.
    sandbox.faults.arm(
        {"kind": "touch_while_paging", "resource": "invoices", "records": 5, "tenant": agency}
    )
    res = sync_tenant(engine, synced_.settings, agency, full=True, options=FAST_RETRIES)
    assert res.status == "ok"
    inv = next(r for r in res.resources if r.name == "Invoices")
    assert inv.resweeps == 1
    assert db_invoices(engine, agency) == sandbox_invoices(sandbox, agency)


def test_read_interrupted_after_a_shift_is_checked_and_repaired(engine):
    """Records edited while paging shift others onto a page already read; the read then dies
    (a malformed page) before it could notice. The next run counts against Xero from where the
    broken read began and re-reads, so nothing stays lost."""
    from xero_sandbox.server import serve_in_thread

    with serve_in_thread(sandbox_config(seed=13, invoices=2500, rate_limits=False)) as url:
        sb = serve_in_thread.last_app.state.sandbox  # type: ignore[attr-defined]
        from tests.support.sync import connect

        synced = connect(engine, url)
        agency = synced.tenants["Demo Agency Ltd"]
        sb.faults.arm({"kind": "touch_while_paging", "resource": "invoices", "records": 5})
        sb.faults.arm({"kind": "malformed", "path": "Invoices", "after": 2, "tenant": agency})
        first = sync_tenant(
            engine, synced.settings, agency, resources=["Invoices"], options=FAST_RETRIES
        )
        assert first.status == "failed"  # page 3 was unreadable
        assert len(db_invoices(engine, agency)) < len(sb.orgs[agency].invoices)
        again = sync_tenant(engine, synced.settings, agency, options=FAST_RETRIES)
        assert again.status == "ok"
        assert next(r for r in again.resources if r.name == "Invoices").resweeps == 1
        assert db_invoices(engine, agency) == sandbox_invoices(sb, agency)

"""What generate() finds already in place for a month: the month's drafts and their lines, the
references in use, and the synced invoice a draft would adopt.

Apart from engine.py because it is the read side of generation: read once per month, then kept
in step as drafts are written, so the per-client work asks the database as little as it can.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, select
from sqlmodel.sql.expression import Select

from xeroflow_core.models import ClientContactLink, Contact, Invoice, Organisation
from xeroflow_core.models.eom import EomDraft, EomDraftLine


@dataclass
class Known:
    """What generate() reads once for the whole month instead of once per client: the month's
    drafts and their lines, which client uses each reference, and the contacts and organisations
    (kept in the session, so `s.get` finds them without a query). What is left per client is its
    linked contacts, the adopt-by-reference look-up (one indexed row: `adopt_lookup`) and the
    draft's writes."""

    drafts: dict[int, EomDraft]
    lines: dict[int, list[EomDraftLine]]
    references: dict[tuple[str, str], int]  # (tenant, reference) -> the client whose draft it is
    keys: dict[int, tuple[str, str]]  # draft id -> its (tenant, reference)
    held: list = field(default_factory=list)  # the session's identity map holds weak references

    @classmethod
    def read(cls, s: Session, month: date) -> Known:
        drafts = {d.client_id: d for d in s.exec(select(EomDraft).where(EomDraft.month == month))}
        lines: dict[int, list[EomDraftLine]] = defaultdict(list)
        for ln in s.exec(
            select(EomDraftLine)
            .join(EomDraft, EomDraft.id == EomDraftLine.draft_id)
            .where(EomDraft.month == month)
            .order_by(EomDraftLine.draft_id, EomDraftLine.position)
        ):
            lines[ln.draft_id].append(ln)
        references: dict[tuple[str, str], int] = {}
        keys: dict[int, tuple[str, str]] = {}
        for did, t, ref, cid in s.exec(
            select(EomDraft.id, EomDraft.tenant_id, EomDraft.reference, EomDraft.client_id)
        ):
            references[(t, ref)], keys[did] = cid, (t, ref)
        held = list(s.exec(select(Organisation)))
        held += s.exec(
            select(Contact).join(
                ClientContactLink,
                (ClientContactLink.tenant_id == Contact.tenant_id)
                & (ClientContactLink.contact_id == Contact.contact_id),
            )
        ).all()
        return cls(drafts, lines, references, keys, held)

    def reference_clash(self, tenant: str, reference: str, client_id: int) -> bool:
        """Another client's draft (any month) has this reference in this organisation."""
        return self.references.get((tenant, reference), client_id) != client_id

    def use_reference(self, draft: EomDraft) -> None:
        """Keep the map as the database now is: the draft written holds its reference."""
        old = self.keys.get(int(draft.id or 0))
        if old is not None and self.references.get(old) == draft.client_id:
            del self.references[old]
        self.keys[int(draft.id or 0)] = (draft.tenant_id, draft.reference)
        self.references[(draft.tenant_id, draft.reference)] = draft.client_id


def adopt_lookup(tenant_id: str, reference: str) -> Select:
    """A synced sales invoice carrying the draft's reference. Read through ix_invoice_tenant_
    reference (one row) once the planner has statistics (db.refresh_statistics); without them
    SQLite chose ix_invoice_tenant_type_date and scanned every sales invoice of the
    organisation, 17 ms per client. tests/unit/test_query_plans.py holds the plan."""
    return select(Invoice).where(
        Invoice.tenant_id == tenant_id, Invoice.type == "ACCREC", Invoice.reference == reference
    )

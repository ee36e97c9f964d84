"""Suggestions: which existing client a Xero contact probably belongs to, and why.

Name similarity that ignores case, accents, punctuation, "The", "&"/"and" and legal suffixes
(Ltd/Limited, Inc, Pty, LLC...), using difflib; and a shared company email domain with a contact
already linked to the client (free-mail domains are no evidence).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import Engine, and_
from sqlmodel import select

from xeroflow_core.db import session_scope
from xeroflow_core.models import Client, ClientContactLink, Contact

LEGAL_WORDS = frozenset(
    [
        "ltd",
        "limited",
        "llc",
        "inc",
        "incorporated",
        "pty",
        "plc",
        "corp",
        "corporation",
        "co",
        "company",
        "gmbh",
        "llp",
        "lp",
        "the",
        "and",
    ]
)
FREE_MAIL = frozenset(
    [
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "yahoo.com",
        "yahoo.co.uk",
        "icloud.com",
        "me.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "xtra.co.nz",
        "bigpond.com",
        "gmx.com",
        "mail.com",
    ]
)
MIN_SCORE = 0.6


def name_key(name: str) -> str:
    """A name reduced to what identifies it: case, accents, punctuation, '&'/'and', 'The' and
    legal suffixes (Ltd, Limited, Inc, Pty, LLC...) are ignored."""
    text = unicodedata.normalize("NFKD", name or "")
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = text.replace("&", " and ").replace("+", " and ")
    text = re.sub(r"(?<=\w)\.(?=\w\.)", "", text)  # "l.l.c." -> "llc."
    tokens = re.findall(r"[a-z0-9]+", text.replace("'", ""))
    kept = [t for t in tokens if t not in LEGAL_WORDS]
    return " ".join(kept or tokens)


def email_domain(email: str) -> str:
    """The company domain of an address; '' for free-mail providers and blanks."""
    _, _, domain = (email or "").strip().lower().rpartition("@")
    return "" if not domain or domain in FREE_MAIL else domain


def name_similarity(a: str, b: str) -> float:
    """0..1: 1.0 when the names are the same once noise is removed."""
    ka, kb = name_key(a), name_key(b)
    if not ka or not kb:
        return 0.0
    if ka == kb:
        return 1.0
    ta, tb = set(ka.split()), set(kb.split())
    jaccard = len(ta & tb) / len(ta | tb)
    contained = 0.0
    if (ta <= tb or tb <= ta) and max(len(t) for t in ta & tb or {""}) >= 3:
        contained = 0.85
    sm = difflib.SequenceMatcher(None, ka, kb, autojunk=False)
    ratio = sm.ratio() if sm.quick_ratio() >= MIN_SCORE else 0.0
    return max(ratio, jaccard, contained)


@dataclass(frozen=True)
class Suggestion:
    client_id: int
    name: str
    score: float  # 0..1
    reason: str


def suggestions(
    engine: Engine, tenant_id: str, contact_id: str, limit: int = 5
) -> list[Suggestion]:
    """Active clients that look like this contact, best first, each with why."""
    with session_scope(engine) as s:
        contact = s.get(Contact, (tenant_id, contact_id))
        if contact is None:
            return []
        clients = {c.id: c for c in s.exec(select(Client).where(Client.status == "active"))}
        linked: dict[int, list[tuple[str, str]]] = defaultdict(list)
        q = select(ClientContactLink.client_id, Contact.name, Contact.email).join(
            Contact,
            and_(
                Contact.tenant_id == ClientContactLink.tenant_id,
                Contact.contact_id == ClientContactLink.contact_id,
            ),
        )
        for cid, name, email in s.exec(q):
            if cid in clients:
                linked[cid].append((name, email))
    domain = email_domain(contact.email)
    out: list[Suggestion] = []
    for cid, client in clients.items():
        best, best_name = name_similarity(contact.name, client.name), client.name
        for other_name, _ in linked.get(cid, ()):
            score = name_similarity(contact.name, other_name)
            if score > best:
                best, best_name = score, other_name
        reasons = []
        if best >= MIN_SCORE:
            if best == 1.0:
                how = (
                    "same name"
                    if contact.name.strip().lower() == best_name.strip().lower()
                    else ("same name apart from case, punctuation or Ltd/Limited")
                )
                reasons.append(f"{how} as '{best_name}'")
            else:
                reasons.append(f"name {best:.0%} like '{best_name}'")
        if domain:
            same = [n for n, e in linked.get(cid, ()) if email_domain(e) == domain]
            if same:
                reasons.append(f"same email domain @{domain} as '{same[0]}'")
                best = max(best, 0.9) if best < MIN_SCORE else min(1.0, best + 0.05)
        if reasons:
            out.append(Suggestion(cid, client.name, round(best, 3), "; ".join(reasons)))
    out.sort(key=lambda x: (-x.score, x.name.lower()))
    return out[:limit]

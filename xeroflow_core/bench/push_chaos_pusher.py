"""One pusher process of push-chaos (bench/push_chaos.py starts several with `--pusher`).

Apart from the soak itself because it runs in a child process of its own: it pushes one month's
drafts with the database and sandbox named in its environment and reports its outcome counts on
stdout as JSON, which the soak reads when the process ends.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import timedelta

from sqlmodel import select

from xeroflow_core.actor import SYSTEM
from xeroflow_core.db import make_engine, session_scope
from xeroflow_core.eom.billing import parse_month
from xeroflow_core.eom.push import XeroGateway, push_month
from xeroflow_core.models.eom import EomDraft
from xeroflow_core.settings import get_settings


def pusher_main(argv: list[str]) -> int:
    """One pusher process: push each of the month's drafts once, in its own order; print the
    outcome counts as JSON."""
    month, stale, timeout = argv[0], float(argv[1]), float(argv[2])
    settings = get_settings()
    engine = make_engine(settings.database_url)
    with session_scope(engine) as s:
        ids = list(s.exec(select(EomDraft.id).where(EomDraft.month == parse_month(month))))
    random.shuffle(ids)  # each pusher goes through the drafts in its own order
    counts: Counter = Counter()
    for draft_id in ids:
        result = push_month(
            engine, settings, SYSTEM, month, draft_ids=[draft_id],
            stale_after=timedelta(seconds=stale),
            backoff=lambda n: random.uniform(0.0, 0.3),  # noqa: S311 - jitter
            gateway_factory=lambda t: XeroGateway(
                engine, settings, t, timeout=timeout, minute_waits=2
            ),
        )  # fmt: skip
        counts.update(
            {k: len(v) for k, v in result.as_dict().items() if isinstance(v, list | dict)}
        )
    print(json.dumps(counts))
    return 0

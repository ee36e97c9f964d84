"""A realistic Profitability database for page tests: the sandbox's demo organisations synced
over HTTP, clients set up from the "Client" tracking options, and Xero's P&L of last month."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select

from tests.support.sync import synced_sandbox_db
from xero_sandbox.server import serve_in_thread
from xero_sandbox.testing import sandbox_config
from xeroflow_core import profitability as pf
from xeroflow_core.db import session_scope
from xeroflow_core.models import (
    Client,
    ClientContactLink,
    ClientTrackingOption,
    Contact,
    TrackingOption,
)
from xeroflow_core.profitability import xero_report as reports
from xeroflow_core.xero.client import reset_governors


def map_clients_by_tracking(engine: Engine, tenant_id: str) -> int:
    """Clients as an agency sets them up: one per "Client" tracking option, linked to the
    customer contact of the same name. Returns how many."""
    with session_scope(engine) as s:
        options = [
            o
            for (o,) in s.exec(select(TrackingOption).where(TrackingOption.tenant_id == tenant_id))
        ]
        contacts = {
            c.name: c.contact_id
            for (c,) in s.exec(select(Contact).where(Contact.tenant_id == tenant_id))
        }
        for opt in options:
            client = Client(name=opt.name)
            s.add(client)
            s.flush()
            s.add(
                ClientTrackingOption(
                    tenant_id=tenant_id, tracking_option_id=opt.tracking_option_id,
                    client_id=client.id,
                )
            )  # fmt: skip
            if opt.name in contacts:
                s.add(
                    ClientContactLink(
                        tenant_id=tenant_id, contact_id=contacts[opt.name], client_id=client.id
                    )
                )
    return len(options)


def last_month() -> pf.Period:
    end = datetime.now(UTC).date().replace(day=1) - timedelta(days=1)
    return pf.month(end.year, end.month)


@dataclass
class Seeded:
    tenants: dict[str, str]  # organisation name -> tenant id
    period: pf.Period


def seed_demo(engine: Engine, seed: int = 11) -> Seeded:
    """Sync the sandbox's organisations into `engine`, map clients, fetch last month's P&L."""
    period = last_month()
    reset_governors()  # a fresh pacing window for these tenants in this process
    with serve_in_thread(sandbox_config(seed=seed, rate_limits=False)) as url:
        synced = synced_sandbox_db(engine, url)
        for tid in synced.tenants.values():
            map_clients_by_tracking(engine, tid)
            reports.fetch(engine, synced.settings, tid, period.start, period.end)
    return Seeded(synced.tenants, period)

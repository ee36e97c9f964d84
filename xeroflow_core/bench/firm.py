"""The large firm the page benchmark measures: the large sandbox (in this process) fully synced
into a fresh database, then 1,000 clients with linked contacts, cost mappings and billing data.

Clients, links, mappings and billing data are bulk-inserted (a firm types them in over months;
the figures are about reading them, not about how they were typed).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import Decimal

import httpx
from sqlalchemy import Engine, func, insert, select

from xeroflow_core.models import (
    Client,
    ClientContactLink,
    ClientSupplier,
    ClientTrackingOption,
    Contact,
    Invoice,
    TrackingOption,
    utcnow,
)
from xeroflow_core.models.eom import BillingItem, BillingProfile

AGENCY = "Demo Agency Ltd"


@dataclass
class Firm:
    """What was built, for the report and for choosing what to open."""

    tenant_id: str
    clients: int = 0
    links: int = 0
    mappings: int = 0
    billing_items: int = 0
    busiest_client: int = 0  # the client with the most invoices
    busiest_invoices: int = 0
    sync_seconds: float = 0.0
    sizes: dict[str, int] = field(default_factory=dict)


def sync_large_sandbox(engine: Engine, invoices: int, contacts: int, seed: int = 42) -> Firm:
    """Serve the large sandbox in this process, connect every organisation and sync it fully
    (imports here: the sandbox and the sync engine load only when a firm is built)."""
    # start-up time: the sandbox and the sync engine load only when a firm is built
    from xero_sandbox.app import SandboxConfig, create_app
    from xero_sandbox.server import serve_app_in_thread
    from xeroflow_core.bench.sync import _settings, connect
    from xeroflow_core.sync.engine import sync_tenant
    from xeroflow_core.xero.client import ClientOptions, Governor

    app = create_app(
        SandboxConfig(
            seed=seed, size="large", invoices=invoices, contacts=contacts, rate_limits=False
        )
    )
    unpaced = ClientOptions(governor=Governor(minute_limit=1_000_000))
    t0 = time.perf_counter()
    with serve_app_in_thread(app) as url:
        settings = _settings(url, engine.url.render_as_string(hide_password=False))
        with httpx.Client(timeout=120, transport=httpx.HTTPTransport(retries=0)) as http:
            tenants = connect(engine, settings, http)
            for tid in tenants.values():
                res = sync_tenant(
                    engine, settings, tid, full=True, trigger="initial", http=http, options=unpaced
                )
                if res.status != "ok":
                    raise RuntimeError(f"the sync of {tid} ended {res.status}: {res.error}")
    firm = Firm(tenants[AGENCY], sync_seconds=time.perf_counter() - t0)
    with engine.connect() as conn:
        for model in (Contact, Invoice):
            firm.sizes[model.__tablename__] = int(
                conn.execute(select(func.count()).select_from(model)).scalar_one()
            )
    return firm


def add_clients(
    engine: Engine, firm: Firm, clients: int = 1000, mappings: int = 289, seed: int = 42
) -> Firm:
    """1,000 clients, each linked to one of the busiest customers (every tenth to two), cost
    mappings (tracking options first, then suppliers) and a monthly retainer for every one."""
    # start-up time: EOM loads only when clients are added
    from xeroflow_core.eom.billing_data import revenue_accounts, revenue_tax_rates

    tid = firm.tenant_id
    now = utcnow()
    with engine.connect() as conn:
        customers = [
            c
            for (c,) in conn.execute(
                select(Invoice.contact_id)
                .where(Invoice.tenant_id == tid, Invoice.type == "ACCREC")
                .group_by(Invoice.contact_id)
                .order_by(func.count().desc(), Invoice.contact_id)
            )
        ]
        options = [
            o
            for (o,) in conn.execute(
                select(TrackingOption.tracking_option_id)
                .where(TrackingOption.tenant_id == tid)
                .order_by(TrackingOption.tracking_option_id)
            )
        ]
        suppliers = [
            c
            for (c,) in conn.execute(
                select(Invoice.contact_id)
                .where(Invoice.tenant_id == tid, Invoice.type == "ACCPAY")
                .group_by(Invoice.contact_id)
                .order_by(Invoice.contact_id)
            )
        ]
    n = min(clients, len(customers))
    # the busiest client gets the next nine busiest contacts too (hundreds of invoices), and
    # every tenth client a second contact
    spare = customers[n:]
    extra = [(1, c) for c in spare[:9]] + [
        (10 * i + 11, c) for i, c in enumerate(spare[9 : 9 + n // 10 - 1])
    ]
    client_rows = [
        dict(id=i + 1, name=f"Client {i + 1:04d}", status="active", notes="", created_at=now,
             updated_at=now)
        for i in range(n)
    ]  # fmt: skip
    link_rows = [
        dict(tenant_id=tid, contact_id=c, client_id=i + 1, linked_by="bench", linked_at=now)
        for i, c in enumerate(customers[:n])
    ] + [
        dict(tenant_id=tid, contact_id=c, client_id=cid, linked_by="bench", linked_at=now)
        for cid, c in extra
        if cid <= n
    ]
    opt_rows = [
        dict(tenant_id=tid, tracking_option_id=o, client_id=i % n + 1)
        for i, o in enumerate(options[:mappings])
    ]
    sup_rows = [
        dict(tenant_id=tid, contact_id=c, client_id=(7 * i) % n + 1)
        for i, c in enumerate(suppliers[: max(0, mappings - len(opt_rows))])
    ]
    account = revenue_accounts(engine, tid)[0].code
    tax = revenue_tax_rates(engine, tid)[0].tax_type
    profile_rows = [
        dict(client_id=i + 1, line_amount_types="Exclusive", reference_pattern="XF-{client_id}-{YYYY-MM}",
             prorate=True, rebill_enabled=False, rebill_markup_percent=Decimal(0),
             rebill_account_code="", rebill_tax_type="", rebill_description="Rebillable: {description}",
             updated_by="bench", updated_at=now, tenant_id=tid, contact_id=customers[i],
             terms_type="")
        for i in range(n)
    ]  # fmt: skip
    item_rows = [
        dict(client_id=i + 1, kind="retainer", description="Retainer {month} {year}",
             quantity=Decimal(1), unit_amount=Decimal(500 + (i * 37) % 4500), account_code=account,
             tax_type=tax, frequency="monthly", anchor_month=1, active=True, created_by="bench",
             created_at=now)
        for i in range(n)
    ]  # fmt: skip
    with engine.begin() as conn:
        for model, rows in (
            (Client, client_rows), (ClientContactLink, link_rows),
            (ClientTrackingOption, opt_rows), (ClientSupplier, sup_rows),
            (BillingProfile, profile_rows), (BillingItem, item_rows),
        ):  # fmt: skip
            if rows:
                conn.execute(insert(model), rows)
        if engine.dialect.name == "postgresql":  # ids were given: move the sequence past them
            conn.exec_driver_sql("SELECT setval('client_id_seq', (SELECT max(id) FROM client))")
    firm.clients, firm.links = n, len(link_rows)
    firm.mappings, firm.billing_items = len(opt_rows) + len(sup_rows), len(item_rows)
    firm.busiest_client = 1
    with engine.connect() as conn:
        firm.busiest_invoices = int(
            conn.execute(
                select(func.count())
                .select_from(Invoice)
                .join(
                    ClientContactLink,
                    (ClientContactLink.tenant_id == Invoice.tenant_id)
                    & (ClientContactLink.contact_id == Invoice.contact_id),
                )
                .where(ClientContactLink.client_id == 1)
            ).scalar_one()
        )
    return firm

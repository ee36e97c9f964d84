"""`python -m xero_sandbox.bench`: reproduce the README's speed figures.

Generates the large sandbox, serves it over real HTTP, connects like an app would, and reads
every 1,000-invoice page twice (cold, then warm), reporting the server time (Server-Timing)
and the wall time seen by the client.
"""

from __future__ import annotations

import argparse
import html
import re
import statistics
import sys
import time
from urllib.parse import parse_qs, urlparse

import httpx

from .app import SandboxConfig, create_app
from .config import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from .server import serve_app_in_thread

REDIRECT = "http://localhost:8501/callback"


def connect(
    client: httpx.Client,
    scope: str = "openid offline_access accounting.transactions accounting.settings accounting.contacts",
) -> tuple[str, dict[str, str]]:
    """Consent (all organisations) and code exchange; returns (access token, name -> tenant id)."""
    page = client.get(
        "/identity/connect/authorize",
        params={
            "response_type": "code",
            "client_id": DEMO_CLIENT_ID,
            "redirect_uri": REDIRECT,
            "scope": scope,
            "state": "bench",
        },
    )
    form: dict[str, object] = {
        k: html.unescape(v)
        for k, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text)
    }
    form["tenant"] = re.findall(r'name="tenant" value="([^"]+)" checked', page.text)
    form["action"] = "allow"
    done = client.post("/identity/connect/authorize", data=form, follow_redirects=False)
    code = parse_qs(urlparse(done.headers["location"]).query)["code"][0]
    tok = client.post(
        "/connect/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
        auth=(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET),
    ).json()
    conns = client.get(
        "/connections", headers={"Authorization": f"Bearer {tok['access_token']}"}
    ).json()
    return tok["access_token"], {c["tenantName"]: c["tenantId"] for c in conns}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m xero_sandbox.bench")
    p.add_argument("--invoices", type=int, default=50_000)
    p.add_argument("--contacts", type=int, default=5_000)
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    app = create_app(
        SandboxConfig(
            size="large", invoices=args.invoices, contacts=args.contacts, rate_limits=False
        )
    )
    sb = app.state.sandbox
    org = next(iter(sb.orgs.values()))
    lines = sum(len(d.lines) for d in org.invoices.items.values()) / max(1, len(org.invoices))
    print(
        f"generated {len(org.invoices)} invoices ({lines:.2f} lines each), {len(org.contacts)} contacts in {sb.generated_seconds:.2f} s (app ready in {time.perf_counter() - t0:.2f} s)"
    )
    with serve_app_in_thread(app) as base, httpx.Client(base_url=base, timeout=60) as client:
        token, tenants = connect(client)
        headers = {
            "Authorization": f"Bearer {token}",
            "xero-tenant-id": tenants[org.name],
            "Accept": "application/json",
        }
        pages = -(-len(org.invoices) // 1000)
        for label in ("cold", "warm"):
            server, wall, size = [], [], 0
            for page in range(1, pages + 1):
                t = time.perf_counter()
                r = client.get(
                    "/api.xro/2.0/Invoices",
                    params={"page": page, "pageSize": 1000, "order": "UpdatedDateUTC ASC"},
                    headers=headers,
                )
                body = r.content
                wall.append((time.perf_counter() - t) * 1000)
                server.append(float(r.headers["server-timing"].split("dur=")[1]))
                size = max(size, len(body))
            print(
                f"{label}: 1,000-invoice page with lines ({size // 1024} KiB): server median {statistics.median(server):.1f} ms (max {max(server):.1f}); client wall median {statistics.median(wall):.1f} ms"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

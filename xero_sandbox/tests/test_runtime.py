"""Running the sandbox for real: the CLI as a process, the state file across restarts, the
large size, and the store's UpdatedDateUTC index staying consistent under many edits."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from xero_sandbox.app import create_app
from xero_sandbox.cli import build_parser, config_from_args
from xero_sandbox.server import free_port, sandbox_transport
from xero_sandbox.testing import HEADERS, sandbox_config

from .conftest import AS_OF, connect, make_client

API = "/api.xro/2.0"
ROOT = Path(__file__).resolve().parents[2]


def test_cli_arguments_map_to_config():
    args = build_parser().parse_args(
        [
            "--port",
            "9",
            "--seed",
            "7",
            "--size",
            "small",
            "--invoices",
            "500",
            "--contacts",
            "50",
            "--no-rate-limits",
            "--day-limit",
            "1000",
            "--as-of",
            "2026-11-26",
            "--state-file",
            "x.pickle",
        ]
    )
    cfg = config_from_args(args)
    assert (
        cfg.seed,
        cfg.size,
        cfg.invoices,
        cfg.contacts,
        cfg.rate_limits,
        cfg.day_limit,
        str(cfg.as_of),
        cfg.state_file,
    ) == (7, "small", 500, 50, False, 1000, "2026-11-26", "x.pickle")


def test_cli_serves_over_http(tmp_path):
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "xero_sandbox",
            "--port",
            str(port),
            "--size",
            "small",
            "--as-of",
            "2026-11-26",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(200):
            try:
                r = httpx.get(
                    f"http://127.0.0.1:{port}/.well-known/openid-configuration", timeout=1
                )
                break
            except httpx.TransportError:
                time.sleep(0.05)
        else:
            proc.terminate()  # read its output only once it has stopped: never hang on a pipe
            output, _ = proc.communicate(timeout=10)
            pytest.fail("sandbox CLI did not start: " + (output or b"").decode())
        assert r.status_code == 200 and r.json()["issuer"] == "https://identity.xero.com"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_state_file_keeps_data_and_tokens(tmp_path):
    state = tmp_path / "sandbox.pickle"
    config = sandbox_config(as_of=AS_OF, size="small", frozen_clock=True, state_file=str(state))
    app = create_app(config)
    with httpx.Client(
        transport=sandbox_transport(app), base_url="http://s", headers=HEADERS
    ) as client:
        conn = connect(client)
        t = conn.agency
        cid = client.get(f"{API}/Contacts", headers=conn.headers(t)).json()["Contacts"][0][
            "ContactID"
        ]
        inv = client.post(
            f"/_sandbox/orgs/{t}/invoices",
            json={
                "Type": "ACCREC",
                "Contact": {"ContactID": cid},
                "LineItems": [
                    {"Description": "kept", "Quantity": 1, "UnitAmount": 5, "AccountCode": "200"}
                ],
            },
        ).json()
        client.get(
            f"{API}/Invoices", params={"page": 1}, headers=conn.headers(t)
        )  # fills JSON caches
        assert client.post("/_sandbox/save").status_code == 200
    again = create_app(config)
    with httpx.Client(transport=sandbox_transport(again), base_url="http://s") as client:
        assert (
            client.get(f"{API}/Invoices/{inv['InvoiceID']}", headers=conn.headers(t)).status_code
            == 200
        )
        refreshed = client.post(
            "/connect/token",
            data={"grant_type": "refresh_token", "refresh_token": conn.refresh_token},
            auth=("xeroflow-demo", "xeroflow-demo-secret"),
        )
        assert refreshed.status_code == 200


def test_index_stays_consistent_under_edits(fresh):
    app, client, conn = fresh
    sb = app.state.sandbox
    org = sb.orgs[conn.agency]
    ids = list(org.invoices.items)[:25]
    for i in range(200):
        with sb.lock:
            sb.touch(org, org.invoices, org.invoices.items[ids[i % 25]])
    assert len(org.invoices.index) == len(org.invoices.items) == len(set(org.invoices.index))
    assert org.invoices.index == sorted(org.invoices.index)
    rows = client.get(
        f"{API}/Invoices", params={"page": 1, "pageSize": 1000}, headers=conn.headers(conn.agency)
    ).json()
    assert rows["pagination"]["itemCount"] == len(org.invoices.items)
    assert [r["InvoiceID"] for r in rows["Invoices"][-25:]] == [
        ids[(200 - 25 + k) % 25] for k in range(25)
    ]


def test_demo_company_reset_changes_tenant(fresh):
    _, client, conn = fresh
    new = client.post(f"/_sandbox/orgs/{conn.studio}/new-tenant-id").json()["tenantId"]
    assert client.get(f"{API}/Organisation", headers=conn.headers(conn.studio)).status_code == 403
    again = connect(client)
    assert again.studio == new and again.agency == conn.agency


@pytest.mark.slow
def test_large_size_pages():
    app, client = make_client(
        sandbox_config(as_of=AS_OF, size="large", rate_limits=False, frozen_clock=True)
    )
    org = next(iter(app.state.sandbox.orgs.values()))
    assert len(org.invoices) == 50_000 and len(org.contacts) >= 5000
    conn = connect(client)
    body = client.get(
        f"{API}/Invoices",
        params={"page": 50, "pageSize": 1000, "order": "UpdatedDateUTC ASC"},
        headers=conn.headers(conn.agency),
    ).json()
    assert body["pagination"] == {
        "page": 50,
        "pageSize": 1000,
        "pageCount": 50,
        "itemCount": 50_000,
    }
    assert len(body["Invoices"]) == 1000 and all(i["LineItems"] for i in body["Invoices"])
    client.close()


@pytest.mark.slow
def test_bench_runs(capsys):
    from xero_sandbox.bench import main

    assert main(["--invoices", "2500", "--contacts", "200"]) == 0
    out = capsys.readouterr().out
    assert "generated 2500 invoices" in out and "warm: 1,000-invoice page" in out

"""In a real browser: a partner opens Profitability on the synced demo organisations, sees the
charts and that the figures tie to Xero's own P&L, drills into a client, exports the table;
a staff user cannot open the page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.harness import StreamlitServer, signed_in, wait_ready
from tests.profitability.seed import seed_demo
from xeroflow_core import profitability as pf
from xeroflow_core.actor import Actor
from xeroflow_core.db import make_engine, migrate
from xeroflow_core.money import fmt_money

pytestmark = pytest.mark.e2e
ORG = "Demo Agency Ltd"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> Iterator[tuple[StreamlitServer, dict]]:
    """One server for this module; its database synced from the sandbox before it starts."""
    srv = StreamlitServer(tmp_path_factory.mktemp("profitability"))
    engine = make_engine(f"sqlite:///{srv.db_path}")
    migrate(engine)
    demo = seed_demo(engine)
    tid = demo.tenants[ORG]
    view = pf.compute(engine, demo.period, (tid,))
    top = view.table[view.table["row_kind"] == pf.ROW_CLIENT].iloc[0]
    lines = pf.drill_down(
        engine, Actor("t", "partner"), demo.period, (tid,), client_id=int(top["client_id"])
    )
    expected = {
        "period": demo.period,
        "currency": view.table.iloc[0]["currency"],
        "client": top["client"],
        "revenue": top["revenue"],
        "lines": len(lines),
        "total_revenue": view.totals.iloc[0]["revenue"],
    }
    everyone = pf.compute(engine, demo.period, None)
    opening = pf.default_organisation(everyone.orgs, everyone.revenue_by_tenant())
    expected["default_org"] = everyone.orgs[opening].name
    expected["groups"] = [
        pf.group_label(c, everyone.orgs, tuple(everyone.orgs)) for c in everyone.currencies
    ]
    engine.dispose()
    srv.start()
    yield srv, expected
    srv.stop()


def pick(page: Page, label: str, text: str) -> None:
    """Choose `text` in the Streamlit select labelled `label`."""
    box = page.get_by_label(label, exact=True)
    box.click()
    box.fill(text) if box.is_editable() else page.keyboard.type(text)
    page.get_by_role("option", name=re.compile(re.escape(text))).first.click()
    wait_ready(page)


def test_partner_sees_charts_ties_and_drills_into_a_client(page: Page, seeded) -> None:
    server, exp = seeded
    signed_in(page, server, "partner")
    page.goto(f"{server.url}/profitability")
    wait_ready(page)
    expect(page.get_by_role("heading", name="Profitability")).to_be_visible()
    # it opens on the organisation with the most revenue last month, not "All organisations"
    expect(page.get_by_role("combobox", name="Organisation")).to_have_value(exp["default_org"])
    pick(page, "Organisation", ORG)
    cur = exp["currency"]
    main = page.get_by_test_id("stMain")
    headline = main.get_by_test_id("stMetric").first
    expect(headline).to_contain_text(f"Revenue ({cur})")
    expect(headline).to_contain_text(fmt_money(exp["total_revenue"]))
    # charts: per client, concentration, margin trend
    expect(main.get_by_test_id("stPlotlyChart")).to_have_count(3)
    expect(main.locator(".js-plotly-plot").first).to_be_visible()
    expect(
        page.get_by_text(re.compile(r"of the clients' revenue \(\d+ clients? with revenue\)"))
    ).to_be_visible()
    expect(page.get_by_text("last 12 months").first).to_be_attached()  # a month: 12-month trend
    expect(page.get_by_text("Ties to the cent")).to_be_visible()
    expect(page.get_by_text("before people costs").first).to_be_attached()

    # drill into the largest client: its figures and the lines behind them
    pick(page, "Client (or click a bar above)", exp["client"])
    expect(
        page.get_by_text(f"The documents behind these figures ({exp['lines']} lines)")
    ).to_be_visible()
    drill = main.get_by_test_id("stMetric").filter(has_text="Revenue").nth(1)
    expect(drill).to_contain_text(fmt_money(exp["revenue"], cur))
    expect(main.get_by_test_id("stPlotlyChart")).to_have_count(4)  # + its monthly chart

    # the table as shown, as CSV
    with page.expect_download() as dl:
        page.get_by_role("button", name="Download CSV").click()
    text = Path(dl.value.path()).read_text(encoding="utf-8")
    assert text.splitlines()[0] == "Client,Revenue,Direct costs,Gross profit,Margin %,Currency"
    assert exp["client"] in text and "Unattributed costs" in text


def test_all_organisations_labels_each_currency_group(page: Page, seeded) -> None:
    server, exp = seeded
    signed_in(page, server, "partner")
    page.goto(f"{server.url}/profitability")
    wait_ready(page)
    pick(page, "Organisation", "All organisations")
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text(re.compile(r"^Figures for "))).to_be_visible()
    for label in exp["groups"] if len(exp["groups"]) > 1 else []:
        expect(main.get_by_text(label, exact=True).first).to_be_visible()


def test_staff_cannot_open_profitability(page: Page, seeded) -> None:
    server, _ = seeded
    signed_in(page, server, "staff")
    page.goto(f"{server.url}/profitability")
    wait_ready(page)
    page.wait_for_timeout(1000)
    wait_ready(page)
    expect(page.get_by_role("heading", name="Profitability")).to_have_count(0)
    expect(page.get_by_test_id("stPlotlyChart")).to_have_count(0)
    expect(page.get_by_text("Ties to the cent")).to_have_count(0)

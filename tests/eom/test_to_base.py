"""One base-currency conversion (finding 6): money.to_base rounds each line to the cent as Xero
posts it, and the profitability query uses that same function."""

from __future__ import annotations

from decimal import Decimal as D

from xeroflow_core import money
from xeroflow_core.profitability import query


def test_to_base_rounds_each_line_to_the_cent() -> None:
    assert money.to_base(D("100.00"), D("1.5")) == D("66.67")
    assert money.to_base(D("10.00"), D("0.55")) == D("18.18")
    assert money.to_base(D("12.34"), None) == D("12.34")
    assert money.to_base(D("12.34"), D("1")) == D("12.34")
    assert money.to_base(D("12.34"), D("0")) == D("12.34")  # no rate known: as it is


def test_one_to_base_everywhere() -> None:
    assert query.to_base is money.to_base

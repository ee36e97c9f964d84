"""The demo chart of accounts, tax rates, name lists and calendar helpers for the generator."""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal

from .models import Account, TaxRate
from .store import Org

D = Decimal


class Ids:
    """Deterministic UUID4 strings from a seeded RNG."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def __call__(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))


PREFIX = [
    "Harbour",
    "Kowhai",
    "Summit",
    "Tui",
    "Northern",
    "Coastal",
    "Alpine",
    "Southern",
    "Kauri",
    "Rata",
    "Pohutukawa",
    "Silver",
    "Fern",
    "Totara",
    "Kea",
    "Ruru",
    "Matai",
    "Beacon",
    "Meridian",
    "Cobalt",
    "Ember",
    "Juniper",
    "Lumen",
    "Orchard",
    "Quarry",
    "Riverstone",
    "Saltwater",
    "Tidal",
    "Urban",
    "Vantage",
    "Willow",
    "Atlas",
    "Brightwater",
    "Cedar",
    "Driftwood",
    "Evergreen",
]


TRADE = [
    "Dental",
    "Coffee",
    "Roasters",
    "Architects",
    "Brewing",
    "Motors",
    "Physio",
    "Legal",
    "Realty",
    "Bakery",
    "Cycles",
    "Fitness",
    "Vineyard",
    "Logistics",
    "Studios",
    "Pharmacy",
    "Outdoors",
    "Optometry",
    "Builders",
    "Insurance",
    "Foods",
    "Apparel",
    "Gardens",
    "Veterinary",
    "Accounting",
    "Hotel",
    "Marine",
    "Solar",
    "Robotics",
    "Academy",
]


SUFFIX = ["Ltd", "Limited", "& Co", "Group", "Trust", "Partners"]


SUPPLIERS = [
    ("Pixel Freelance Studio", "320"),
    ("CodeCraft Contractors", "320"),
    ("Wordsmith Copywriting", "320"),
    ("Frame & Lens Photography", "320"),
    ("Motion Lab Animation", "320"),
    ("Voiceworks Audio", "320"),
    ("PrintHaus Production", "310"),
    ("Media Buy Direct", "310"),
    ("StockShot Images", "310"),
    ("Cloudhost Servers", "310"),
    ("Event Hire Co", "310"),
    ("Signage Plus", "310"),
    ("Queen Street Properties", "469"),
    ("Mercury Power", "445"),
    ("One Telco", "489"),
    ("Xpert Accountants", "412"),
    ("SaaSly Subscriptions", "485"),
    ("Air Travel Agency", "493"),
    ("Stationery Warehouse", "461"),
    ("Harbour Insurance Brokers", "433"),
    ("Cafe Nero", "420"),
    ("Google Ads", "400"),
    ("LinkedIn Ads", "400"),
    ("Bank Fees Ltd", "404"),
    ("General Supplies Co", "429"),
]


FIRST = [
    "Aroha",
    "Ben",
    "Chloe",
    "Daniel",
    "Emma",
    "Finn",
    "Grace",
    "Hemi",
    "Isla",
    "James",
    "Kiri",
    "Liam",
    "Mia",
    "Noah",
    "Olivia",
    "Peter",
    "Quinn",
    "Ruby",
    "Sam",
    "Tama",
]


LAST = [
    "Smith",
    "Williams",
    "Brown",
    "Taylor",
    "Wilson",
    "Ngata",
    "Walker",
    "Clark",
    "Patel",
    "Singh",
    "Lee",
    "King",
    "Wright",
    "Scott",
    "Green",
]


def accounts(ids: Ids, org: Org, sales: str, purchases: str, none: str, stamp: datetime) -> None:
    spec = [
        ("090", "Business Bank Account", "BANK", "ASSET", none, None),
        ("200", "Sales", "REVENUE", "REVENUE", sales, None),
        ("210", "Project Fees", "REVENUE", "REVENUE", sales, None),
        ("260", "Other Revenue", "OTHERINCOME", "REVENUE", sales, None),
        ("270", "Interest Income", "OTHERINCOME", "REVENUE", none, None),
        ("310", "Cost of Goods Sold", "DIRECTCOSTS", "EXPENSE", purchases, None),
        ("320", "Subcontractors", "DIRECTCOSTS", "EXPENSE", purchases, None),
        ("400", "Advertising", "OVERHEADS", "EXPENSE", purchases, None),
        ("404", "Bank Fees", "OVERHEADS", "EXPENSE", none, None),
        ("412", "Consulting & Accounting", "EXPENSE", "EXPENSE", purchases, None),
        ("420", "Entertainment", "EXPENSE", "EXPENSE", purchases, None),
        ("429", "General Expenses", "OVERHEADS", "EXPENSE", purchases, None),
        ("433", "Insurance", "EXPENSE", "EXPENSE", purchases, None),
        ("445", "Light, Power, Heating", "OVERHEADS", "EXPENSE", purchases, None),
        ("461", "Printing & Stationery", "OVERHEADS", "EXPENSE", purchases, None),
        ("469", "Rent", "OVERHEADS", "EXPENSE", purchases, None),
        ("477", "Wages and Salaries", "EXPENSE", "EXPENSE", none, None),
        ("485", "Subscriptions", "OVERHEADS", "EXPENSE", purchases, None),
        ("489", "Telephone & Internet", "OVERHEADS", "EXPENSE", purchases, None),
        ("493", "Travel - National", "OVERHEADS", "EXPENSE", purchases, None),
        ("610", "Accounts Receivable", "CURRENT", "ASSET", none, "DEBTORS"),
        ("800", "Accounts Payable", "CURRLIAB", "LIABILITY", none, "CREDITORS"),
        ("820", "GST", "CURRLIAB", "LIABILITY", none, "GST"),
        ("999", "Old Marketing (archived)", "OVERHEADS", "EXPENSE", purchases, None),
    ]
    for code, name, typ, cls, tax, system in spec:
        acc = Account(ids(), code, name, typ, cls, tax, stamp, system_account=system)
        if code == "999":
            acc.status = "ARCHIVED"
        org.accounts[acc.id] = acc


def tax_rates(org: Org) -> tuple[str, str, str, str]:
    """Tax rates of the org's country; returns (sales, purchases, none, zero-rated export)."""
    if org.country_code == "NZ":
        rates = [
            TaxRate("GST on Income", "OUTPUT2", D("15"), "OUTPUT", expenses=False),
            TaxRate("GST on Expenses", "INPUT2", D("15"), "INPUT", revenue=False),
            TaxRate("No GST", "NONE", D("0"), "NONE"),
            TaxRate("Zero Rated", "ZERORATED", D("0"), "OUTPUT", expenses=False),
            TaxRate("GST on Imports", "GSTONIMPORTS", D("0"), "GSTONIMPORTS", revenue=False),
        ]
        codes = ("OUTPUT2", "INPUT2", "NONE", "ZERORATED")
    else:
        rates = [
            TaxRate("GST on Income", "OUTPUT", D("10"), "OUTPUT", expenses=False),
            TaxRate("GST on Expenses", "INPUT", D("10"), "INPUT", revenue=False),
            TaxRate("GST Free Income", "EXEMPTOUTPUT", D("0"), "EXEMPTOUTPUT", expenses=False),
            TaxRate("GST Free Expenses", "EXEMPTEXPENSES", D("0"), "EXEMPTEXPENSES", revenue=False),
            TaxRate("BAS Excluded", "BASEXCLUDED", D("0"), "BASEXCLUDED"),
        ]
        codes = ("OUTPUT", "INPUT", "BASEXCLUDED", "EXEMPTOUTPUT")
    for r in rates:
        org.tax_rates[r.tax_type] = r
    return codes


def month_end(y: int, m: int) -> date:
    nxt = date(y + (m == 12), m % 12 + 1, 1)
    return nxt - timedelta(days=1)


def months_before(as_of: date, n: int) -> list[tuple[int, int]]:
    y, m = as_of.year, as_of.month
    out = []
    for _ in range(n):
        m -= 1
        if m == 0:
            y, m = y - 1, 12
        out.append((y, m))
    return out[::-1]

"""One Settings object for the whole app: environment variables first, then Streamlit secrets.

Why one place: the worker, the CLI and the Streamlit pages must agree on the database, the keys
and Xero's addresses, and production must refuse to start on the demo defaults.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
SECRETS_FILE = ROOT / ".streamlit" / "secrets.toml"

# Demo keys: only ever used outside production mode (see Settings.check_production).
DEMO_COOKIE_KEY = "xeroflow-demo-cookie-key-not-for-production-use-0001"
DEMO_TOKEN_KEY = "EvH741FXF0mTYWdnvHqNS0vMTXLxXv57fSYrDbu7xtw="  # a Fernet key, demo only

DEMO_CLIENT_ID = "xeroflow-demo"
DEMO_CLIENT_SECRET = "xeroflow-demo-secret"

# Granular scopes: apps created since 2 March 2026 may only ask for these. Never payroll.
# Classic expense claims need `accounting.classicexpenses.read`, which Xero keeps for legacy
# apps only: asking for it on a new app can fail the whole consent, so it is opt-in
# (XERO_SCOPES) for real Xero, and on by default against the sandbox so the demo shows claims.
GRANULAR_SCOPES = (
    "openid profile email offline_access "
    "accounting.settings.read accounting.contacts.read accounting.invoices "
    "accounting.reports.profitandloss.read"
)
CLASSIC_EXPENSES_SCOPE = "accounting.classicexpenses.read"
# Broad scopes for Xero apps created before March 2026 (deprecated by Xero in September 2027).
BROAD_SCOPES = (
    "openid profile email offline_access "
    "accounting.settings.read accounting.contacts.read accounting.transactions "
    "accounting.reports.read"
)


ENVIRONMENTS = ("demo", "production")


class SettingsError(RuntimeError):
    """The configuration cannot run: says which variable to set and why."""


def _secrets() -> dict[str, object]:
    if not SECRETS_FILE.exists():
        return {}
    with SECRETS_FILE.open("rb") as fh:
        return tomllib.load(fh)


def _get(name: str, secrets: dict[str, object], default: str | None = None) -> str | None:
    """Environment first, then secrets.toml (top-level key, same name, any case), stripped of
    surrounding spaces: "production " is production, and a key with a stray space is the same
    key for the production check as for its use."""
    if name in os.environ:
        return os.environ[name].strip()
    for key in (name, name.lower()):
        if key in secrets and not isinstance(secrets[key], dict):
            return str(secrets[key]).strip()
    return default


@dataclass(frozen=True)
class Settings:
    env: str = "demo"
    database_url: str = f"sqlite:///{DATA_DIR / 'xeroflow.db'}"
    cookie_key: str = field(default=DEMO_COOKIE_KEY, repr=False)
    cookie_name: str = "xeroflow_auth"
    cookie_expiry_days: float = 1.0
    token_key: str = field(default=DEMO_TOKEN_KEY, repr=False)
    xero_client_id: str = DEMO_CLIENT_ID
    xero_client_secret: str = field(default=DEMO_CLIENT_SECRET, repr=False)
    xero_redirect_uri: str = "http://localhost:8501/connect"
    xero_scopes: str = GRANULAR_SCOPES
    xero_login_url: str = "https://login.xero.com"
    xero_identity_url: str = "https://identity.xero.com"
    xero_api_url: str = "https://api.xero.com"
    sandbox_url: str = "http://127.0.0.1:8765"
    login_sleep_time: float = 0.7
    sync_fast_minutes: int = 5
    sync_slow_minutes: int = 60
    api_reserve_calls: int = 200
    log_level: str = "INFO"
    rounding: str = "half_up"  # midpoint rounding of money (Xero's mode is unconfirmed)

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def demo_mode(self) -> bool:
        """Demo mode: no real Xero client id configured, so the app talks to the sandbox."""
        return self.xero_client_id == DEMO_CLIENT_ID

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def authorize_endpoint(self) -> str:
        return f"{self.xero_login_url}/identity/connect/authorize"

    @property
    def token_endpoint(self) -> str:
        return f"{self.xero_identity_url}/connect/token"

    @property
    def revocation_endpoint(self) -> str:
        return f"{self.xero_identity_url}/connect/revocation"

    @property
    def connections_url(self) -> str:
        return f"{self.xero_api_url}/connections"

    @property
    def accounting_url(self) -> str:
        return f"{self.xero_api_url}/api.xro/2.0"

    def check_production(self) -> None:
        """Refuse to run production on demo keys, weak keys or the demo Xero app."""
        if not self.production:
            return
        problems = []
        if self.cookie_key == DEMO_COOKIE_KEY or len(self.cookie_key) < 32:
            problems.append("XEROFLOW_COOKIE_KEY (32 or more random characters)")
        if self.token_key == DEMO_TOKEN_KEY or not _is_fernet_key(self.token_key):
            problems.append("XEROFLOW_TOKEN_KEY (a key from Fernet.generate_key())")
        if self.demo_mode or not self.xero_client_secret:
            problems.append("XERO_CLIENT_ID and XERO_CLIENT_SECRET (your Xero app)")
        if problems:
            raise SettingsError(
                "XEROFLOW_ENV=production needs its own keys and Xero app; set "
                + ", ".join(problems)
                + " (see README, 'Running in production')."
            )


def _is_fernet_key(key: str) -> bool:
    try:
        Fernet(key.strip().encode())
    except ValueError:
        return False
    return True


def _rounding(value: str | None) -> str:
    mode = (value or "half_up").strip().lower().replace("-", "_")
    if mode not in ("half_up", "half_even"):
        raise SettingsError("XEROFLOW_ROUNDING must be half_up (default) or half_even")
    return mode


def load_settings() -> Settings:
    """Read the environment (and .streamlit/secrets.toml) into a fresh Settings."""
    s = _secrets()
    env = (_get("XEROFLOW_ENV", s, "demo") or "demo").lower()
    if env not in ENVIRONMENTS:
        raise SettingsError(
            f"XEROFLOW_ENV must be {' or '.join(ENVIRONMENTS)} (got {env!r}): an unknown value "
            "would silently run in demo mode"
        )
    client_id = _get("XERO_CLIENT_ID", s) or DEMO_CLIENT_ID
    demo = client_id == DEMO_CLIENT_ID
    sandbox_url = (_get("XEROFLOW_SANDBOX_URL", s, "http://127.0.0.1:8765") or "").rstrip("/")
    xero_default = {
        "login": sandbox_url if demo else "https://login.xero.com",
        "identity": sandbox_url if demo else "https://identity.xero.com",
        "api": sandbox_url if demo else "https://api.xero.com",
    }
    cookie_default = None if env == "production" else DEMO_COOKIE_KEY
    token_default = None if env == "production" else DEMO_TOKEN_KEY
    settings = Settings(
        env=env,
        database_url=_get("DATABASE_URL", s, Settings.database_url) or Settings.database_url,
        cookie_key=_get("XEROFLOW_COOKIE_KEY", s, cookie_default) or DEMO_COOKIE_KEY,
        cookie_expiry_days=float(_get("XEROFLOW_COOKIE_EXPIRY_DAYS", s, "1") or 1),
        token_key=_get("XEROFLOW_TOKEN_KEY", s, token_default) or DEMO_TOKEN_KEY,
        xero_client_id=client_id,
        xero_client_secret=_get("XERO_CLIENT_SECRET", s, DEMO_CLIENT_SECRET if demo else "") or "",
        xero_redirect_uri=_get("XERO_REDIRECT_URI", s, Settings.xero_redirect_uri)
        or Settings.xero_redirect_uri,
        xero_scopes=" ".join(
            (
                _get("XERO_SCOPES", s)
                or (f"{GRANULAR_SCOPES} {CLASSIC_EXPENSES_SCOPE}" if demo else GRANULAR_SCOPES)
            ).split()
        ),
        xero_login_url=(_get("XERO_LOGIN_URL", s, xero_default["login"]) or "").rstrip("/"),
        xero_identity_url=(_get("XERO_IDENTITY_URL", s, xero_default["identity"]) or "").rstrip(
            "/"
        ),
        xero_api_url=(_get("XERO_API_URL", s, xero_default["api"]) or "").rstrip("/"),
        sandbox_url=sandbox_url,
        login_sleep_time=float(_get("XEROFLOW_LOGIN_SLEEP", s, "0.7") or 0.7),
        sync_fast_minutes=int(_get("XEROFLOW_SYNC_FAST_MINUTES", s, "5") or 5),
        sync_slow_minutes=int(_get("XEROFLOW_SYNC_SLOW_MINUTES", s, "60") or 60),
        api_reserve_calls=int(_get("XEROFLOW_API_RESERVE", s, "200") or 200),
        log_level=_get("XEROFLOW_LOG_LEVEL", s, "INFO") or "INFO",
        rounding=_rounding(_get("XEROFLOW_ROUNDING", s, "half_up")),
    )
    settings.check_production()
    return settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once; tests build their own with load_settings)."""
    return load_settings()

"""Settings, permissions, users and the CLI: the base every feature stands on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from xeroflow_core import audit
from xeroflow_core import settings as settings_mod
from xeroflow_core.actor import Actor
from xeroflow_core.db import make_engine
from xeroflow_core.settings import (
    DEMO_COOKIE_KEY,
    DEMO_TOKEN_KEY,
    GRANULAR_SCOPES,
    SettingsError,
    load_settings,
)
from xeroflow_core.ui.pages import PAGES, pages_for
from xeroflow_core.users import (
    PERMISSIONS,
    PermissionDenied,
    add_user,
    can,
    ensure_demo_users,
    list_users,
    require,
    set_disabled,
    set_role,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No XEROFLOW_/XERO_ variables and no secrets file: the defaults a newcomer gets."""
    for name in list(os.environ):
        if name.startswith(("XEROFLOW_", "XERO_")) or name == "DATABASE_URL":
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(settings_mod, "SECRETS_FILE", tmp_path / "no-secrets.toml")
    return monkeypatch


# --- permissions -----------------------------------------------------------------------------

ROLE_PAGES = {
    "partner": {"home", "sync_status", "profitability", "eom_review", "connect"},
    "staff": {"home", "sync_status", "unmatched", "clients", "connect"},
    "admin": set(PAGES),
}


@pytest.mark.parametrize("role", ["partner", "staff", "admin"])
def test_each_role_gets_exactly_its_pages(role: str) -> None:
    assert {p.key for p in pages_for(role)} == ROLE_PAGES[role]


def test_design_table_of_actions() -> None:
    """The roles table of the README, row by row."""
    assert can("partner", "view_profitability") and not can("staff", "view_profitability")
    assert can("admin", "resync") and not can("partner", "resync") and not can("staff", "resync")
    assert [r for r in ("partner", "staff", "admin") if can(r, "manage_connection")] == ["admin"]
    assert not can("partner", "resolve_queue") and can("staff", "resolve_queue")
    assert can("staff", "edit_clients") and not can("partner", "edit_clients")
    assert can("partner", "review_eom") and not can("partner", "push_eom")
    assert not can("staff", "review_eom") and can("admin", "push_eom")
    assert not can(None, "view_sync_status")


def test_require_refuses_on_the_server() -> None:
    require(Actor("a", "admin"), "push_eom")
    with pytest.raises(PermissionDenied, match="partner"):
        require(Actor("p", "partner"), "push_eom")


def test_url_paths_are_stable() -> None:
    assert {p.url_path for p in PAGES.values()} >= {
        "connect", "sync-status", "unmatched", "clients", "profitability", "eom-review",
    }  # fmt: skip
    for spec in PAGES.values():
        assert (ROOT / spec.file).exists(), spec.file
        assert spec.permission in PERMISSIONS
        source = (ROOT / spec.file).read_text()
        assert f'require_page("{spec.key}")' in source, f"{spec.file} must start with its guard"
    defaults = [p.key for p in PAGES.values() if not p.url_path]
    assert defaults == ["home"]  # one page at the root; every other page has its own path
    assert not (ROOT / "pages").exists()  # Streamlit would serve a pages/ folder on its own


# --- settings --------------------------------------------------------------------------------


def test_demo_defaults_point_at_the_sandbox(clean_env) -> None:
    s = load_settings()
    assert s.demo_mode and not s.production
    assert s.is_sqlite and s.database_url.endswith("data/xeroflow.db")
    assert s.token_endpoint == "http://127.0.0.1:8765/connect/token"
    assert s.accounting_url == "http://127.0.0.1:8765/api.xro/2.0"
    assert s.xero_scopes.split() == GRANULAR_SCOPES.split() + ["accounting.classicexpenses.read"]
    assert "payroll" not in s.xero_scopes


def test_a_real_client_id_talks_to_real_xero(clean_env) -> None:
    clean_env.setenv("XERO_CLIENT_ID", "ABC123")
    clean_env.setenv("XERO_CLIENT_SECRET", "s3cret")
    s = load_settings()
    assert not s.demo_mode
    assert s.authorize_endpoint == "https://login.xero.com/identity/connect/authorize"
    assert s.token_endpoint == "https://identity.xero.com/connect/token"
    assert s.connections_url == "https://api.xero.com/connections"
    assert s.xero_scopes.split() == GRANULAR_SCOPES.split()  # no legacy-only scope by default


def test_database_url_switches_to_postgres(clean_env) -> None:
    clean_env.setenv("DATABASE_URL", "postgresql+psycopg://u@h/db")
    assert not load_settings().is_sqlite


def test_production_refuses_demo_or_weak_keys_and_the_demo_app(clean_env) -> None:
    clean_env.setenv("XEROFLOW_ENV", "production")
    with pytest.raises(SettingsError) as err:
        load_settings()
    for name in ("XEROFLOW_COOKIE_KEY", "XEROFLOW_TOKEN_KEY", "XERO_CLIENT_ID"):
        assert name in str(err.value)
    # the values of secrets.toml.example are placeholders, not keys
    clean_env.setenv("XEROFLOW_COOKIE_KEY", "change-me")
    clean_env.setenv("XEROFLOW_TOKEN_KEY", "change-me")
    clean_env.setenv("XERO_CLIENT_ID", "ABC123")
    clean_env.setenv("XERO_CLIENT_SECRET", "s3cret")
    with pytest.raises(SettingsError, match="XEROFLOW_COOKIE_KEY.*XEROFLOW_TOKEN_KEY"):
        load_settings()
    clean_env.setenv("XEROFLOW_COOKIE_KEY", "k" * 40)
    clean_env.setenv("XEROFLOW_TOKEN_KEY", Fernet.generate_key().decode())
    s = load_settings()
    assert s.production and not s.demo_mode and s.cookie_key != DEMO_COOKIE_KEY
    assert s.xero_api_url == "https://api.xero.com"


def test_settings_repr_hides_secrets(clean_env) -> None:
    clean_env.setenv("XEROFLOW_COOKIE_KEY", "cookie-secret-" + "x" * 30)
    clean_env.setenv("XERO_CLIENT_SECRET", "client-secret-value")
    text = repr(load_settings())
    assert "cookie-secret" not in text and "client-secret-value" not in text
    assert DEMO_TOKEN_KEY not in text


def test_secrets_file_is_read_and_env_wins(clean_env, tmp_path) -> None:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('XERO_CLIENT_ID = "from-secrets"\nXERO_SCOPES = "openid  offline_access"\n')
    clean_env.setattr(settings_mod, "SECRETS_FILE", secrets)
    s = load_settings()
    assert s.xero_client_id == "from-secrets" and s.xero_scopes == "openid offline_access"
    clean_env.setenv("XERO_CLIENT_ID", "from-env")
    assert load_settings().xero_client_id == "from-env"


# --- users -----------------------------------------------------------------------------------


def test_demo_users_once_and_roles(engine) -> None:
    assert ensure_demo_users(engine) is True
    assert ensure_demo_users(engine) is False
    roles = {u.username: u.role for u in list_users(engine)}
    assert roles == {"admin": "admin", "partner": "partner", "staff": "staff"}
    assert all(u.password_hash.startswith("$2b$") for u in list_users(engine))


def test_user_management(engine) -> None:
    add_user(engine, "Jo.Bloggs", "long-enough-pw", "staff", name="Jo Bloggs")
    with pytest.raises(ValueError, match="exists"):
        add_user(engine, "jo.bloggs", "long-enough-pw", "staff")
    with pytest.raises(ValueError, match="role"):
        add_user(engine, "kim", "long-enough-pw", "owner")
    with pytest.raises(ValueError, match="at least 10 characters"):
        add_user(engine, "kim", "short", "staff")
    set_role(engine, "jo.bloggs", "partner")
    set_disabled(engine, "jo.bloggs")
    assert [(u.username, u.role, u.disabled) for u in list_users(engine)] == [
        ("jo.bloggs", "partner", True)
    ]
    trail = [(r.action, r.target, r.username) for r in reversed(audit.recent(engine))]
    assert trail == [
        ("user.add", "user:jo.bloggs", "system"),
        ("user.set_role", "user:jo.bloggs", "system"),
        ("user.disable", "user:jo.bloggs", "system"),
    ]


def test_users_cli_round_trip(tmp_path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    env.pop("XEROFLOW_ENV", None)

    def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "xeroflow_core", *args],
            cwd=ROOT, env=env, input=stdin, capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    assert (
        cli("users", "add", "olga", "--role", "admin", stdin="a-strong-password\n").returncode == 0
    )
    assert cli("users", "set-role", "olga", "partner").returncode == 0
    listing = cli("users", "list").stdout
    assert "olga" in listing and "partner" in listing
    bad = cli("users", "add", "olga", "--role", "admin", stdin="a-strong-password\n")
    assert bad.returncode == 2 and "exists" in bad.stderr
    assert "a-strong-password" not in listing
    trail = audit.recent(make_engine(env["DATABASE_URL"]))
    assert {r.action for r in trail} == {"user.add", "user.set_role"}
    assert all(r.username.startswith("cli:") for r in trail)


def test_production_cli_refuses_to_start_without_keys(tmp_path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("XEROFLOW_", "XERO_"))},
        "XEROFLOW_ENV": "production",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.db'}",
    }
    for command in (["setup"], ["worker"]):
        out = subprocess.run(
            [sys.executable, "-m", "xeroflow_core", *command],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert out.returncode == 2, out
        assert "XEROFLOW_COOKIE_KEY" in out.stderr
    assert not (tmp_path / "prod.db").exists(), "no database (and no demo users) in production"

"""No demo account survives into production, settings are read stripped, user changes need
`manage_users`, and new passwords have a minimum strength."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from xeroflow_core import settings as settings_mod
from xeroflow_core.actor import SYSTEM, Actor
from xeroflow_core.settings import DEMO_TOKEN_KEY, SettingsError, load_settings
from xeroflow_core.users import (
    PermissionDenied,
    add_user,
    check_password_strength,
    demo_password_users,
    ensure_demo_users,
    list_users,
    refuse_demo_passwords,
    set_disabled,
    set_role,
)

ROOT = Path(__file__).resolve().parents[2]
PROD_KEYS = {
    "XEROFLOW_COOKIE_KEY": "c" * 48,
    "XEROFLOW_TOKEN_KEY": Fernet.generate_key().decode(),
    "XERO_CLIENT_ID": "ABC123",
    "XERO_CLIENT_SECRET": "s3cret",
}


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in list(os.environ):
        if name.startswith(("XEROFLOW_", "XERO_")) or name == "DATABASE_URL":
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(settings_mod, "SECRETS_FILE", tmp_path / "no-secrets.toml")
    return monkeypatch


# --- settings are stripped before they are checked -------------------------------------------


def test_xerflow_env_with_a_stray_space_is_production(clean_env) -> None:
    clean_env.setenv("XEROFLOW_ENV", "production ")
    with pytest.raises(SettingsError, match="XEROFLOW_COOKIE_KEY"):
        load_settings()
    for name, value in PROD_KEYS.items():
        clean_env.setenv(name, f" {value}\n")
    s = load_settings()
    assert s.production and s.xero_client_id == "ABC123" and s.xero_client_secret == "s3cret"
    assert s.token_key == PROD_KEYS["XEROFLOW_TOKEN_KEY"]


def test_the_demo_token_key_with_a_space_is_still_the_demo_key(clean_env) -> None:
    for name, value in PROD_KEYS.items():
        clean_env.setenv(name, value)
    clean_env.setenv("XEROFLOW_ENV", "production")
    clean_env.setenv("XEROFLOW_TOKEN_KEY", DEMO_TOKEN_KEY + " ")
    with pytest.raises(SettingsError, match="XEROFLOW_TOKEN_KEY"):
        load_settings()


def test_an_unknown_environment_is_refused_not_run_as_demo(clean_env) -> None:
    clean_env.setenv("XEROFLOW_ENV", "prod")
    with pytest.raises(SettingsError, match="XEROFLOW_ENV must be demo or production"):
        load_settings()


# --- demo passwords in production ------------------------------------------------------------


def test_demo_passwords_are_found_and_refused_until_disabled(engine) -> None:
    ensure_demo_users(engine)
    add_user(engine, "olga", "a-strong-password", "admin")
    assert demo_password_users(engine) == ["admin", "partner", "staff"]
    with pytest.raises(SettingsError, match="admin, partner, staff still have the public demo"):
        refuse_demo_passwords(engine)
    for name in ("admin", "partner", "staff"):
        set_disabled(engine, name)
    refuse_demo_passwords(engine)  # no error: nobody can sign in with the demo password
    assert demo_password_users(engine) == []


def _cli(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "xeroflow_core", *args],
        cwd=ROOT, env=env, input=stdin, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_a_demo_database_started_in_production_refuses_and_says_who(tmp_path) -> None:
    """Set up in demo mode, then started with XEROFLOW_ENV=production and real keys: setup and
    the worker refuse, `users list` marks the demo passwords, and once they are disabled
    everything starts."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("XEROFLOW_", "XERO_"))}
    demo = {**base, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    assert _cli(demo, "setup").returncode == 0
    prod = {**demo, **PROD_KEYS, "XEROFLOW_ENV": "production"}
    for command in (["setup"], ["worker", "--once"]):
        out = _cli(prod, *command)
        assert out.returncode == 2, out
        assert "admin, partner, staff still have the public demo password" in out.stderr
    listing = _cli(prod, "users", "list").stdout.splitlines()
    assert all("DEMO PASSWORD" in line for line in listing if line.split()[0] in
               ("admin", "partner", "staff"))  # fmt: skip
    assert _cli(prod, "users", "add", "olga", "--role", "admin",
                stdin="a-strong-password\n").returncode == 0  # fmt: skip
    assert "DEMO PASSWORD" not in next(ln for ln in _cli(prod, "users", "list").stdout.splitlines()
                                       if ln.startswith("olga"))  # fmt: skip
    for name in ("admin", "partner", "staff"):
        assert _cli(prod, "users", "disable", name).returncode == 0
    assert _cli(prod, "worker", "--once").returncode == 0


# --- who may change users ---------------------------------------------------------------------


@pytest.mark.parametrize("role", ["staff", "partner"])
def test_changing_users_needs_manage_users(engine, role: str) -> None:
    someone = Actor("someone", role)
    add_user(engine, "jo", "a-strong-password", "staff", actor=SYSTEM)
    with pytest.raises(PermissionDenied):
        add_user(engine, "mallory", "a-strong-password", "admin", actor=someone)
    with pytest.raises(PermissionDenied):
        set_role(engine, "jo", "admin", actor=someone)
    with pytest.raises(PermissionDenied):
        set_disabled(engine, "jo", True, actor=someone)
    assert [(u.username, u.role, u.disabled) for u in list_users(engine)] == [
        ("jo", "staff", False)
    ]
    add_user(engine, "kim", "a-strong-password", "partner", actor=Actor("ada", "admin"))


# --- password strength ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("", "blank"),
        ("          ", "blank"),
        ("12345678", "at least 10"),
        ("password", "at least 10"),
        ("1234567890", "common"),
        ("Password2024!", "common"),
        ("xeroflow-demo", "common"),
        ("qwertyuiop", "common"),
        ("zzzzzzzzzzzz", "repeated"),
        ("jo.bloggs.jo.bloggs", "user name"),
        ("é" * 40, "at most 72 bytes"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(password: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        check_password_strength(password, "jo.bloggs")


def test_add_user_uses_the_strength_check(engine) -> None:
    with pytest.raises(ValueError, match="common"):
        add_user(engine, "kim", "Password2024!", "staff")
    check_password_strength("correct horse battery staple", "kim")
    add_user(engine, "kim", "correct horse battery staple", "staff")

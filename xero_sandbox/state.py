"""The Sandbox object: data, clock, identity state, limits and faults of one running sandbox.

`app.state.sandbox` is this object, so in-process tests can read and change it directly.
"""

from __future__ import annotations

import gc
import pickle
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .clock import Clock
from .config import SandboxConfig
from .generator import Ids, generate
from .limits import Faults, Limiter
from .store import DemoUser, IdentityState, Org

_KEY: rsa.RSAPrivateKey | None = None


def _process_key() -> rsa.RSAPrivateKey:
    """One RSA key per process: generating 2048-bit keys per sandbox slows test suites down.
    Tokens still do not cross sandboxes: each checks its own issued-token records."""
    global _KEY
    if _KEY is None:
        _KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return _KEY


class Sandbox:
    """One sandbox: orgs by tenant id, identity records, signing key, limits, faults."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.lock = threading.RLock()
        self.clock = Clock.starting_on(config.as_of, frozen=config.frozen_clock)
        self.key = _process_key()
        self.kid = "sandbox-1"
        self.limits = Limiter(self)
        self.faults = Faults()
        self.idempotency: dict[tuple[str, str, str], tuple[float, str, int, bytes]] = {}
        self.access_log: list[dict[str, Any]] = []
        self.orgs: dict[str, Org] = {}
        self.identity = IdentityState()
        self.generated_seconds = 0.0
        if not (config.state_file and self.load(config.state_file)):
            self.reset()

    def reset(self) -> None:
        """Regenerate the demo data and forget every token, code and connection."""
        import random
        import time

        t0 = time.perf_counter()
        start = self.clock.now()
        as_of = self.config.as_of or start.date()
        orgs = generate(
            self.config.seed,
            as_of,
            start,
            self.config.size,
            self.config.invoices,
            self.config.contacts,
        )
        with self.lock:
            self.orgs = {o.tenant_id: o for o in orgs}
            ids = Ids(random.Random(f"users:{self.config.seed}"))
            user = DemoUser(
                ids(), "demo@xeroflow.example", "Demo", "User", [o.tenant_id for o in orgs]
            )
            self.identity = IdentityState(users={user.id: user})
            self.idempotency.clear()
            self.limits.clear()
            self.faults.clear()
        self.generated_seconds = time.perf_counter() - t0
        # Millions of long-lived records: keep the cyclic GC from rescanning them on every page.
        gc.collect()
        gc.freeze()

    @property
    def demo_user(self) -> DemoUser:
        return next(iter(self.identity.users.values()))

    def org(self, tenant_id: str) -> Org | None:
        return self.orgs.get(tenant_id)

    def now(self) -> datetime:
        return self.clock.now()

    def touch(self, org: Org, collection: Any, obj: Any) -> datetime:
        """Re-stamp a changed record: UpdatedDateUTC moves on every change, monotonic per org."""
        when = org.stamp(self.clock.now())
        collection.restamp(obj, when)
        return when

    # Persistence: the data and the identity records survive restarts of `make run`.
    def save(self, path: str) -> None:
        """Write data, identity and signing key to a pickle (atomic rename)."""
        pem = self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        with self.lock:
            for org in self.orgs.values():  # cached JSON holds orjson fragments: not picklable
                for coll in (
                    org.contacts,
                    org.invoices,
                    org.credit_notes,
                    org.receipts,
                    org.expense_claims,
                ):
                    for obj in coll.items.values():
                        obj.cache.clear()
            blob = pickle.dumps(
                {
                    "version": 1,
                    "seed": self.config.seed,
                    "size": self.config.size,
                    "orgs": self.orgs,
                    "identity": self.identity,
                    "key": pem,
                    "clock": self.clock.now(),
                }
            )
        tmp = Path(path).with_suffix(".tmp")
        tmp.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(blob)
        tmp.replace(path)

    def load(self, path: str) -> bool:
        """Load a state file written by `save` for the same seed and size; False if unusable."""
        p = Path(path)
        if not p.exists():
            return False
        try:
            # Trusted input only because nothing but `save` writes this file: its path comes from
            # the command line or config, never from a request, and /_sandbox/save takes no path.
            data = pickle.loads(p.read_bytes())  # noqa: S301
        except Exception:
            return False
        if (
            data.get("version") != 1
            or data.get("seed") != self.config.seed
            or data.get("size") != self.config.size
        ):
            return False
        self.orgs = data["orgs"]
        self.identity = data["identity"]
        self.key = serialization.load_pem_private_key(data["key"], password=None)  # type: ignore[assignment]
        if self.clock.now() < data["clock"]:
            self.clock.set(data["clock"])
        gc.collect()
        gc.freeze()
        return True

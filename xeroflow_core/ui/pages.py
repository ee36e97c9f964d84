"""The pages of the app: file, title, stable URL path, icon, menu section and the permission that
opens each. The menu (app.py) is built from PAGES and every page file guards itself with the same
entry (ui/guard.py); which role holds which permission is users.py."""

from __future__ import annotations

from dataclasses import dataclass

from xeroflow_core.users import PERMISSIONS, can


@dataclass(frozen=True)
class PageSpec:
    """A page of the app: its file, title, stable URL path and the permission to open it.

    The page with an empty URL path is the default page, served at the app's root."""

    key: str
    file: str
    title: str
    url_path: str
    icon: str
    permission: str
    section: str

    @property
    def roles(self) -> frozenset[str]:
        return PERMISSIONS[self.permission]


PAGES: dict[str, PageSpec] = {
    p.key: p
    for p in (
        PageSpec("home", "app_pages/home.py", "Home", "", ":material/home:", "view_sync_status", ""),
        PageSpec("sync_status", "app_pages/sync_status.py", "Sync Status", "sync-status", ":material/sync:", "view_sync_status", "Operations"),
        PageSpec("unmatched", "app_pages/unmatched_queue.py", "Unmatched Queue", "unmatched", ":material/rule:", "resolve_queue", "Operations"),
        PageSpec("clients", "app_pages/clients.py", "Clients", "clients", ":material/groups:", "edit_clients", "Operations"),
        PageSpec("profitability", "app_pages/profitability.py", "Profitability", "profitability", ":material/monitoring:", "view_profitability", "Finance"),
        PageSpec("eom_review", "app_pages/eom_review.py", "EOM Review", "eom-review", ":material/receipt_long:", "review_eom", "Finance"),
        PageSpec("connect", "app_pages/connect.py", "Connect", "connect", ":material/link:", "view_connection", "Setup"),
        PageSpec("audit", "app_pages/audit_log.py", "Audit Log", "audit", ":material/history:", "view_audit", "Setup"),
    )
}  # fmt: skip


def pages_for(role: str | None) -> list[PageSpec]:
    """The pages a role may open, in menu order."""
    return [p for p in PAGES.values() if can(role, p.permission)]

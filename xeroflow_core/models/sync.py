"""Sync bookkeeping: runs, per-resource state and cursors, requests, leases, API budget.

Owned by the sync engine (xeroflow_core/sync/)."""

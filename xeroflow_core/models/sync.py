"""Sync bookkeeping: runs, per-resource state and cursors, work requests, leases, API budget.

Owned by the sync engine (xeroflow_core/sync/). Every row carries its tenant id; cursors are
Xero's own UpdatedDateUTC values, never the local clock.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from xeroflow_core.models.core import utcnow

__all__ = ["ApiBudget", "SyncResourceState", "SyncRun", "TenantLease", "WorkRequest"]


class SyncRun(SQLModel, table=True):
    """One sync of one organisation: who started it, what each resource cost and gave."""

    __tablename__ = "sync_run"
    __table_args__ = (Index("ix_sync_run_tenant_started", "tenant_id", "started_at"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(max_length=64)
    trigger: str = Field(default="manual", max_length=16)  # initial, scheduled, manual, webhook
    full: bool = Field(default=False)
    # running, ok, partial (some resource failed or unavailable), failed, stopped (daily limit)
    status: str = Field(default="running", max_length=16)
    started_at: dt.datetime = Field(default_factory=utcnow)
    finished_at: dt.datetime | None = None
    calls: int = Field(default=0)
    rows: int = Field(default=0)
    error: str = Field(default="")
    worker: str = Field(default="", max_length=128)
    # resource -> {status, calls, rows, seconds, cursor, error, what_to_do}
    resources: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # {resource, page, pages, rows} while running
    progress: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class SyncResourceState(SQLModel, table=True):
    """Where one resource of one organisation stands: its cursor and its last outcome."""

    __tablename__ = "sync_resource_state"

    tenant_id: str = Field(primary_key=True, max_length=64)
    resource: str = Field(primary_key=True, max_length=32)
    cursor: dt.datetime | None = None  # largest UpdatedDateUTC stored (from Xero's data)
    # A paged read in progress: where it started. Still open at the next run means the process
    # died mid-read, so that run checks Xero's count from here (and re-reads if short).
    pass_open: bool = Field(default=False)
    pass_from: dt.datetime | None = None
    status: str = Field(default="never", max_length=16)  # never, ok, error, unavailable
    rows: int = Field(default=0)  # rows stored for this tenant
    last_attempt_at: dt.datetime | None = None
    last_success_at: dt.datetime | None = None
    last_run_id: int | None = None
    error: str = Field(default="", max_length=4000)  # Xero's own message, as received
    what_to_do: str = Field(default="", max_length=1000)
    problem: str = Field(default="", max_length=64)  # e.g. rate_limit_day, forbidden


class WorkRequest(SQLModel, table=True):
    """Work the UI asks of the worker (a resync, a report, an EOM push): the UI never calls
    Xero on a page render, it writes one of these and the worker picks it up."""

    __tablename__ = "work_request"
    __table_args__ = (Index("ix_work_request_status", "status", "requested_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    tenant_id: str | None = Field(default=None, max_length=64)
    params: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    requested_by: str = Field(default="", max_length=64)
    requested_at: dt.datetime = Field(default_factory=utcnow)
    not_before: dt.datetime | None = None  # a retry waits until then (e.g. Xero's Retry-After)
    status: str = Field(default="pending", max_length=16)  # pending, running, done, failed
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    worker: str = Field(default="", max_length=128)
    error: str = Field(default="", max_length=4000)
    result: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class TenantLease(SQLModel, table=True):
    """Who talks to one organisation right now: taken and renewed by conditional UPDATE, so two
    workers (or a worker and the CLI) never sync one organisation at once."""

    __tablename__ = "tenant_lease"

    tenant_id: str = Field(primary_key=True, max_length=64)
    holder: str = Field(default="", max_length=128)
    expires_at: dt.datetime | None = None
    acquired_at: dt.datetime | None = None


class ApiBudget(SQLModel, table=True):
    """Xero's rate-limit headers as last seen for one organisation (429s included)."""

    __tablename__ = "api_budget"

    tenant_id: str = Field(primary_key=True, max_length=64)
    day: dt.date | None = None  # UTC day the counters below belong to
    calls_today: int = Field(default=0)  # calls we made (our count)
    day_remaining: int | None = None  # X-DayLimit-Remaining
    minute_remaining: int | None = None  # X-MinLimit-Remaining
    problem: str = Field(default="", max_length=32)  # last X-Rate-Limit-Problem
    retry_at: dt.datetime | None = None  # when a day 429 lifts
    updated_at: dt.datetime = Field(default_factory=utcnow)

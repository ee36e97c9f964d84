"""The sandbox clock: real time shifted to a chosen day, movable and freezable by tests.

Tokens, rate-limit windows and UpdatedDateUTC all read this clock, so tests can cross a
30-minute grace period or a daily limit without waiting.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta


class Clock:
    """A UTC clock = real time + offset; `frozen` stops it from ticking on its own."""

    def __init__(self, start: datetime | None = None, frozen: bool = False) -> None:
        self._lock = threading.Lock()
        self._frozen_at: datetime | None = None
        real = datetime.now(UTC)
        start = start or real
        self._offset = start - real
        if frozen:
            self._frozen_at = start

    @classmethod
    def starting_on(cls, day: date | None, frozen: bool = False) -> Clock:
        """A clock whose today is `day`, at the current real time of day."""
        real = datetime.now(UTC)
        if day is None:
            return cls(real, frozen)
        return cls(datetime.combine(day, real.timetz()), frozen)

    def now(self) -> datetime:
        """Current sandbox time (aware UTC, millisecond precision)."""
        with self._lock:
            t = self._frozen_at if self._frozen_at is not None else datetime.now(UTC) + self._offset
        return t.replace(microsecond=t.microsecond // 1000 * 1000)

    def today(self) -> date:
        """Current sandbox calendar date (UTC)."""
        return self.now().date()

    def advance(self, seconds: float) -> datetime:
        """Move the clock forward (or back, with a negative number)."""
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at += timedelta(seconds=seconds)
            else:
                self._offset += timedelta(seconds=seconds)
        return self.now()

    def set(self, when: datetime) -> datetime:
        """Jump to an instant; naive datetimes are UTC."""
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at = when
            else:
                self._offset = when - datetime.now(UTC)
        return self.now()

    def freeze(self, frozen: bool = True) -> None:
        """Stop (or restart) the clock at its current reading."""
        current = self.now()
        with self._lock:
            if frozen:
                self._frozen_at = current
            else:
                self._frozen_at = None
                self._offset = current - datetime.now(UTC)

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None


def midnight(d: date) -> datetime:
    """UTC midnight of a date."""
    return datetime.combine(d, time(0, tzinfo=UTC))

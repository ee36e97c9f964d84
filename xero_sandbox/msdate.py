"""Xero's date formats: MS-JSON `/Date(ms+0000)/`, ISO twins, and request-body dates.

Xero sends date-only fields as the epoch milliseconds of UTC midnight of the calendar date, and
`UpdatedDateUTC` as an instant; connections use ISO without a zone and seven fractional digits.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS_RE = re.compile(r"^/Date\((-?\d+)([+-]\d{2,4})?\)/$")


def date_ms(d: date) -> int:
    """Epoch milliseconds of UTC midnight of a calendar date (never shifted to local time)."""
    return (d - date(1970, 1, 1)).days * 86_400_000


def dt_ms(dt: datetime) -> int:
    """Epoch milliseconds of an aware datetime."""
    return (dt - EPOCH) // timedelta(milliseconds=1)


def ms_to_dt(ms: int) -> datetime:
    """Aware UTC datetime from epoch milliseconds."""
    return EPOCH + timedelta(milliseconds=ms)


def ms_date(d: date) -> str:
    """`/Date(ms+0000)/` for a calendar date, as on Invoice.Date."""
    return f"/Date({date_ms(d)}+0000)/"


def ms_datetime(dt: datetime) -> str:
    """`/Date(ms+0000)/` for an instant, as on UpdatedDateUTC."""
    return f"/Date({dt_ms(dt)}+0000)/"


def ms_envelope(dt: datetime) -> str:
    """`/Date(ms)/` without an offset, as on the envelope DateTimeUTC."""
    return f"/Date({dt_ms(dt)})/"


def date_string(d: date) -> str:
    """ISO local date-time twin, e.g. DateString `2018-10-20T00:00:00`."""
    return f"{d.isoformat()}T00:00:00"


def iso_z(dt: datetime) -> str:
    """UpdatedDateUTCString form `2018-11-02T16:31:30Z`."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso7(dt: datetime) -> str:
    """Connections' form: ISO without a zone, seven fractional digits (UTC)."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0"


def parse_body_date(value: object) -> date | None:
    """A date from a request body: `YYYY-MM-DD`, an ISO date-time, or `/Date(ms)/`."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError("not a date")
    m = _MS_RE.match(value)
    if m:
        return ms_to_dt(int(m.group(1))).date()
    return date.fromisoformat(value[:10])


def parse_if_modified_since(value: str) -> datetime:
    """The If-Modified-Since header: `yyyy-mm-ddThh:mm:ss` (UTC) or ISO with an offset/`Z`."""
    v = value.strip()
    try:
        dt = datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        from email.utils import parsedate_to_datetime

        dt = parsedate_to_datetime(v)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)

"""The deadline, read strictly.

``--due`` takes an ISO 8601 date and time with its offset from UTC (``+01:00``, ``+0100``
or ``Z``), the date and the time separated by ``T`` or a space, and a space allowed before
the offset: ``2026-11-20T23:59+01:00``, ``2026-11-20 23:59 +01:00``. A time without an offset
is read in the zone named by ``--tz`` (an IANA name such as ``Europe/Berlin``, which knows
the zone's summer time). Anything else is refused: a deadline read wrongly flags a whole
class late, or none of it, without a word (nbgrader's own parser drops an offset after a
space and reads ``05/11/2026`` as 11 May).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

EXAMPLE = "2026-11-20 23:59 +01:00"

_ISO = re.compile(r"""^(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<time>\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)
                      \s?(?P<offset>Z|[+-]\d{2}:?\d{2})?$""", re.X)


class DeadlineError(ValueError):
    pass


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise DeadlineError(f"--tz {name!r} is not a time zone name; use an IANA name such as "
                            "Europe/Berlin or America/New_York") from None


def parse_due(text: str, tz: str | None = None) -> datetime:
    """The deadline, from ``text`` (and the zone ``tz`` when ``text`` has no offset), in the
    zone or offset it was given in."""
    m = _ISO.match(text.strip())
    if not m:
        raise DeadlineError(f"--due {text!r} is not a date and time with its offset; write it as "
                            f"--due \"{EXAMPLE}\" (or a local time with --tz Europe/Berlin)")
    try:
        local = datetime.fromisoformat(f"{m['date']}T{m['time']}")
    except ValueError as err:
        raise DeadlineError(f"--due {text!r} is not a date that exists ({err})") from None
    offset = m["offset"]
    if offset is None:
        if tz is None:
            raise DeadlineError(f"--due {text!r} has no offset from UTC; write it as --due \"{EXAMPLE}\", "
                                "or name the zone it is in with --tz Europe/Berlin")
        return _in_zone(local, zone(tz), text)
    if offset == "Z":
        delta = timedelta(0)
    else:
        digits = offset[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:])
        if hours > 23 or minutes > 59:
            raise DeadlineError(f"--due {text!r}: {offset} is not an offset from UTC")
        delta = (1 if offset[0] == "+" else -1) * timedelta(hours=hours, minutes=minutes)
    return local.replace(tzinfo=timezone(delta))


def _in_zone(local: datetime, tz: ZoneInfo, text: str) -> datetime:
    """``local`` in ``tz``; a time the clocks skip or pass twice is refused (nothing to guess)."""
    early, late = local.replace(tzinfo=tz, fold=0), local.replace(tzinfo=tz, fold=1)
    if early.utcoffset() != late.utcoffset():
        raise DeadlineError(f"--due {text!r} never happens or happens twice in {tz.key} (the clocks "
                            "change then); give its offset instead, e.g. +01:00")
    return early


def as_utc(due: datetime) -> datetime:
    """As nbgrader's gradebook keeps times: UTC, without a zone."""
    return due.astimezone(timezone.utc).replace(tzinfo=None)


def describe(due: datetime, tz: str | None = None) -> str:
    """The deadline as the command prints it before grading: in UTC, and where it was given."""
    there = due.astimezone(zone(tz)) if tz else due
    offset = f"{there:%z}"
    where = tz or f"UTC{offset[:3]}:{offset[3:]}"
    return f"{due.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC, which is {there:%Y-%m-%d %H:%M} in {where}"

"""Clocks and local time: when "the morning of the trial" is, for a reader somewhere."""

from __future__ import annotations

import functools
import math
import zoneinfo
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Clock = Callable[[], datetime]
"""Return the current moment, aware (tests pass a clock they move)."""

# Where a case is, when nothing better is known: the zone most of its country lives by.
COUNTRY_ZONES = {
    "KZ": "Asia/Almaty",
    "RU": "Europe/Moscow",
    "BY": "Europe/Minsk",
    "UA": "Europe/Kyiv",
    "KG": "Asia/Bishkek",
    "UZ": "Asia/Tashkent",
    "TJ": "Asia/Dushanbe",
    "AZ": "Asia/Baku",
    "GE": "Asia/Tbilisi",
    "AM": "Asia/Yerevan",
    "TR": "Europe/Istanbul",
    "IR": "Asia/Tehran",
    "CN": "Asia/Shanghai",
    "GB": "Europe/London",
    "DE": "Europe/Berlin",
}


UTC_ZONE = ZoneInfo("UTC")


# Offered as buttons in /settings (any other: /timezone Region/City).
COMMON_ZONES = (
    "Asia/Almaty",
    "Europe/Moscow",
    "Europe/Kyiv",
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
)


def system_clock() -> datetime:
    """Return the current moment in UTC."""
    return datetime.now(UTC)


# Names in the zone database that are not places: the machine's own zone, placeholders, and
# the copies under posix/ and right/ (right/ counts leap seconds, which no clock here does).
_NOT_PLACES = frozenset({"localtime", "Factory", "posixrules"})


@functools.cache
def _zone_names() -> frozenset[str]:
    return frozenset(
        name
        for name in zoneinfo.available_timezones()
        if name not in _NOT_PLACES and not name.startswith(("posix/", "right/"))
    )


def zone_named(name: str | None) -> ZoneInfo | None:
    """Return the IANA zone of that name (None if there is no such place's zone)."""
    if not name or len(name) > 64 or name not in _zone_names():
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def country_zone(country: str | None) -> ZoneInfo:
    """Return the usual zone of a country (UTC when it is not known)."""
    return zone_named(COUNTRY_ZONES.get((country or "").upper())) or UTC_ZONE


def at_local(day: date, hour: int, zone: ZoneInfo) -> datetime:
    """Return the moment (UTC) a wall clock in ``zone`` shows ``hour``:00 on ``day``.

    A wall time that a daylight-saving change skips is read as the hour after the gap.
    """
    local = datetime.combine(day, time(hour), tzinfo=zone)
    moment = local.astimezone(UTC)
    if moment.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        moment = (local + timedelta(hours=1)).astimezone(UTC)  # inside a spring-forward gap
    return moment


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    """Return the calendar day ``moment`` falls on in ``zone``."""
    return moment.astimezone(zone).date()


MAX_WAIT = 3600.0  # the longest wait anyone outside may impose on us, in seconds


def bounded_wait(seconds: object, *, default: float = 1.0, cap: float = MAX_WAIT) -> float:
    """Return a wait someone else asked for as seconds we can use: a number between 0 and
    ``cap`` (``default`` for what is not a finite number)."""
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        return default
    value = float(seconds)
    if math.isnan(value) or value < 0:
        return default
    return min(value, cap)

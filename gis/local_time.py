"""A date or time given without an offset is the city's local time (ONEMAP_TIMEZONE), wherever onemap
reads one: a city's staff say "as of 25 November" and mean their own midnight, not UTC's."""

from datetime import date, datetime, time, tzinfo

from gis.errors import InvalidParameter

_UPPER_SEPARATORS = str.maketrans("tz", "TZ")


def read_timestamp(text: str) -> datetime:
    """An RFC 3339 (ISO 8601) date-time. RFC 3339 lets its "T" and "Z" be lower case, which Python's
    parser refuses (ValueError, as for any text that is not a date-time)."""
    return datetime.fromisoformat(text.translate(_UPPER_SEPARATORS))


def local_instant(moment: datetime, zone: tzinfo) -> datetime:
    """`moment`, read in `zone` when it carries no offset."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def with_offset(moment: datetime, what: str) -> datetime:
    """`moment`, refused when it carries no offset: a library call has no city to read it in, and the
    database would read it in its session's zone."""
    if moment.tzinfo is None:
        raise InvalidParameter(f"{what} {moment.isoformat(sep=' ')} has no time zone: give one, e.g. "
                               "tzinfo=ZoneInfo('Asia/Shanghai')")
    return moment


def day_bound(day: date, zone: tzinfo, *, end: bool = False) -> datetime:
    """The first (or, when `end`, the last) microsecond of `day` in `zone`."""
    return datetime.combine(day, time.max if end else time.min, tzinfo=zone)

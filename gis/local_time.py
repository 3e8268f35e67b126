"""A date or time given without an offset is the city's local time (ONEMAP_TIMEZONE), wherever onemap
reads one: a city's staff say "as of 25 November" and mean their own midnight, not UTC's."""

from datetime import date, datetime, time, tzinfo


def local_instant(moment: datetime, zone: tzinfo) -> datetime:
    """`moment`, read in `zone` when it carries no offset."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def day_bound(day: date, zone: tzinfo, *, end: bool = False) -> datetime:
    """The first (or, when `end`, the last) microsecond of `day` in `zone`."""
    return datetime.combine(day, time.max if end else time.min, tzinfo=zone)

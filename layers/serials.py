"""Component serial numbers, allocated by the database so concurrent imports never collide.

Serials come from one counter per county + scheme + class (migration 0002), in consecutive blocks. A
delivered identifier raises its counter (a survey's own serials are never handed out again), so one
placeholder identifier ending in 999999 would use the counter up for good: when the counter has not
enough serials left, the lowest serials that no version of the inventory and no identifier of the
import uses are taken instead, under the same counter-row lock.
"""

from collections.abc import Iterable

import numpy as np
import psycopg

from gis.errors import InvalidParameter

MAX_SERIAL = 999_999  # six digits
_ALLOCATE_SQL = "SELECT onemap.allocate_component_serials(%s, %s, %s, %s)"
_COUNTER_SQL = """
SELECT last_serial FROM onemap.component_serial
WHERE county_code = %s AND scheme = %s AND class_code = %s FOR UPDATE
"""
_USED_SQL = """
SELECT DISTINCT right(id, 6)::int FROM onemap.component
WHERE scheme = %(scheme)s AND left(id, -6) = %(prefix)s
"""


def allocate_serials(conn: psycopg.Connection, *, county_code: str, scheme: str, class_code: str,
                     count: int, taken: Iterable[int] = ()) -> range | np.ndarray:
    """Reserve `count` serials for (county, scheme, class): the counter's next consecutive block (a
    range), else the lowest free serials (an array; `taken`: serials of identifiers the caller is
    about to store).

    The reservation commits with the caller's transaction; a rolled-back import leaves a gap, never a
    duplicate.
    """
    try:
        counter = conn.execute(_COUNTER_SQL, (county_code, scheme, class_code)).fetchone()
        if counter is not None and count > 0 and counter[0] + count > MAX_SERIAL:
            return _lowest_free(conn, county_code, scheme, class_code, count, taken)
        row = conn.execute(_ALLOCATE_SQL, (county_code, scheme, class_code, count)).fetchone()
    except (psycopg.errors.NumericValueOutOfRange, psycopg.errors.InvalidParameterValue,
            psycopg.errors.CheckViolation) as error:
        raise InvalidParameter(str(error).strip().splitlines()[0]) from error
    assert row is not None
    first = int(row[0])
    return range(first, first + count)


def _lowest_free(conn: psycopg.Connection, county_code: str, scheme: str, class_code: str, count: int,
                 taken: Iterable[int]) -> np.ndarray:
    """The `count` lowest serials no stored version (current or closed) and no serial in `taken` uses."""
    used = np.zeros(MAX_SERIAL + 1, dtype=bool)
    used[0] = True
    stored = [serial for serial, in conn.execute(_USED_SQL, {"scheme": scheme,
                                                              "prefix": county_code + class_code})]
    used[np.asarray(stored + list(taken), dtype=np.int64)] = True
    free = np.flatnonzero(~used)[:count]
    if len(free) < count:
        raise InvalidParameter(f"component serials of class {class_code} in county {county_code} are "
                               f"exhausted: {len(free)} of {MAX_SERIAL} are free, {count} needed")
    return free

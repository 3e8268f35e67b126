"""Component serial numbers, allocated by the database so concurrent imports never collide."""

import psycopg

from gis.errors import InvalidParameter

_ALLOCATE_SQL = "SELECT onemap.allocate_component_serials(%s, %s, %s, %s)"


def allocate_serials(
    conn: psycopg.Connection, *, county_code: str, scheme: str, class_code: str, count: int
) -> range:
    """Reserve `count` consecutive 6-digit serials for (county, scheme, class).

    The reservation commits with the caller's transaction; a rolled-back import
    leaves a gap, never a duplicate.
    """
    try:
        row = conn.execute(_ALLOCATE_SQL, (county_code, scheme, class_code, count)).fetchone()
    except (psycopg.errors.NumericValueOutOfRange, psycopg.errors.InvalidParameterValue,
            psycopg.errors.CheckViolation) as error:
        raise InvalidParameter(str(error).strip().splitlines()[0]) from error
    assert row is not None
    first = int(row[0])
    return range(first, first + count)

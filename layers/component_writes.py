"""Writes to the component inventory, one transaction at a time.

Every writer of onemap.component (a survey import, an OGC API POST, PUT, PATCH or DELETE) first takes
one transaction-level advisory lock, before it reads the inventory, and stamps the versions it opens and
closes with a time read after the lock. So a writer's checks (identifiers in use, duplicates within
0.5 m, the current version it replaces) see every write committed before it; no two writers close the
same version or open two current ones; and versions follow one another in time: a write that waited
for an import is stamped after the import's commit, not at its own transaction's start (`now()`), which
would let the two histories overlap. Readers (tiles, the OGC API, exports) take no part in it.
"""

from datetime import datetime

import psycopg

from gis.database import AdvisoryLock


def lock_component_writes(conn: psycopg.Connection) -> datetime:
    """Wait for the inventory's other writers (until this transaction ends), then the time the versions
    this write opens start at and the ones it closes end at. Taking it again in one transaction returns
    at once."""
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (AdvisoryLock.COMPONENT_WRITES,))
    row = conn.execute("SELECT clock_timestamp()").fetchone()
    assert row is not None
    return row[0]

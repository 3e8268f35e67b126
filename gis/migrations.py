"""Versioned SQL migrations: `gis/sql/migrations/NNNN_name.sql`, applied in order, each in a transaction.

Applied versions are recorded with a checksum in ``onemap.schema_migration``; a
shipped file whose checksum differs from the applied one is an error, not a silent
re-run. An advisory lock serialises concurrent `onemap db migrate` runs.
"""

import hashlib
import re
from dataclasses import dataclass, field
from importlib import resources

import psycopg

from gis.database import AdvisoryLock
from gis.errors import MigrationError

_FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
# Versions onemap once shipped with other content, which a later migration reconciles (0015 ends
# both histories of 0006, 0008 and 0010 in one schema): their checksums are accepted as applied.
ALSO_SHIPPED: dict[int, frozenset[str]] = {
    6: frozenset({"49b3931b95e73b087e42a8e0b38327bd4d3b1102d721022b39f9d085f1255510"}),
    8: frozenset({"5eaad2d604f3ed886da2550bb316c069534663ac21a7c5ef0585684a10d2c8c7"}),
    10: frozenset({"2ca0d2d2435f35992d5543f237071ec533d53c643f891ff3f8ce08e217273a9c"}),
}

APPLIED_VERSIONS_SQL = """
SELECT version, checksum FROM onemap.schema_migration ORDER BY version
"""
_BOOKKEEPING_SQL = """
CREATE SCHEMA IF NOT EXISTS onemap;
CREATE TABLE IF NOT EXISTS onemap.schema_migration (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);
"""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str = field(repr=False)

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def available() -> list[Migration]:
    """Every migration shipped with onemap, in version order."""
    found = []
    for entry in resources.files("gis").joinpath("sql", "migrations").iterdir():
        match = _FILE_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"two migration files share a version: {versions}")
    return found


def pending(applied: dict[int, str], shipped: list[Migration]) -> list[Migration]:
    """The shipped migrations not yet applied; raises when applied history disagrees with the files."""
    shipped_by_version = {m.version: m for m in shipped}
    for version, checksum in applied.items():
        migration = shipped_by_version.get(version)
        if migration is None:
            raise MigrationError(
                f"the database has migration {version:04d} applied, which this onemap does not ship: "
                "it belongs to a newer onemap"
            )
        if checksum != migration.checksum and checksum not in ALSO_SHIPPED.get(version, frozenset()):
            raise MigrationError(
                f"migration {version:04d}_{migration.name}.sql was changed after it was applied; "
                "add a new migration instead of editing an applied one"
            )
    return [m for m in shipped if m.version not in applied]


def applied_versions(conn: psycopg.Connection) -> dict[int, str]:
    """Version → checksum of the migrations recorded in the database (empty before the first)."""
    exists = conn.execute("SELECT to_regclass('onemap.schema_migration')").fetchone()
    if exists is None or exists[0] is None:
        return {}
    return {row[0]: row[1] for row in conn.execute(APPLIED_VERSIONS_SQL)}


def migrate(conn: psycopg.Connection) -> list[Migration]:
    """Apply every pending migration, each in its own transaction; return what was applied."""
    conn.autocommit = True
    conn.execute("SELECT pg_advisory_lock(%s)", (AdvisoryLock.MIGRATIONS,))
    try:
        conn.execute(_BOOKKEEPING_SQL)
        todo = pending(applied_versions(conn), available())
        for migration in todo:
            try:
                with conn.transaction():
                    conn.execute(migration.sql)
                    conn.execute(
                        "INSERT INTO onemap.schema_migration (version, name, checksum) "
                        "VALUES (%s, %s, %s)",
                        (migration.version, migration.name, migration.checksum),
                    )
            except psycopg.Error as error:
                raise MigrationError(
                    f"migration {migration.version:04d}_{migration.name}.sql failed and was rolled "
                    f"back: {str(error).strip().splitlines()[0]}"
                ) from error
        return todo
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (AdvisoryLock.MIGRATIONS,))

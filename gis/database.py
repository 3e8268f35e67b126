"""Where the database is, how to reach it, and errors that name host and port instead of tracebacks."""

from dataclasses import dataclass
from enum import IntEnum

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import AsyncConnectionPool

from gis.errors import DatabaseUnavailable
from gis.localdb import LocalCluster
from gis.settings import Settings


class AdvisoryLock(IntEnum):
    """Every PostgreSQL advisory lock key onemap takes, in one place so that no two coincide."""

    MIGRATIONS = 4_403_040_001  # concurrent `onemap db migrate` runs
    FIX_PARTITIONS = 4_403_040_007  # day-partition DDL of GPS fixes (server processes, `feeds prune`)
    CASE_DEADLINE_ANNOUNCER = 4_403_040_008  # the one server process announcing deadline crossings
    COMPONENT_WRITES = 4_403_040_009  # writes to onemap.component (imports, OGC API), one at a time


def local_cluster(settings: Settings) -> LocalCluster:
    """The project-local cluster these settings describe."""
    return LocalCluster(
        settings.home,
        pg_bin=settings.pg_bin,
        preferred_port=settings.pg_port,
        database=settings.database_name,
    )


def uses_local_cluster(settings: Settings) -> bool:
    return settings.database_url is None


def database_url(settings: Settings, *, start: bool = False) -> str:
    """The URL of onemap's database: ONEMAP_DATABASE_URL, or the local cluster's (started on demand)."""
    if settings.database_url is not None:
        return settings.database_url.get_secret_value()
    cluster = local_cluster(settings)
    return cluster.up() if start else cluster.url()


@dataclass(frozen=True)
class ServerAddress:
    host: str
    port: str
    database: str

    def __str__(self) -> str:
        return f"{self.host}:{self.port}/{self.database}"


def server_address(url: str) -> ServerAddress:
    """Host, port and database of a URL, for error messages (never the password)."""
    params = conninfo_to_dict(url)
    return ServerAddress(
        host=str(params.get("host") or "localhost"),
        port=str(params.get("port") or "5432"),
        database=str(params.get("dbname") or ""),
    )


def unavailable(url: str, error: Exception) -> DatabaseUnavailable:
    """A one-line error naming the server that could not be reached and why."""
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    # libpq's first line reads 'connection to server at "h", port p failed: <reason>'.
    detail = lines[0].rsplit("failed: ", 1)[-1] if lines else type(error).__name__
    return DatabaseUnavailable(f"cannot connect to PostgreSQL at {server_address(url)}: {detail}")


def connect(url: str, *, timeout_s: float = 5.0, autocommit: bool = False) -> psycopg.Connection:
    """A synchronous connection (CLI work: migrations, imports), or DatabaseUnavailable."""
    try:
        return psycopg.connect(url, connect_timeout=max(1, round(timeout_s)), autocommit=autocommit)
    except psycopg.OperationalError as error:
        raise unavailable(url, error) from error


async def connect_async(url: str, *, timeout_s: float = 5.0) -> psycopg.AsyncConnection:
    """An asynchronous connection (CLI commands that share async code with the service), or
    DatabaseUnavailable."""
    try:
        return await psycopg.AsyncConnection.connect(url, connect_timeout=max(1, round(timeout_s)))
    except psycopg.OperationalError as error:
        raise unavailable(url, error) from error


def create_pool(url: str, settings: Settings) -> AsyncConnectionPool:
    """The service's async pool; opened by the app's lifespan, which must not fail when the DB is down."""
    return AsyncConnectionPool(
        url,
        min_size=settings.pool_min_size,
        max_size=settings.pool_max_size,
        kwargs={"connect_timeout": max(1, round(settings.connect_timeout_s))},
        timeout=settings.connect_timeout_s,
        # Checked before lending, so a pooled connection broken by a server restart is
        # replaced instead of failing one request.
        check=AsyncConnectionPool.check_connection,
        open=False,
        name="onemap",
    )

"""Session fixtures: a real PostGIS (the project-local cluster, or ONEMAP_DATABASE_URL) and a fresh
database per test run, cloned from a template that holds the migrated schema and the demo city."""

import functools
import hashlib
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from gis.database import database_url
from gis.demo import futian
from gis.localdb import create_extensions
from gis.migrations import available, migrate
from gis.settings import Settings

SHARED_DIR = Path(os.environ.get("ONEMAP_SHARED_DIR", Path(__file__).resolve().parents[2] / "shared"))


def shared_data(*parts: str) -> Path:
    """A path under ../shared/data, or skip the test with the reason when it is absent."""
    path = SHARED_DIR.joinpath("data", *parts)
    if not path.exists():
        pytest.skip(f"../shared/data not present ({path}): test needs the shared real data")
    return path


def _with_database(url: str, name: str) -> str:
    info = psycopg.conninfo.conninfo_to_dict(url)
    info["dbname"] = name
    return psycopg.conninfo.make_conninfo(**info)


@functools.cache
def _template_name() -> str:
    """Changes whenever a migration or the demo data changes, so stale templates are never used.

    Computed once per test session, so a session keeps cloning the template it started with even
    when files change under it."""
    digest = hashlib.sha256()
    for migration in available():
        digest.update(migration.checksum.encode())
    for path in sorted((Settings().data_dir / "futian").iterdir()):
        digest.update(path.name.encode() + path.read_bytes())
    root = Path(__file__).resolve().parents[1]
    # everything that decides what the template holds: the demo, the layers' loaders, the division
    sources = [*(root / "gis" / "demo").glob("*.py"), *(root / "layers").rglob("*.py"),
               *(root / "layers").rglob("*.sql"), *(root / "layers").rglob("*.csv"),
               *(root / "grid_codes").glob("division*.py")]
    for source in sorted(sources):
        digest.update(source.read_bytes())
    return f"onemap_test_tpl_{digest.hexdigest()[:12]}"


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings()


@pytest.fixture(scope="session")
def server_url(settings: Settings) -> str:
    """URL of the maintenance database of the server the tests use (started when local)."""
    return _with_database(database_url(settings, start=True), "postgres")


_TEMPLATES_KEPT = 3


def _build_template(admin: psycopg.Connection, server_url: str, name: str, settings: Settings) -> None:
    # Templates are stamped with their build time; the newest few are kept so that test sessions
    # started before a migration changed (several may run at once) can still clone theirs.
    stale = admin.execute(
        "SELECT datname FROM pg_database d LEFT JOIN pg_shdescription s ON s.objoid = d.oid "
        "WHERE datname LIKE 'onemap\\_test\\_tpl\\_%%' "
        "ORDER BY coalesce(s.description, '0')::numeric DESC OFFSET %s", (_TEMPLATES_KEPT - 1,)).fetchall()
    for (old,) in stale:
        admin.execute(sql.SQL("ALTER DATABASE {} WITH is_template false").format(sql.Identifier(old)))
        admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(old)))
    admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(
        sql.Identifier(name), sql.Literal(str(time.time()))))
    try:
        with psycopg.connect(_with_database(server_url, name), autocommit=True) as conn:
            create_extensions(conn)
            migrate(conn)
            city = futian.build(settings.data_dir)
            futian.load(conn, city)
            futian.divide_grid(conn, city)
            with tempfile.TemporaryDirectory() as workdir:
                futian.load_components(conn, city, Path(workdir))
    except BaseException:
        # never leave a half-built template behind for the next session to clone
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        raise
    admin.execute(sql.SQL("ALTER DATABASE {} WITH is_template true ALLOW_CONNECTIONS false").format(
        sql.Identifier(name)))


@pytest.fixture(scope="session")
def db_url(server_url: str, settings: Settings) -> Iterator[str]:
    """A fresh database for this test run: migrated, with the demo city and its unit grid."""
    template = _template_name()
    run_db = f"onemap_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute("SELECT pg_advisory_lock(4403040002)")
        try:
            exists = admin.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (template,)).fetchone()
            if not exists:
                _build_template(admin, server_url, template, settings)
            admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(run_db), sql.Identifier(template)))
        finally:
            admin.execute("SELECT pg_advisory_unlock(4403040002)")
    yield _with_database(server_url, run_db)
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(run_db)))


@pytest.fixture
def conn(db_url: str) -> Iterator[psycopg.Connection]:
    """A connection whose work is rolled back after the test."""
    with psycopg.connect(db_url) as connection:
        yield connection
        connection.rollback()


@contextmanager
def template_clone(server_url: str, prefix: str) -> Iterator[str]:
    """A database cloned from the demo-city template (db_url must have built it), then dropped."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(name), sql.Identifier(_template_name())))
    try:
        yield _with_database(server_url, name)
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def fresh_db_url(server_url: str, db_url: str) -> Iterator[str]:
    """A database of its own for one test (cloned from the template), dropped afterwards."""
    with template_clone(server_url, "onemap_test_fresh") as url:
        yield url


@pytest.fixture
def empty_db_url(server_url: str) -> Iterator[str]:
    """A database with nothing in it (no extensions, no schema), dropped afterwards."""
    name = f"onemap_test_empty_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name)))
    yield _with_database(server_url, name)
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

"""onemap.component.batch_id must name an existing import batch (migration 0014's statement-level check)."""

import psycopg
import pytest

_COPY_ONE = (
    "INSERT INTO onemap.component (id, scheme, class_code, name, geometry_type, geom, changed_by, "
    "change_source, batch_id, valid_to) "
    "SELECT id, scheme, class_code, name, geometry_type, geom, 'test', 'test', %s, now() "
    "FROM onemap.component WHERE valid_to IS NULL ORDER BY version_id LIMIT %s"
)


def _new_batch(conn: psycopg.Connection) -> int:
    row = conn.execute("INSERT INTO onemap.import_batch (kind, sources, actor, mode, scheme, dry_run) "
                       "VALUES ('components', '{test}', 'test', 'append', 'gb47678', false) "
                       "RETURNING id").fetchone()
    assert row is not None
    return int(row[0])


def _missing_batch(conn: psycopg.Connection) -> int:
    row = conn.execute("SELECT coalesce(max(id), 0) + 1000 FROM onemap.import_batch").fetchone()
    assert row is not None
    return int(row[0])


def test_versions_naming_an_existing_batch_or_none_are_written(conn):
    batch = _new_batch(conn)
    assert conn.execute(_COPY_ONE, (batch, 3)).rowcount == 3
    assert conn.execute(_COPY_ONE, (None, 2)).rowcount == 2


def test_a_version_naming_a_missing_batch_is_refused(conn):
    batch, missing = _new_batch(conn), _missing_batch(conn)
    with pytest.raises(psycopg.errors.ForeignKeyViolation, match=f"import batch {missing},"):
        # one bad row among 50 good ones is enough
        conn.execute(
            "INSERT INTO onemap.component (id, scheme, class_code, name, geometry_type, geom, changed_by, "
            "change_source, batch_id, valid_to) "
            "SELECT id, scheme, class_code, name, geometry_type, geom, 'test', 'test', "
            "CASE WHEN version_id = (SELECT max(version_id) FROM onemap.component) THEN %s ELSE %s END, "
            "now() "
            "FROM onemap.component ORDER BY version_id DESC LIMIT 51", (missing, batch))


def test_an_update_to_a_missing_batch_is_refused(conn):
    missing = _missing_batch(conn)
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        conn.execute("UPDATE onemap.component SET batch_id = %s "
                     "WHERE version_id = (SELECT min(version_id) FROM onemap.component)", (missing,))


def test_a_batch_named_by_versions_cannot_be_deleted(conn):
    row = conn.execute("SELECT batch_id FROM onemap.component WHERE batch_id IS NOT NULL LIMIT 1").fetchone()
    assert row is not None, "the demo census names its import batch"
    with pytest.raises(psycopg.errors.ForeignKeyViolation), conn.transaction():
        conn.execute("DELETE FROM onemap.import_batch WHERE id = %s", (row[0],))
    unused = _new_batch(conn)
    assert conn.execute("DELETE FROM onemap.import_batch WHERE id = %s", (unused,)).rowcount == 1


def test_a_batch_being_written_cannot_be_deleted_by_another_transaction(fresh_db_url):
    """The check locks the batches it read, as a foreign key does: a concurrent delete waits."""
    with psycopg.connect(fresh_db_url, autocommit=True) as setup:
        batch = _new_batch(setup)
    with psycopg.connect(fresh_db_url) as writer, psycopg.connect(fresh_db_url) as other:
        writer.execute(_COPY_ONE, (batch, 2))  # uncommitted: invisible to the other transaction
        other.execute("SET lock_timeout = '300ms'")
        with pytest.raises(psycopg.errors.LockNotAvailable):
            other.execute("DELETE FROM onemap.import_batch WHERE id = %s", (batch,))
        other.rollback()
        writer.commit()
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            other.execute("DELETE FROM onemap.import_batch WHERE id = %s", (batch,))

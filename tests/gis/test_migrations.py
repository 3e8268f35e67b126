import psycopg
import pytest

from gis import migrations
from gis.errors import MigrationError
from gis.migrations import Migration, applied_versions, available, migrate


def test_migrations_apply_in_order_then_rerun_is_a_no_op(empty_db_url):
    with psycopg.connect(empty_db_url) as conn:
        first = migrate(conn)
        second = migrate(conn)
        tables = {r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'onemap'")}
    assert [m.version for m in first] == [m.version for m in available()]
    assert second == []
    assert {"admin_area", "unit_grid", "road", "layer", "schema_migration"} <= tables


def test_stored_geometries_are_cgcs2000_with_a_generated_web_mercator_copy(empty_db_url):
    with psycopg.connect(empty_db_url) as conn:
        migrate(conn)
        columns = dict(conn.execute(
            "SELECT f_table_name || '.' || f_geometry_column, srid FROM geometry_columns "
            "WHERE f_table_schema = 'onemap' AND f_table_name IN ('admin_area', 'unit_grid', 'road')"
        ).fetchall())
        conn.execute(
            "INSERT INTO onemap.admin_area (code, level, name, vintage, source, geom) VALUES "
            "('440304', 'county', 't', 2023, 'test', "
            "ST_Multi(ST_MakeEnvelope(114.0, 22.5, 114.01, 22.51, 4490)))")
        x3857 = conn.execute("SELECT ST_XMin(geom_3857) FROM onemap.admin_area").fetchone()
    assert columns == {
        "admin_area.geom": 4490, "admin_area.geom_3857": 3857,
        "unit_grid.geom": 4490, "unit_grid.geom_3857": 3857,
        "road.geom": 4490, "road.geom_3857": 3857,
    }
    assert x3857 is not None
    assert x3857[0] == pytest.approx(114.0 * 20037508.342789244 / 180, abs=0.01)


def test_edited_applied_migration_is_refused(empty_db_url):
    with psycopg.connect(empty_db_url) as conn:
        migrate(conn)
        conn.execute("UPDATE onemap.schema_migration SET checksum = 'edited' WHERE version = 1")
        conn.commit()
        with pytest.raises(MigrationError, match="changed after it was applied"):
            migrate(conn)


def test_database_from_a_newer_onemap_is_refused(empty_db_url):
    with psycopg.connect(empty_db_url) as conn:
        migrate(conn)
        conn.execute("INSERT INTO onemap.schema_migration VALUES (9999, 'future', 'x', now())")
        conn.commit()
        with pytest.raises(MigrationError, match="newer onemap"):
            migrate(conn)


def test_failing_migration_rolls_back_entirely(empty_db_url, monkeypatch):
    broken = Migration(9000, "broken", "CREATE TABLE onemap.half_done (x int); SELECT 1/0;")
    shipped = available()
    monkeypatch.setattr(migrations, "available", lambda: [*shipped, broken])
    with psycopg.connect(empty_db_url) as conn:
        with pytest.raises(MigrationError, match=r"9000_broken\.sql failed and was rolled back"):
            migrate(conn)
        assert 9000 not in applied_versions(conn)
        assert conn.execute("SELECT to_regclass('onemap.half_done')").fetchone() == (None,)
        assert set(applied_versions(conn)) == {m.version for m in shipped}


def test_layer_registry_lists_the_base_layers(empty_db_url):
    with psycopg.connect(empty_db_url) as conn:
        migrate(conn)
        names = [r[0] for r in conn.execute("SELECT name FROM onemap.layer ORDER BY sort_order, name")]
    base = ["counties", "streets", "communities", "unit_grid", "roads", "components"]
    assert [name for name in names if name in base] == base, "drawn bottom first"
    assert set(names) == {*base, "resp_grids", "hotspots", "camera_sectors", "cameras", "cases", "vehicles"}
